--- The board page's script: draws the curves, the runs table, the sweeps and
-- the errors from the JSON data in the page (see mien.board.data), and keeps
-- the view (hidden runs, highlight, sort, filter, smoothing, x axis) across
-- the reloads of a watched board. URL fragment for tests, e.g.
-- #sort=best%20val_acc&hide=0: clicks that header and that run's legend chip.
return [==[
(function () {
'use strict';
var D = JSON.parse(document.getElementById('board-data').textContent);
var RUNS = D.runs || [], SWEEPS = D.sweeps || [], IMAGES = D.images || [];
var NS = 'http://www.w3.org/2000/svg';
var PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e',
  '#9498a0'];
RUNS.forEach(function (r, i) {
  r.id = i;
  r.colour = i < PALETTE.length ? PALETTE[i] : 'hsl(' + Math.round(i * 137.508 % 360) + ',58%,50%)';
  r.text = Object.keys(r.cells).map(function (k) { return String(r.cells[k]); }).join(' ').toLowerCase();
});
var STORE = 'mien-board:' + D.title;
var S = { hidden: {}, highlight: null, smooth: 0, x: 'epoch', sort: null, filter: '', brush: {} };
try { var saved = JSON.parse(sessionStorage.getItem(STORE) || 'null'); if (saved) Object.assign(S, saved); } catch (e) {}
function save() { try { sessionStorage.setItem(STORE, JSON.stringify(S)); } catch (e) {} }

// ---------------------------------------------------------------- helpers
function h(tag, attrs, parent, text) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function s(tag, attrs, parent, text) {
  var e = document.createElementNS(NS, tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function esc(v) {
  return String(v).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
}
function isNum(v) { return typeof v === 'number' && isFinite(v); }
function fmt(v) {
  if (v == null || v === '') return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  var a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1).replace('.0e', 'e').replace('e-', 'e\u2212');
  return String(+v.toPrecision(4));
}
function ticks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n))), err = (hi - lo) / n / step;
  step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
  var out = [];
  for (var k = Math.ceil(lo / step); k * step <= hi + step * 1e-9 && out.length < 50; k++) {
    out.push(+(k * step).toPrecision(12));
  }
  return out;
}
// Powers of ten, or 1-2-5 steps when the range spans less than two decades.
function logTicks(lo, hi) {
  var out, mantissas = [[1], [1, 2, 5], [1, 2, 3, 5, 7]];
  for (var m = 0; m < mantissas.length; m++) {
    out = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      mantissas[m].forEach(function (k) {
        var v = +(k * Math.pow(10, e)).toPrecision(6);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      });
    }
    if (out.length >= 3) return out;
  }
  return out.length >= 2 ? out : ticks(lo, hi, 4);
}
// A linear or log scale from [lo, hi] to [a, b], with its ticks.
function scale(lo, hi, a, b, log) {
  if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
  // a flat range (or one flat but for rounding) gets some room around its value
  if (!(hi - lo > 1e-9 * Math.max(Math.abs(lo), Math.abs(hi)))) {
    var pad = Math.abs(lo) * 0.05 || 0.5;
    lo -= pad; hi += pad;
  }
  var f = function (v) { return a + ((log ? Math.log10(v) : v) - lo) / (hi - lo) * (b - a); };
  f.ticks = log ? function () { return logTicks(Math.pow(10, lo), Math.pow(10, hi)); }
    : function (n) { return ticks(lo, hi, n); };
  return f;
}
function visible(r) { return !S.hidden[r.name] && matches(r); }
function matches(r) {
  var terms = S.filter.toLowerCase().split(/\s+/).filter(Boolean);
  return terms.every(function (t) { return r.text.indexOf(t) >= 0; });
}

// ---------------------------------------------------------------- layout
var top = h('header', { class: 'top' }, document.body);
h('div', { class: 'brand' }, top).innerHTML = '<span class="mark">mien</span> board';
var nSweeps = SWEEPS.length;
h('div', { class: 'meta' }, top, RUNS.length + ' run' + (RUNS.length === 1 ? '' : 's') + (nSweeps ? ' \u00b7 ' +
  nSweeps + ' sweep' + (nSweeps === 1 ? '' : 's') : '') + (D.root ? ' in ' + D.root : '') +
  (D.title !== 'mien board' ? ' \u00b7 ' + D.title : ''));
if (D.watch) h('div', { class: 'meta live' }, top, '\u25cf live, every ' + D.watch + ' s');
var controls = h('div', { class: 'controls' }, top);
var filterInput = h('input', { type: 'search', placeholder: 'Filter runs\u2026', id: 'filter' },
  h('label', {}, controls));
filterInput.value = S.filter;
var xLabel = h('label', {}, controls, 'x ');
var xSelect = h('select', { id: 'xaxis' }, xLabel);
[['epoch', 'epoch'], ['step', 'step'], ['time', 'wall time']].forEach(function (o) {
  h('option', { value: o[0] }, xSelect, o[1]);
});
xSelect.value = S.x;
var smoothLabel = h('label', {}, controls, 'smoothing ');
var smoothInput = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, id: 'smooth' }, smoothLabel);
smoothInput.value = S.smooth;
var smoothOut = h('output', {}, smoothLabel, String(S.smooth));
var main = h('main', {}, document.body);
function panel(title, note) {
  var sec = h('section', { class: 'panel' }, main);
  var h2 = h('h2', {}, sec, title);
  if (note) h('span', { class: 'note' }, h2, note);
  return sec;
}

// ---------------------------------------------------------------- curves
var CHARTS = [
  { key: 'val_loss', title: 'Validation loss' }, { key: 'val_acc', title: 'Validation accuracy' },
  { key: 'train_loss', title: 'Training loss' }, { key: 'train_acc', title: 'Training accuracy' },
  { key: 'lr', title: 'Learning rate', log: true }];
var curvesPanel = panel('Curves', 'click a run to hide or show it; click a table row to highlight it');
var chartGrid = h('div', { class: 'charts' }, curvesPanel);
CHARTS.forEach(function (c) {
  c.box = h('div', { class: 'chart', id: 'chart-' + c.key }, chartGrid);
  h('h3', {}, c.box, c.title);
});
var legendBox = h('div', { class: 'chart' }, chartGrid);
var legendHead = h('h3', {}, legendBox, 'Runs ');
var legend = h('div', { class: 'legend', id: 'legend' }, legendBox);

function xs(r) {
  var hh = r.h;
  return S.x === 'time' ? hh.time : S.x === 'step' ? hh.step : hh.epoch;
}
// Exponential moving average, debiased so the first points are not pulled to 0.
function smooth(y) {
  var a = S.smooth;
  if (!a) return y;
  var out = [], m = 0, w = 0;
  for (var i = 0; i < y.length; i++) {
    if (!isNum(y[i])) { out.push(null); continue; }
    m = a * m + (1 - a) * y[i]; w = a * w + (1 - a);
    out.push(m / w);
  }
  return out;
}
function drawChart(c) {
  var old = c.box.querySelector('svg');
  if (old) old.remove();
  var W = Math.max(280, c.box.clientWidth - 20 || 420), H = 220, L = 50, R = 12, T = 8, B = 28;
  var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H }, c.box);
  var series = [], x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  RUNS.forEach(function (r) {
    if (!visible(r)) return;
    var x = xs(r), y = smooth(r.h[c.key] || []), pts = [];
    for (var i = 0; i < y.length; i++) {
      if (!isNum(y[i]) || !isNum(x[i]) || (c.log && y[i] <= 0)) continue;
      pts.push([x[i], y[i]]);
      x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]);
    }
    if (pts.length) series.push({ run: r, pts: pts });
  });
  if (!series.length) {
    s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, svg, 'no data');
    return;
  }
  var log = c.log && y1 / y0 >= 10;
  if (!log) { var pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
  var sx = scale(x0, x1, L, W - R), sy = scale(y0, y1, H - B, T, log);
  var grid = s('g', { class: 'grid' }, svg), axis = s('g', { class: 'axis' }, svg);
  sy.ticks(5).forEach(function (t) {
    var y = sy(t);
    if (y < T - 1 || y > H - B + 1) return;
    s('line', { x1: L, x2: W - R, y1: y, y2: y }, grid);
    s('text', { x: L - 6, y: y + 3.5, 'text-anchor': 'end' }, axis, fmt(t));
  });
  sx.ticks(6).forEach(function (t) {
    var x = sx(t);
    if (x < L - 1 || x > W - R + 1) return;
    s('line', { x1: x, x2: x, y1: H - B, y2: H - B + 4 }, axis);
    s('text', { x: x, y: H - B + 15, 'text-anchor': 'middle' }, axis, fmt(t));
  });
  s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }, axis);
  s('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }, axis, S.x === 'time' ? 'wall time (s)' : S.x);
  var g = s('g', { class: series.length > 30 ? 'many' : '' }, svg), last = null;
  series.forEach(function (se) {
    var d = se.pts.map(function (p, i) { return (i ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1); });
    if (se.pts.length === 1) d.push('h0.1');
    var cls = 'curve' + (S.highlight == null ? '' : S.highlight === se.run.name ? ' hl' : ' faded');
    var p = s('path', { class: cls, d: d.join(''), stroke: se.run.colour, 'data-run': se.run.id }, g);
    s('title', {}, p, se.run.name + ': ' + fmt(se.pts[se.pts.length - 1][1]));
    if (S.highlight === se.run.name) last = p;
  });
  if (last) g.appendChild(last);
}
function drawLegend() {
  legend.innerHTML = RUNS.map(function (r) {
    if (!matches(r)) return '';
    var cls = 'chip' + (S.hidden[r.name] ? ' off' : '') + (S.highlight === r.name ? ' hl' : '');
    return '<button class="' + cls + '" data-run="' + r.id + '" title="' + esc(r.name) + '"><i style="background:' +
      r.colour + '"></i><span>' + esc(r.name) + '</span></button>';
  }).join('');
}
legend.addEventListener('click', function (ev) {
  var chip = ev.target.closest('.chip');
  if (!chip) return;
  var r = RUNS[+chip.getAttribute('data-run')];
  if (S.hidden[r.name]) delete S.hidden[r.name]; else S.hidden[r.name] = true;
  refresh();
});
var legendActions = h('span', {}, legendHead);
h('button', { class: 'small', id: 'show-all' }, legendActions, 'all').onclick = function () {
  S.hidden = {}; refresh();
};
h('button', { class: 'small', id: 'hide-all' }, legendActions, 'none').onclick = function () {
  RUNS.forEach(function (r) { if (matches(r)) S.hidden[r.name] = true; }); refresh();
};
legendActions.style.marginLeft = '8px';
legendActions.style.display = 'inline-flex';
legendActions.style.gap = '4px';

// ---------------------------------------------------------------- runs table
var COLS = D.columns || [];
var tablePanel = panel('Runs');
var countNote = h('span', { class: 'note' }, tablePanel.querySelector('h2'));
if ((D.constant || []).length) {
  h('div', { class: 'constants' }, tablePanel).innerHTML = 'Same in every run: ' + D.constant.map(function (c) {
    return esc(c.key) + ' <b>' + esc(c.value) + '</b>';
  }).join(' \u00b7 ');
}
var table = h('table', { class: 'runs', id: 'runs' }, h('div', { class: 'table-wrap' }, tablePanel));
var thead = h('thead', {}, table), tbody = h('tbody', {}, table);
// The best value of each metric column among the shown runs gets marked.
function bestOf(col, rows) {
  if (col.group !== 'metric' || !col.num || /epoch|minutes/.test(col.key)) return null;
  var lower = /loss/.test(col.key), best = null;
  rows.forEach(function (r) {
    var v = r.cells[col.key];
    if (isNum(v) && (best == null || (lower ? v < best : v > best))) best = v;
  });
  return best;
}
function sortedRows() {
  var rows = RUNS.filter(matches);
  if (S.sort) {
    var key = S.sort.key, dir = S.sort.dir;
    rows.sort(function (a, b) {
      var x = a.cells[key], y = b.cells[key];
      if (x == null && y == null) return a.id - b.id;
      if (x == null) return 1;
      if (y == null) return -1;
      var c = (isNum(x) && isNum(y)) ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return c ? c * dir : a.id - b.id;
    });
  }
  return rows;
}
function drawTable() {
  thead.innerHTML = '<tr>' + COLS.map(function (c) {
    var arrow = S.sort && S.sort.key === c.key ? '<span class="arrow">' + (S.sort.dir > 0 ? '\u25b2' : '\u25bc') +
      '</span>' : '';
    return '<th data-key="' + esc(c.key) + '"' + (c.group === 'metric' ? ' class="metric"' : '') + '>' +
      esc(c.label) + arrow + '</th>';
  }).join('') + '</tr>';
  var rows = sortedRows();
  var best = COLS.map(function (c) { return bestOf(c, rows); });
  tbody.innerHTML = rows.map(function (r) {
    var cls = (S.highlight === r.name ? 'hl' : '') + (S.hidden[r.name] ? ' off' : '');
    return '<tr data-run="' + r.id + '" class="' + cls + '">' + COLS.map(function (c, j) {
      var v = r.cells[c.key];
      if (c.key === 'name') return '<td class="name"><i style="background:' + r.colour + '"></i>' + esc(v) + '</td>';
      var k = (isNum(v) ? 'num' : '') + (best[j] != null && v === best[j] ? ' best' : '');
      return '<td class="' + k + '">' + esc(fmt(v)) + '</td>';
    }).join('') + '</tr>';
  }).join('');
  countNote.textContent = rows.length === RUNS.length ? RUNS.length + ' runs; click a header to sort'
    : rows.length + ' of ' + RUNS.length + ' runs match the filter';
}
thead.addEventListener('click', function (ev) {
  var th = ev.target.closest('th');
  if (!th) return;
  var key = th.getAttribute('data-key');
  S.sort = S.sort && S.sort.key === key ? { key: key, dir: -S.sort.dir } : { key: key, dir: 1 };
  save();
  drawTable();
});
tbody.addEventListener('click', function (ev) {
  var tr = ev.target.closest('tr');
  if (!tr) return;
  var r = RUNS[+tr.getAttribute('data-run')];
  S.highlight = S.highlight === r.name ? null : r.name;
  refresh();
});

// ---------------------------------------------------------------- sweeps
var RAMP = ['#cfe0f7', '#9cbdeb', '#6b98db', '#3f72c4', '#1f4f9e', '#0d2f6b'];
function rampColour(t) { return RAMP[Math.max(0, Math.min(RAMP.length - 1, Math.floor(t * RAMP.length)))]; }
function better(sw, a, b) { return sw.mode === 'min' ? a < b : a > b; }
function okTrials(sw) { return (sw.trials || []).filter(function (t) { return t.status === 'ok' && isNum(t.objective); }); }
// Each hyper-parameter (and the objective) as an axis: a scale from value to y.
function dimsOf(sw, trials, top, bottom) {
  var dims = (sw.params || []).map(function (p) {
    var vals = trials.map(function (t) { return t.config[p.name]; });
    var numeric = vals.every(isNum) && !(p.values && p.values.some(function (v) { return !isNum(v); }));
    var d = { name: p.name, get: function (t) { return t.config[p.name]; } };
    if (numeric && !(p.values && p.values.length <= 6)) {
      var lo = isNum(p.lo) ? p.lo : Math.min.apply(null, vals), hi = isNum(p.hi) ? p.hi : Math.max.apply(null, vals);
      d.scale = scale(lo, hi, bottom, top, p.log && lo > 0); d.log = p.log && lo > 0;
    } else {
      var cats = (p.values && p.values.length ? p.values : vals).map(String).filter(function (v, i, a) {
        return a.indexOf(v) === i;
      });
      d.cats = cats;
      d.scale = function (v) {
        var i = cats.indexOf(String(v));
        return cats.length < 2 ? (top + bottom) / 2 : bottom + i / (cats.length - 1) * (top - bottom);
      };
    }
    return d;
  });
  var obj = trials.map(function (t) { return t.objective; });
  dims.push({ name: sw.objective, objective: true, get: function (t) { return t.objective; },
    scale: scale(Math.min.apply(null, obj), Math.max.apply(null, obj), bottom, top) });
  return dims;
}
function drawParallel(sw, box, si) {
  var trials = okTrials(sw);
  var W = Math.max(420, box.clientWidth || 640), H = 280, T = 28, B = 22, L = 46, R = 46;
  var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', class: 'pc', id: 'pc-' + si }, box);
  if (!trials.length) { s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, svg, 'no finished trial'); return; }
  var dims = dimsOf(sw, trials, T, H - B);
  var gap = (W - L - R) / Math.max(1, dims.length - 1);
  dims.forEach(function (d, i) { d.x = L + i * gap; });
  var objs = trials.map(function (t) { return t.objective; });
  var lo = Math.min.apply(null, objs), hi = Math.max.apply(null, objs), best = null;
  trials.forEach(function (t) { if (best == null || better(sw, t.objective, best.objective)) best = t; });
  var lines = s('g', {}, svg), paths = [];
  trials.slice().sort(function (a, b) { return sw.mode === 'min' ? b.objective - a.objective : a.objective - b.objective; })
    .forEach(function (t) {
      var q = hi > lo ? (t.objective - lo) / (hi - lo) : 1;
      if (sw.mode === 'min') q = 1 - q;
      var d = dims.map(function (dim, i) { return (i ? 'L' : 'M') + dim.x.toFixed(1) + ' ' + dim.scale(dim.get(t)).toFixed(1); });
      var p = s('path', { class: 'trial' + (t === best ? ' best' : ''), d: d.join(''), stroke: rampColour(q) }, lines);
      s('title', {}, p, 'trial ' + t.id + ': ' + sw.objective + ' ' + fmt(t.objective));
      p.setAttribute('data-trial', t.id);
      // a trial trained as a run of the board: a click highlights that run
      if (t.run != null && RUNS[t.run]) {
        p.style.cursor = 'pointer';
        p.addEventListener('click', function () {
          var name = RUNS[t.run].name;
          S.highlight = S.highlight === name ? null : name;
          refresh();
        });
      }
      paths.push({ el: p, t: t });
    });
  var brushes = S.brush[sw.name] = S.brush[sw.name] || {};
  function apply() {
    paths.forEach(function (p) {
      var out = dims.some(function (dim) {
        var b = brushes[dim.name];
        if (!b) return false;
        var y = dim.scale(dim.get(p.t));
        return y < b[0] || y > b[1];
      });
      p.el.setAttribute('class', 'trial' + (out ? ' dim' : '') + (p.t === best ? ' best' : ''));
    });
    var kept = paths.filter(function (p) { return !/dim/.test(p.el.getAttribute('class')); }).length;
    countEl.textContent = kept + ' of ' + paths.length + ' trials';
  }
  dims.forEach(function (dim) {
    var g = s('g', { class: 'axis' }, svg);
    s('line', { x1: dim.x, x2: dim.x, y1: T, y2: H - B }, g);
    s('text', { x: dim.x, y: T - 12, 'text-anchor': 'middle', class: 'axis-name' }, g, dim.name);
    var labels = dim.cats ? dim.cats : dim.scale.ticks(5);
    labels.forEach(function (v) {
      s('text', { x: dim.x - 5, y: dim.scale(v) + 3.5, 'text-anchor': 'end' }, g, dim.cats ? v : fmt(v));
    });
    var brush = s('rect', { class: 'brush', x: dim.x - 8, width: 16, y: 0, height: 0, display: 'none' }, g);
    function show(b) {
      if (!b) { brush.setAttribute('display', 'none'); return; }
      brush.setAttribute('display', 'inline');
      brush.setAttribute('y', b[0]); brush.setAttribute('height', b[1] - b[0]);
    }
    show(brushes[dim.name]);
    var hit = s('rect', { class: 'hit', 'data-axis': dim.name, x: dim.x - 14, width: 28, y: T - 4,
      height: H - B - T + 8 }, g);
    hit.addEventListener('pointerdown', function (ev) {
      var y0 = svgY(svg, ev);
      try { hit.setPointerCapture(ev.pointerId); } catch (e) {} // synthetic pointers have none to capture
      function move(e) {
        var y1 = svgY(svg, e);
        brushes[dim.name] = [Math.min(y0, y1), Math.max(y0, y1)];
        show(brushes[dim.name]); apply();
      }
      function up(e) {
        hit.removeEventListener('pointermove', move); hit.removeEventListener('pointerup', up);
        if (Math.abs(svgY(svg, e) - y0) < 3) delete brushes[dim.name];
        show(brushes[dim.name]); apply(); save();
      }
      hit.addEventListener('pointermove', move); hit.addEventListener('pointerup', up);
    });
  });
  var countEl = s('text', { x: W - 4, y: H - 4, 'text-anchor': 'end' }, svg);
  apply();
}
function svgY(svg, ev) {
  var box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
  return (ev.clientY - box.top) * vb.height / box.height;
}
function scatter(parent, title, xsv, ys, opts) {
  var W = 300, H = 190, L = 46, R = 10, T = 22, B = 28;
  var fig = h('div', {}, parent);
  var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H }, fig);
  s('text', { x: L, y: 13, class: 'axis-name', style: 'font-weight:600;fill:#1c2230' }, svg, title);
  var cats = opts.cats, xv = xsv.slice();
  var sx, yv = ys.filter(isNum);
  if (!yv.length) return;
  if (cats) sx = function (v) { return L + (cats.indexOf(String(v)) + 0.5) / cats.length * (W - L - R); };
  else sx = scale(Math.min.apply(null, xv), Math.max.apply(null, xv), L + 6, W - R - 6, opts.log);
  var y0 = Math.min.apply(null, yv), y1 = Math.max.apply(null, yv), pad = (y1 - y0) * 0.08 || 0.01;
  var sy = scale(y0 - pad, y1 + pad, H - B, T);
  var g = s('g', { class: 'axis' }, svg), grid = s('g', { class: 'grid' }, svg);
  sy.ticks(4).forEach(function (t) {
    s('line', { x1: L, x2: W - R, y1: sy(t), y2: sy(t) }, grid);
    s('text', { x: L - 5, y: sy(t) + 3.5, 'text-anchor': 'end' }, g, fmt(t));
  });
  (cats || sx.ticks(4)).forEach(function (t) {
    s('text', { x: sx(t), y: H - B + 14, 'text-anchor': 'middle' }, g, cats ? t : fmt(t));
  });
  s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }, g);
  if (opts.line) {
    s('path', { d: opts.line.map(function (p, i) { return (i ? 'L' : 'M') + sx(p[0]) + ' ' + sy(p[1]); }).join(''),
      fill: 'none', stroke: opts.colour || '#3b63c9', 'stroke-width': 2 }, svg);
  }
  xv.forEach(function (x, i) {
    if (!isNum(ys[i])) return;
    s('circle', { class: 'dot', cx: sx(x), cy: sy(ys[i]), r: 4, fill: opts.colour || '#3b63c9' }, svg);
  });
  return svg;
}
function bestSoFar(parent) {
  var byObjective = {};
  SWEEPS.forEach(function (sw) { (byObjective[sw.objective] = byObjective[sw.objective] || []).push(sw); });
  Object.keys(byObjective).forEach(function (obj) {
    var group = byObjective[obj], W = 560, H = 240, L = 50, R = 120, T = 24, B = 28;
    var series = group.map(function (sw, k) {
      var best = null, pts = [];
      (sw.trials || []).forEach(function (t, i) {
        if (t.status === 'ok' && isNum(t.objective) && (best == null || better(sw, t.objective, best))) best = t.objective;
        if (best != null) pts.push([i + 1, best]);
      });
      return { sw: sw, pts: pts, colour: PALETTE[k % PALETTE.length] };
    });
    var all = [].concat.apply([], series.map(function (se) { return se.pts; }));
    if (!all.length) return;
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, id: 'best-so-far' }, parent);
    s('text', { x: L, y: 14, style: 'font-weight:600;fill:#1c2230;font-size:12px' }, svg,
      'Best ' + obj + ' so far, by trial');
    var ys = all.map(function (p) { return p[1]; }), xsv = all.map(function (p) { return p[0]; });
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys), pad = (y1 - y0) * 0.08 || 0.01;
    var sx = scale(1, Math.max.apply(null, xsv), L, W - R), sy = scale(y0 - pad, y1 + pad, H - B, T);
    var g = s('g', { class: 'axis' }, svg), grid = s('g', { class: 'grid' }, svg);
    sy.ticks(4).forEach(function (t) {
      s('line', { x1: L, x2: W - R, y1: sy(t), y2: sy(t) }, grid);
      s('text', { x: L - 5, y: sy(t) + 3.5, 'text-anchor': 'end' }, g, fmt(t));
    });
    sx.ticks(6).filter(Number.isInteger).forEach(function (t) {
      s('text', { x: sx(t), y: H - B + 14, 'text-anchor': 'middle' }, g, fmt(t));
    });
    s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }, g);
    s('text', { x: W - R, y: H - 2, 'text-anchor': 'end' }, g, 'trial');
    series.forEach(function (se) {
      if (!se.pts.length) return;
      var d = se.pts.map(function (p, i) {
        return (i ? 'H' + sx(p[0]).toFixed(1) + 'V' : 'M' + sx(p[0]).toFixed(1) + ' ') + sy(p[1]).toFixed(1);
      }).join('');
      s('path', { d: d, fill: 'none', stroke: se.colour, 'stroke-width': 2.2, class: 'best-line' }, svg);
      var lastP = se.pts[se.pts.length - 1];
      s('text', { x: sx(lastP[0]) + 6, y: sy(lastP[1]) + 4, style: 'fill:' + se.colour + ';font-weight:600' }, svg,
        (se.sw.method || '?') + ' (' + fmt(lastP[1]) + ')');
    });
  });
}
// Each sweep's best trial and its hyper-parameters.
function bestTable(parent) {
  h('h3', {}, parent, 'Best trial of each sweep');
  var rows = SWEEPS.map(function (sw) {
    var best = null;
    okTrials(sw).forEach(function (t) { if (best == null || better(sw, t.objective, best.objective)) best = t; });
    if (!best) return '<tr><td>' + esc(sw.name) + '</td><td colspan="3">no finished trial</td></tr>';
    var cfg = (sw.params || []).map(function (p) { return esc(p.name) + ' <b>' + esc(fmt(best.config[p.name])) + '</b>'; });
    return '<tr><td class="name">' + esc(sw.name) + '</td><td>' + esc(sw.method || '') + '</td><td class="num best">' +
      esc(fmt(best.objective)) + '</td><td>' + esc(best.id) + '</td><td>' + cfg.join(' \u00b7 ') + '</td></tr>';
  });
  h('table', { class: 'runs' }, parent).innerHTML = '<thead><tr><th>sweep</th><th>method</th><th>' +
    esc(SWEEPS[0].objective) + '</th><th>trial</th><th>hyper-parameters</th></tr></thead><tbody>' + rows.join('') +
    '</tbody>';
}
function drawSweeps() {
  if (!SWEEPS.length) return;
  var sec = panel('Sweeps', 'drag along an axis to keep the trials in that range, click the axis to clear; ' +
    'click a line to highlight its run');
  var box = h('div', { class: 'sweeps' }, sec);
  var summary = h('div', { class: 'sweep-row' }, box);
  bestSoFar(h('div', { class: 'sweep' }, summary));
  bestTable(h('div', { class: 'sweep' }, summary));
  SWEEPS.forEach(function (sw, si) {
    var card = h('div', { class: 'sweep' }, box);
    var n = (sw.trials || []).length, ok = okTrials(sw);
    h('h3', {}, card, sw.name).appendChild(h('small', {}, null, (sw.method || '') + ' search \u00b7 ' + n +
      ' trials' + (n > ok.length ? ' (' + (n - ok.length) + ' failed)' : '') + ' \u00b7 ' + sw.mode + ' ' +
      sw.objective));
    var row = h('div', { class: 'sweep-row' }, card);
    var pcBox = h('div', {}, row);
    var sc = h('div', { class: 'scatters' }, row);
    drawParallel(sw, pcBox, si);
    (sw.params || []).forEach(function (p) {
      var xv = ok.map(function (t) { return t.config[p.name]; });
      var numeric = xv.every(isNum) && !(p.values && p.values.length <= 6);
      var cats = numeric ? null : (p.values && p.values.length ? p.values : xv).map(String).filter(function (v, i, a) {
        return a.indexOf(v) === i;
      });
      scatter(sc, sw.objective + ' vs ' + p.name, xv, ok.map(function (t) { return t.objective; }),
        { cats: cats, log: p.log && xv.every(function (v) { return v > 0; }) });
    });
  });
}

// ---------------------------------------------------------------- errors
function drawErrors() {
  var withErrors = RUNS.filter(function (r) { return r.errors && r.errors.matrix; });
  var sec = panel('Errors', 'on each run\u2019s validation set, from its final model');
  if (!withErrors.length) {
    h('div', { class: 'empty' }, sec, 'No run has errors.json (mien.train.fit writes it when given dir and a ' +
      'mien.data.loader as val).');
    return;
  }
  var byAcc = withErrors.slice().sort(function (a, b) {
    return (b.cells['best val_acc'] || 0) - (a.cells['best val_acc'] || 0);
  });
  var box = h('div', { class: 'errors' }, sec);
  var pick = h('div', { class: 'pickers' }, box);
  function picker(label, init) {
    var l = h('label', {}, pick, label + ' ');
    var sel = h('select', {}, l);
    withErrors.forEach(function (r) { h('option', { value: r.id }, sel, r.name); });
    sel.value = init.id;
    return sel;
  }
  var selA = picker('compare', byAcc[0]), selB = picker('with', byAcc[1] || byAcc[0]);
  var selM = picker('mistakes of', byAcc[0]);
  var cms = h('div', { class: 'cms' }, box), mist = h('div', {}, box);
  function cm(parent, r) {
    var e = r.errors, k = e.classes.length, total = 0, right = 0;
    var wrap = h('div', { class: 'cm-box' }, parent);
    e.matrix.forEach(function (row, i) { row.forEach(function (v, j) { total += v; if (i === j) right += v; }); });
    h('h3', {}, wrap, r.name).appendChild(h('small', {}, null, 'accuracy ' + fmt(total ? right / total : 0) +
      ' on ' + total + ' images'));
    h('div', { class: 'cm-axis' }, wrap, 'rows: true class \u00b7 columns: predicted \u00b7 shade: share of the row');
    var html = '<tr><th></th>' + e.classes.map(function (c) { return '<th>' + esc(c) + '</th>'; }).join('') + '</tr>';
    e.matrix.forEach(function (row, i) {
      var sum = row.reduce(function (a, b) { return a + b; }, 0) || 1;
      html += '<tr><th class="row">' + esc(e.classes[i]) + '</th>' + row.map(function (v, j) {
        var q = v / sum, bg = i === j ? 'rgba(60,169,81,' + (0.08 + 0.8 * q).toFixed(2) + ')'
          : 'rgba(255,114,92,' + (q > 0 ? 0.08 + 0.8 * q : 0).toFixed(2) + ')';
        return '<td class="' + (i === j ? 'diag' : '') + '" style="background:' + bg + (q > 0.55 ? ';color:#fff' : '') +
          '" title="' + esc(e.classes[i]) + ' \u2192 ' + esc(e.classes[j]) + ': ' + v + ' (' + Math.round(q * 100) +
          '%)">' + v + '</td>';
      }).join('') + '</tr>';
    });
    h('table', { class: 'cm' }, wrap).innerHTML = html;
    return k;
  }
  function mistakes(r) {
    mist.innerHTML = '';
    var e = r.errors;
    h('h3', {}, mist, 'Most confident mistakes').appendChild(h('small', {}, null, r.name +
      ' \u00b7 per true class, the wrong answers it was surest of'));
    var grid = h('div', { class: 'mistakes' }, mist);
    e.classes.forEach(function (c, i) {
      var mine = (e.mistakes || []).filter(function (m) { return m[0] === i + 1; });
      var row = e.matrix[i] || [], wrong = row.reduce(function (a, b) { return a + b; }, 0) - (row[i] || 0);
      var lab = h('div', { class: 'cls' }, grid, c);
      h('small', {}, lab, wrong + ' wrong');
      var thumbs = h('div', { class: 'thumbs' }, grid);
      if (!mine.length) h('span', { class: 'cm-axis' }, thumbs, 'none');
      mine.forEach(function (m) {
        var fig = h('figure', { class: 'thumb' }, thumbs);
        if (m[3] != null && IMAGES[m[3]]) h('img', { src: IMAGES[m[3]], alt: c + ' taken for ' + e.classes[m[1] - 1] }, fig);
        else h('div', { class: 'noimg', title: 'image not embedded (over the size budget)' }, fig);
        h('figcaption', {}, fig).innerHTML = '\u2192 <b>' + esc(e.classes[m[1] - 1] || '?') + '</b> ' +
          Math.round(m[2] * 100) + '%';
      });
    });
  }
  function update() {
    cms.innerHTML = '';
    cm(cms, RUNS[+selA.value]);
    cm(cms, RUNS[+selB.value]);
    mistakes(RUNS[+selM.value]);
  }
  [selA, selB, selM].forEach(function (sel) { sel.addEventListener('change', update); });
  update();
}

// ---------------------------------------------------------------- wiring
function drawCurves() { CHARTS.forEach(drawChart); drawLegend(); }
function refresh() { save(); drawCurves(); drawTable(); }
filterInput.addEventListener('input', function () { S.filter = filterInput.value; refresh(); });
xSelect.addEventListener('change', function () { S.x = xSelect.value; refresh(); });
smoothInput.addEventListener('input', function () {
  S.smooth = +smoothInput.value; smoothOut.textContent = smoothInput.value; save(); drawCurves();
});
var resizeTimer;
window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCurves, 150); });
if (!RUNS.length) h('div', { class: 'empty' }, curvesPanel, 'No runs found (a run is a folder with history.jsonl).');
refresh();
drawSweeps();
drawErrors();
// A watched board reloads itself where the reader was.
if (D.watch) {
  if (S.scroll) window.scrollTo(0, S.scroll);
  setTimeout(function () { S.scroll = window.scrollY; save(); location.reload(); }, D.watch * 1000);
}

// Test hooks, through the same handlers as a user's clicks, typing and drags:
// #x=epoch|step|time picks the x axis, #smooth=A sets the smoothing,
// #filter=TEXT types into the filter box, #sort=KEY clicks that column's header,
// #hide=N clicks run N's legend chip, #row=N clicks run N's table row, and
// #brush=S,AXIS,F0,F1 drags along sweep S's axis from F0 to F1 of its height.
var args = {};
location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
  var i = kv.indexOf('=');
  if (i > 0) {
    var k = decodeURIComponent(kv.slice(0, i));
    (args[k] = args[k] || []).push(decodeURIComponent(kv.slice(i + 1)));
  }
});
(args.x || []).forEach(function (x) {
  xSelect.value = x;
  xSelect.dispatchEvent(new Event('change'));
});
(args.smooth || []).forEach(function (v) {
  smoothInput.value = v;
  smoothInput.dispatchEvent(new Event('input'));
});
(args.filter || []).forEach(function (text) {
  filterInput.value = text;
  filterInput.dispatchEvent(new Event('input'));
});
(args.sort || []).forEach(function (key) {
  var th = Array.prototype.find.call(thead.querySelectorAll('th'), function (t) { return t.getAttribute('data-key') === key; });
  if (th) th.click();
});
(args.hide || []).forEach(function (n) {
  var chip = legend.querySelector('.chip[data-run="' + n + '"]');
  if (chip) chip.click();
});
(args.row || []).forEach(function (n) {
  var tr = tbody.querySelector('tr[data-run="' + n + '"]');
  if (tr) tr.click();
});
(args.brush || []).forEach(function (spec) {
  var a = spec.split(','), svg = document.getElementById('pc-' + a[0]);
  var hit = svg && svg.querySelector('rect.hit[data-axis="' + a[1] + '"]');
  if (!hit) return;
  var r = hit.getBoundingClientRect(), vb = svg.viewBox.baseVal, box = svg.getBoundingClientRect();
  var y = function (f) {
    var top = +hit.getAttribute('y') + 4, height = +hit.getAttribute('height') - 8;
    return box.top + (top + f * height) * box.height / vb.height;
  };
  var at = function (type, f) {
    hit.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerId: 1, clientX: r.left + r.width / 2, clientY: y(f) }));
  };
  at('pointerdown', +a[2]); at('pointermove', +a[3]); at('pointerup', +a[3]);
});
document.body.setAttribute('data-ready', 'yes');
})();
]==]
