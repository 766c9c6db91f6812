--- The board page's CSS.
return [==[
:root { --bg: #f4f5f7; --panel: #fff; --ink: #1c2230; --muted: #697386; --line: #e2e5ea; --soft: #f0f2f5;
  --accent: #3b63c9; --top: #141925; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
header.top { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 18px;
  padding: 10px 24px; background: var(--top); color: #e6e9f0; box-shadow: 0 1px 3px rgba(0,0,0,.25); }
.brand { font-size: 15px; font-weight: 650; letter-spacing: .01em; white-space: nowrap; }
.brand .mark { color: #8fb0ff; }
.meta { color: #98a1b5; white-space: nowrap; }
.live { color: #7ee2a8; }
.controls { margin-left: auto; display: flex; align-items: center; gap: 16px; }
.controls label { display: flex; align-items: center; gap: 7px; color: #b8c0d0; }
.controls select, .controls input[type=search] { background: #222a3a; color: #eef1f7; border: 1px solid #343e53;
  border-radius: 5px; padding: 4px 8px; font: inherit; }
.controls input[type=search] { width: 220px; }
.controls input[type=range] { width: 110px; accent-color: #8fb0ff; }
.controls output { width: 32px; color: #eef1f7; font-variant-numeric: tabular-nums; }
main { padding: 16px 24px 48px; max-width: 1680px; margin: 0 auto; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 16px;
  overflow: hidden; }
section.panel > h2 { margin: 0; padding: 9px 14px; font-size: 11.5px; font-weight: 650; letter-spacing: .07em;
  text-transform: uppercase; color: var(--muted); border-bottom: 1px solid var(--line); display: flex;
  align-items: center; gap: 12px; }
h2 .note { text-transform: none; letter-spacing: 0; font-weight: 400; }
h2 .actions { margin-left: auto; display: flex; gap: 6px; }
button.small { font: inherit; font-size: 11.5px; text-transform: none; letter-spacing: 0; color: var(--ink);
  background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; cursor: pointer; }
button.small:hover { border-color: #c5cbd6; }
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); }
.chart { padding: 8px 10px 4px; border-right: 1px solid var(--line); border-bottom: 1px solid var(--line);
  min-width: 0; }
.chart:nth-child(3n) { border-right: 0; }
.chart h3 { margin: 2px 4px 2px; font-size: 12.5px; font-weight: 600; }
.chart h3 small { color: var(--muted); font-weight: 400; }
.chart svg { display: block; width: 100%; height: auto; }
svg text { font-size: 10.5px; fill: #7a8293; }
svg .axis line, svg .axis path { stroke: #c9ced7; }
svg .grid line { stroke: #eef0f3; }
path.curve { fill: none; stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round; }
g.many path.curve { stroke-width: 1; opacity: .6; }
path.curve.faded, g.many path.curve.faded { opacity: .1; }
path.curve.hl, g.many path.curve.hl { stroke-width: 3.2; opacity: 1; }
.legend { padding: 10px 12px; overflow: auto; max-height: 300px; align-content: flex-start; display: flex;
  flex-wrap: wrap; gap: 5px; }
.chip { display: inline-flex; align-items: center; gap: 6px; font: inherit; font-size: 12px; color: var(--ink);
  background: #fff; border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px 2px 6px;
  cursor: pointer; max-width: 100%; }
.chip i { width: 10px; height: 10px; border-radius: 50%; flex: none; }
.chip span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chip.off { color: #a3a9b5; background: var(--soft); }
.chip.off i { background: #d0d4db !important; }
.chip.hl { border-color: var(--ink); }
.constants { padding: 8px 14px; color: var(--muted); border-bottom: 1px solid var(--line); }
.constants b { color: var(--ink); font-weight: 600; }
.table-wrap { max-height: 520px; overflow: auto; }
table.runs { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.runs th { position: sticky; top: 0; z-index: 1; background: #f8f9fb; text-align: left; font-weight: 600;
  color: #3a4252; padding: 6px 10px; border-bottom: 1px solid var(--line); cursor: pointer; white-space: nowrap;
  user-select: none; }
table.runs th.metric { background: #f3f6fd; }
table.runs th:hover { color: var(--accent); }
table.runs th .arrow { color: var(--accent); margin-left: 3px; }
table.runs td { padding: 5px 10px; border-bottom: 1px solid #f0f1f4; white-space: nowrap; }
table.runs td.num { text-align: right; }
table.runs td.name { font-weight: 550; }
table.runs td.name i { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 7px; }
table.runs tbody tr { cursor: pointer; }
table.runs tbody tr:hover td { background: #f6f8fd; }
table.runs tbody tr.hl td { background: #e7eefc; }
table.runs tbody tr.off td { color: #a3a9b5; }
td.best { color: #1b7f4b; font-weight: 600; }
.sweeps { padding: 12px 14px; display: grid; gap: 14px; }
.sweep h3, .errors h3 { margin: 0 0 6px; font-size: 13px; font-weight: 600; }
.sweep h3 small, .errors h3 small { color: var(--muted); font-weight: 400; margin-left: 6px; }
.sweep-row { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; }
.pc path.trial { fill: none; stroke-width: 1.6; opacity: .85; }
.pc path.trial.dim { stroke: #dfe2e7 !important; opacity: .5; }
.pc path.trial.best { stroke-width: 3; }
.pc rect.brush { fill: rgba(59, 99, 201, .14); stroke: var(--accent); }
.pc rect.hit { fill: transparent; cursor: crosshair; }
.pc .axis-name { font-size: 11.5px; fill: var(--ink); font-weight: 600; }
.scatters { display: flex; flex-wrap: wrap; gap: 8px; align-content: flex-start; }
.scatters svg, #best-so-far { max-width: 100%; height: auto; }
circle.dot { stroke: #fff; stroke-width: .8; }
.errors { padding: 12px 14px; display: grid; gap: 16px; }
.pickers { display: flex; gap: 18px; align-items: center; flex-wrap: wrap; color: var(--muted); }
.pickers select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; max-width: 360px; }
.cms { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; }
table.cm { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 12px; }
table.cm th { font-weight: 500; color: var(--muted); padding: 3px 6px; text-align: center; }
table.cm th.row { text-align: right; }
table.cm td { width: 54px; height: 34px; text-align: center; border: 1px solid #fff; }
table.cm td.diag { outline: 1.5px solid rgba(27, 127, 75, .55); outline-offset: -2px; }
.cm-axis { color: var(--muted); font-size: 11.5px; margin: 4px 0; }
.mistakes { display: grid; grid-template-columns: 110px 1fr; gap: 6px 12px; align-items: center; }
.mistakes .cls { text-align: right; font-weight: 600; }
.mistakes .cls small { display: block; color: var(--muted); font-weight: 400; }
.thumbs { display: flex; gap: 8px; flex-wrap: wrap; }
figure.thumb { margin: 0; text-align: center; font-size: 11px; color: var(--muted); }
figure.thumb img, figure.thumb .noimg { width: 64px; height: 64px; image-rendering: pixelated; border-radius: 4px;
  display: block; background: var(--soft); }
figure.thumb figcaption b { color: #b03a2e; font-weight: 600; }
.empty { padding: 14px; color: var(--muted); }
.noscript { padding: 24px; }
@media (max-width: 1100px) { .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .sweep-row, .cms { grid-template-columns: 1fr; } .controls input[type=search] { width: 140px; } }
]==]
