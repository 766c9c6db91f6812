--- SVG charts from plain Lua tables (or values with :totable()), no
-- dependencies: line charts, scatter plots, ROC curves and heatmaps. Each
-- returns an SVG string; plot.save writes one to a file atomically.
-- Non-finite values (and non-positive ones on log axes) are skipped; a
-- line is broken where a point is skipped.
local args = require "mien.util.args"
local fs = require "mien.util.fs"
local totable = require "mien.util.totable"
local svg = require "mien.plot.svg"
local ticks = require "mien.plot.ticks"

local fail = args.fail
local el = svg.el

local plot = {}

-- Tableau 10.
local PALETTE = {
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
}
-- Rough width of one 12 px character, for sizing margins to labels.
local CHAR_WIDTH = 7

local function options(opts)
  if type(opts) ~= "table" then
    fail("expected a table of options")
  end
  for _, key in ipairs { "title", "xlabel", "ylabel" } do
    if opts[key] ~= nil and type(opts[key]) ~= "string" and type(opts[key]) ~= "number" then
      fail("%s must be a string", key)
    end
  end
  for _, key in ipairs { "xrange", "yrange" } do
    local r = opts[key]
    if r ~= nil and (type(r) ~= "table" or type(r[1]) ~= "number" or type(r[2]) ~= "number" or r[1] >= r[2]) then
      fail("%s must be {lo, hi} with lo < hi", key)
    end
  end
  return opts
end

local function numbers(x, name)
  x = totable(x)
  if type(x) ~= "table" or #x == 0 then
    fail("%s must be a non-empty array of numbers", name)
  end
  for i, v in ipairs(x) do
    if type(v) ~= "number" then
      fail("%s[%d] = %s is not a number", name, i, tostring(v))
    end
  end
  return x
end

local function range_of(n)
  local r = {}
  for i = 1, n do
    r[i] = i
  end
  return r
end

local function longest(labels)
  local n = 0
  for _, s in ipairs(labels) do
    n = math.max(n, #tostring(s))
  end
  return n
end

local function valid(v, log)
  return v == v and v ~= math.huge and v ~= -math.huge and (not log or v > 0)
end

-- Normalise opts.series (or a list given as `key`) into
-- { name, named, x, y, color, dash, auc } with x defaulting to 1..#y; x may hold
-- non-numbers only when categorical_x.
local function parse_series(list, key, x_field, y_field, categorical_x)
  list = totable(list)
  if type(list) ~= "table" or #list == 0 then
    fail("%s must be a non-empty array of {name=, %s=, %s=}", key, x_field, y_field)
  end
  local out = {}
  for i, s in ipairs(list) do
    if type(s) ~= "table" then
      fail("%s[%d] must be a table", key, i)
    end
    local where = string.format("%s[%d].", key, i)
    local y = numbers(s[y_field], where .. y_field)
    local x = s[x_field] ~= nil and totable(s[x_field]) or range_of(#y)
    if type(x) ~= "table" or #x ~= #y then
      fail("%s has %d values but %s has %d", where .. x_field, type(x) == "table" and #x or 0, where .. y_field, #y)
    end
    if not categorical_x then
      numbers(x, where .. x_field)
    end
    out[i] = {
      name = s.name ~= nil and tostring(s.name) or "series " .. i,
      named = s.name ~= nil,
      x = x,
      y = y,
      color = s.color or PALETTE[(i - 1) % #PALETTE + 1],
      dash = s.dash,
      auc = s.auc,
    }
  end
  return out
end

-- Replace non-numeric x values (e.g. optimizer names) by category indices;
-- returns the sorted category names, or nil when x is all numeric.
local function categorise(series)
  local seen, names = {}, {}
  for _, s in ipairs(series) do
    for _, v in ipairs(s.x) do
      if type(v) ~= "number" and not seen[tostring(v)] then
        seen[tostring(v)] = true
        names[#names + 1] = tostring(v)
      end
    end
  end
  if #names == 0 then
    return nil
  end
  for _, s in ipairs(series) do
    for _, v in ipairs(s.x) do
      if type(v) == "number" then
        fail("x mixes numbers and categories (%s)", tostring(v))
      end
    end
  end
  table.sort(names)
  local index = {}
  for i, name in ipairs(names) do
    index[name] = i
  end
  for _, s in ipairs(series) do
    for i, v in ipairs(s.x) do
      s.x[i] = index[tostring(v)]
    end
  end
  return names
end

local function legend(entries, x, y)
  local parts = {}
  for i, e in ipairs(entries) do
    local row = y + (i - 1) * 18
    if e.marker == "point" then
      parts[#parts + 1] = el("circle", { cx = x + 10, cy = row, r = 4, fill = e.color })
    else
      parts[#parts + 1] = el("line", {
        x1 = x, y1 = row, x2 = x + 20, y2 = row,
        stroke = e.color, ["stroke-width"] = 2, ["stroke-dasharray"] = e.dash,
      })
    end
    parts[#parts + 1] = el("text", { x = x + 26, y = row, dy = "0.32em" }, svg.text(e.name))
  end
  return el("g", { class = "legend" }, table.concat(parts))
end

-- Axes, grid, labels and legend around a plot area; calls
-- draw(X, Y) with pixel mappings to get the data markup.
local function xy_chart(opts, series, xaxis, yaxis, marker, draw)
  local width, height = opts.width or 640, opts.height or 400
  local tick_labels = {}
  for i, t in ipairs(yaxis.ticks) do
    tick_labels[i] = t.label
  end
  local legend_width = 0
  if #series > 1 or series[1].named then
    local names = {}
    for i, s in ipairs(series) do
      names[i] = s.name
    end
    legend_width = math.min(260, 40 + CHAR_WIDTH * longest(names))
  end
  local box = {
    left = 16 + CHAR_WIDTH * longest(tick_labels) + (opts.ylabel and 22 or 0),
    top = opts.title and 40 or 16,
    right = width - 20 - legend_width,
    bottom = height - (opts.xlabel and 46 or 28),
  }
  local function X(v)
    return box.left + xaxis:fraction(v) * (box.right - box.left)
  end
  local function Y(v)
    return box.bottom - yaxis:fraction(v) * (box.bottom - box.top)
  end
  local parts = {
    el("rect", { x = 0, y = 0, width = width, height = height, fill = "white" }),
    el("rect", {
      x = box.left, y = box.top, width = box.right - box.left, height = box.bottom - box.top,
      fill = "none", stroke = "#bbbbbb",
    }),
  }
  local grid = {}
  for _, t in ipairs(xaxis.ticks) do
    local px = X(t.value)
    grid[#grid + 1] = el("line", { x1 = px, y1 = box.top, x2 = px, y2 = box.bottom, stroke = "#eeeeee" })
    grid[#grid + 1] = el("text", { x = px, y = box.bottom + 16, ["text-anchor"] = "middle" }, svg.text(t.label))
  end
  for _, t in ipairs(yaxis.ticks) do
    local py = Y(t.value)
    grid[#grid + 1] = el("line", { x1 = box.left, y1 = py, x2 = box.right, y2 = py, stroke = "#eeeeee" })
    grid[#grid + 1] = el("text", { x = box.left - 6, y = py, dy = "0.32em", ["text-anchor"] = "end" },
      svg.text(t.label))
  end
  parts[#parts + 1] = el("g", { class = "axes" }, table.concat(grid))
  if opts.title then
    parts[#parts + 1] = el("text", {
      x = width / 2, y = 24, ["text-anchor"] = "middle", ["font-size"] = 15, ["font-weight"] = "bold",
    }, svg.text(opts.title))
  end
  if opts.xlabel then
    parts[#parts + 1] = el("text", { x = (box.left + box.right) / 2, y = height - 10, ["text-anchor"] = "middle" },
      svg.text(opts.xlabel))
  end
  if opts.ylabel then
    local cy = (box.top + box.bottom) / 2
    parts[#parts + 1] = el("text", {
      x = 16, y = cy, ["text-anchor"] = "middle", transform = string.format("rotate(-90 16 %s)", svg.number(cy)),
    }, svg.text(opts.ylabel))
  end
  parts[#parts + 1] = draw(X, Y)
  if legend_width > 0 then
    local entries = {}
    for i, s in ipairs(series) do
      entries[i] = { name = s.name, color = s.color, dash = s.dash, marker = marker }
    end
    parts[#parts + 1] = legend(entries, box.right + 14, box.top + 8)
  end
  return svg.document(width, height, table.concat(parts, "\n"))
end

local function axes_for(opts, series, categories, pad)
  local xs, ys = {}, {}
  for _, s in ipairs(series) do
    for i = 1, #s.y do
      if valid(s.x[i], opts.logx) and valid(s.y[i], opts.logy) then
        xs[#xs + 1], ys[#ys + 1] = s.x[i], s.y[i]
      end
    end
  end
  local xaxis = categories and ticks.categories(categories)
    or ticks.for_values(xs, { log = opts.logx, range = opts.xrange, pad = pad })
  local yaxis = ticks.for_values(ys, { log = opts.logy, range = opts.yrange, pad = pad })
  return xaxis, yaxis
end

-- Runs of consecutive drawable points (index lists), split at skipped ones.
local function runs_of(s, opts)
  local runs, run = {}, nil
  for i = 1, #s.y do
    if valid(s.x[i], opts.logx) and valid(s.y[i], opts.logy) then
      if not run then
        run = {}
        runs[#runs + 1] = run
      end
      run[#run + 1] = i
    else
      run = nil
    end
  end
  return runs
end

local function line_paths(series, opts, X, Y)
  local parts = {}
  for _, s in ipairs(series) do
    local d, dots = {}, {}
    for _, run in ipairs(runs_of(s, opts)) do
      for k, i in ipairs(run) do
        d[#d + 1] = string.format("%s%s %s", k == 1 and "M" or "L", svg.number(X(s.x[i])), svg.number(Y(s.y[i])))
      end
      -- A point with no neighbour to join gets a dot so it stays visible.
      if #run == 1 then
        dots[#dots + 1] = el("circle", { cx = X(s.x[run[1]]), cy = Y(s.y[run[1]]), r = 2.5, fill = s.color })
      end
    end
    parts[#parts + 1] = el("path", {
      class = "series", d = table.concat(d, " "), fill = "none", stroke = s.color,
      ["stroke-width"] = 2, ["stroke-dasharray"] = s.dash,
    }, el("title", {}, svg.text(s.name)))
    if #dots > 0 then
      parts[#parts + 1] = table.concat(dots)
    end
  end
  return table.concat(parts, "\n")
end

--- Line chart: opts.series = {{name=, x=, y=, color=, dash=}, ...};
-- title, xlabel, ylabel, logx, logy, xrange, yrange, width, height.
function plot.lines(opts)
  options(opts)
  local series = parse_series(opts.series, "series", "x", "y")
  local xaxis, yaxis = axes_for(opts, series)
  return xy_chart(opts, series, xaxis, yaxis, "line", function(X, Y)
    return line_paths(series, opts, X, Y)
  end)
end

--- Scatter plot, same options as lines; x values that are not numbers
-- (e.g. choice names) are placed on a categorical axis.
function plot.scatter(opts)
  options(opts)
  local series = parse_series(opts.series, "series", "x", "y", true)
  local categories = categorise(series)
  if categories and opts.logx then
    fail("logx needs numeric x values")
  end
  local xaxis, yaxis = axes_for(opts, series, categories, 0.05)
  return xy_chart(opts, series, xaxis, yaxis, "point", function(X, Y)
    local parts = {}
    for _, s in ipairs(series) do
      local points = {}
      for i = 1, #s.y do
        if valid(s.x[i], opts.logx) and valid(s.y[i], opts.logy) then
          local tip = string.format("%s: %s, %.6g", s.name,
            categories and categories[s.x[i]] or string.format("%.6g", s.x[i]), s.y[i])
          points[#points + 1] = el("circle", {
            class = "point", cx = X(s.x[i]), cy = Y(s.y[i]), r = 4, fill = s.color, ["fill-opacity"] = 0.75,
          }, el("title", {}, svg.text(tip)))
        end
      end
      parts[#parts + 1] = el("g", { class = "points" }, table.concat(points))
    end
    return table.concat(parts, "\n")
  end)
end

--- ROC curves: opts.curves = {{name=, fpr=, tpr=, auc=}, ...} on [0,1]^2
-- with the chance diagonal; the AUC, when given, is shown in the legend.
function plot.roc(opts)
  options(opts)
  local curves = parse_series(opts.curves, "curves", "fpr", "tpr")
  for i, c in ipairs(curves) do
    if c.auc ~= nil then
      if type(c.auc) ~= "number" then
        fail("curves[%d].auc must be a number", i)
      end
      c.name = string.format("%s (AUC %.3f)", c.name, c.auc)
    end
  end
  local chart = {
    title = opts.title or "ROC",
    xlabel = opts.xlabel or "false positive rate",
    ylabel = opts.ylabel or "true positive rate",
    width = opts.width,
    height = opts.height,
  }
  local unit = ticks.linear(0, 1)
  return xy_chart(chart, curves, unit, unit, "line", function(X, Y)
    local diagonal = el("path", {
      class = "diagonal", d = string.format("M%s %s L%s %s", svg.number(X(0)), svg.number(Y(0)),
        svg.number(X(1)), svg.number(Y(1))),
      stroke = "#999999", ["stroke-dasharray"] = "4 4", fill = "none",
    })
    return diagonal .. "\n" .. line_paths(curves, chart, X, Y)
  end)
end

-- White -> light blue -> navy for t in [0, 1].
local function heat_colour(t)
  local stops = { { 247, 251, 255 }, { 107, 174, 214 }, { 8, 48, 107 } }
  local s = t < 0.5 and 1 or 2
  local u = t < 0.5 and t * 2 or (t - 0.5) * 2
  local c = {}
  for k = 1, 3 do
    c[k] = math.floor(stops[s][k] + (stops[s + 1][k] - stops[s][k]) * u + 0.5)
  end
  return string.format("#%02x%02x%02x", c[1], c[2], c[3])
end

local function labels_or_numbers(labels, n, key)
  if labels == nil then
    return range_of(n)
  end
  labels = totable(labels)
  if type(labels) ~= "table" or #labels ~= n then
    fail("%s must be an array of %d labels", key, n)
  end
  return labels
end

local function formatter(fmt)
  if type(fmt) == "function" then
    return fmt
  elseif type(fmt) == "string" then
    return function(v)
      return string.format(fmt, v)
    end
  elseif fmt == nil then
    return function(v)
      return math.tointeger(v) and string.format("%d", v) or string.format("%.2f", v)
    end
  end
  fail("fmt must be a format string or a function")
end

--- Heatmap of a matrix (e.g. a confusion matrix: rows = true class):
-- title, matrix, row_labels, col_labels, fmt (format string or function
-- for the cell text), xlabel, ylabel.
function plot.heatmap(opts)
  options(opts)
  local m = totable(opts.matrix)
  if type(m) ~= "table" or #m == 0 or type(m[1]) ~= "table" then
    fail("matrix must be a non-empty 2-D array")
  end
  local rows, cols = #m, #m[1]
  for i = 1, rows do
    numbers(m[i], "matrix[" .. i .. "]")
    if #m[i] ~= cols then
      fail("matrix rows must have equal length (row %d)", i)
    end
  end
  local row_labels = labels_or_numbers(opts.row_labels, rows, "row_labels")
  local col_labels = labels_or_numbers(opts.col_labels, cols, "col_labels")
  local fmt = formatter(opts.fmt)
  local lo, hi = math.huge, -math.huge
  for i = 1, rows do
    for j = 1, cols do
      if valid(m[i][j]) then
        lo, hi = math.min(lo, m[i][j]), math.max(hi, m[i][j])
      end
    end
  end
  local cell = math.max(16, math.min(56, math.floor(420 / math.max(rows, cols))))
  local rotate = CHAR_WIDTH * longest(col_labels) > cell - 4
  local left = 12 + CHAR_WIDTH * longest(row_labels) + (opts.ylabel and 24 or 0)
  local top = opts.title and 40 or 16
  local col_label_height = rotate and math.floor(CHAR_WIDTH * longest(col_labels) * 0.75) + 16 or 20
  local width = math.max(left + cols * cell + 16, opts.title and CHAR_WIDTH * #tostring(opts.title) + 24 or 0)
  local height = top + rows * cell + col_label_height + (opts.xlabel and 24 or 0)
  local font = cell >= 28 and 12 or 9
  local parts = { el("rect", { x = 0, y = 0, width = width, height = height, fill = "white" }) }
  for i = 1, rows do
    for j = 1, cols do
      local v = m[i][j]
      local x, y = left + (j - 1) * cell, top + (i - 1) * cell
      local ok = valid(v)
      local t = ok and (hi > lo and (v - lo) / (hi - lo) or 0) or 0
      local tip = string.format("%s / %s: %s", tostring(row_labels[i]), tostring(col_labels[j]), ok and fmt(v) or "n/a")
      parts[#parts + 1] = el("rect", {
        class = "cell", x = x, y = y, width = cell, height = cell,
        fill = ok and heat_colour(t) or "#dddddd", stroke = "white",
      }, el("title", {}, svg.text(tip)))
      if ok then
        parts[#parts + 1] = el("text", {
          x = x + cell / 2, y = y + cell / 2, dy = "0.32em", ["text-anchor"] = "middle",
          ["font-size"] = font, fill = t > 0.55 and "white" or "#222222",
        }, svg.text(fmt(v)))
      end
    end
  end
  for i = 1, rows do
    parts[#parts + 1] = el("text", {
      x = left - 6, y = top + (i - 0.5) * cell, dy = "0.32em", ["text-anchor"] = "end",
    }, svg.text(row_labels[i]))
  end
  local label_y = top + rows * cell + 14
  for j = 1, cols do
    local x = left + (j - 0.5) * cell
    parts[#parts + 1] = rotate
        and el("text", {
          x = x, y = label_y, ["text-anchor"] = "end",
          transform = string.format("rotate(-45 %s %s)", svg.number(x), svg.number(label_y)),
        }, svg.text(col_labels[j]))
      or el("text", { x = x, y = label_y, ["text-anchor"] = "middle" }, svg.text(col_labels[j]))
  end
  if opts.title then
    parts[#parts + 1] = el("text", {
      x = width / 2, y = 24, ["text-anchor"] = "middle", ["font-size"] = 15, ["font-weight"] = "bold",
    }, svg.text(opts.title))
  end
  if opts.xlabel then
    parts[#parts + 1] = el("text", { x = left + cols * cell / 2, y = height - 8, ["text-anchor"] = "middle" },
      svg.text(opts.xlabel))
  end
  if opts.ylabel then
    local cy = top + rows * cell / 2
    parts[#parts + 1] = el("text", {
      x = 16, y = cy, ["text-anchor"] = "middle", transform = string.format("rotate(-90 16 %s)", svg.number(cy)),
    }, svg.text(opts.ylabel))
  end
  return svg.document(width, height, table.concat(parts, "\n"))
end

--- Per-label precision, recall, F1 and AUC of a multi-label classifier (the
-- second value of mien.metrics.multilabel_report), one column of points per
-- label (e.g. per action unit).
-- @tparam table report {names=, precision=, recall=, f1=, auc=}
-- @tparam[opt] table opts title ("per-label scores"), xlabel, width, height
-- @treturn string the SVG
function plot.multilabel(report, opts)
  opts = opts or {}
  if type(report) ~= "table" or type(report.names) ~= "table" or type(report.f1) ~= "table" then
    fail("multilabel: expected the table of metrics.multilabel_report")
  end
  local series = {}
  for _, key in ipairs { "precision", "recall", "f1", "auc" } do
    if report[key] then series[#series + 1] = { name = key, x = { table.unpack(report.names) }, y = report[key] } end
  end
  return plot.scatter { title = opts.title or "per-label scores", xlabel = opts.xlabel or "label", ylabel = "score",
    yrange = { 0, 1 }, width = opts.width, height = opts.height, series = series }
end

--- Write an SVG string to path atomically (path..".tmp", then rename).
function plot.save(svg_text, path)
  if type(svg_text) ~= "string" or not svg_text:find("^%s*<svg") then
    fail("expected an SVG string as the first argument")
  end
  if type(path) ~= "string" or path == "" then
    fail("path must be a non-empty string")
  end
  fs.write_atomic(path, svg_text)
  return path
end

return args.module("plot", plot)
