--- Self-contained HTML pieces for reports: page shell with inline CSS,
-- escaped tables and value formatting.
local escape = require "mien.util.escape"

local html = {}

local CSS = [[
body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #eef7ee; }
pre { background: #f7f7f7; padding: 10px; font-size: 12px; overflow-x: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.muted { color: #777; font-size: 13px; }
]]

html.escape = escape.xml

--- Short human-readable text for a value: integers as is, other numbers
-- with 6 significant digits, arrays of scalars joined by commas.
function html.value(v)
  if type(v) == "number" then
    if math.tointeger(v) and math.abs(v) < 1e15 then
      return string.format("%d", v)
    end
    return string.format("%.6g", v)
  elseif type(v) == "table" then
    local items = {}
    for i, x in ipairs(v) do
      items[i] = html.value(x)
    end
    return table.concat(items, ", ")
  end
  return tostring(v)
end

--- Flatten nested tables into sorted {key, value} pairs with dotted keys;
-- arrays of scalars stay whole.
function html.flatten(t, prefix, out)
  out = out or {}
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(keys) do
    local v = t[k]
    local key = prefix and prefix .. "." .. tostring(k) or tostring(k)
    local scalar_array = type(v) == "table" and #v > 0 and type(v[1]) ~= "table"
    if type(v) == "table" and not scalar_array then
      html.flatten(v, key, out)
    elseif type(v) ~= "function" and type(v) ~= "userdata" then
      out[#out + 1] = { key, v }
    end
  end
  return out
end

--- Table with a header row; cells are values (escaped, numbers
-- right-aligned). opts.highlight = row index to mark.
function html.table(header, rows, opts)
  opts = opts or {}
  local out = { "<table>", "<tr>" }
  for _, h in ipairs(header) do
    out[#out + 1] = "<th>" .. html.escape(h) .. "</th>"
  end
  out[#out + 1] = "</tr>"
  for i, row in ipairs(rows) do
    out[#out + 1] = i == opts.highlight and '<tr class="best">' or "<tr>"
    for j = 1, #header do
      local v = row[j]
      local class = type(v) == "number" and ' class="num"' or ""
      out[#out + 1] = "<td" .. class .. ">" .. html.escape(v == nil and "" or html.value(v)) .. "</td>"
    end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</table>"
  return table.concat(out, "\n")
end

--- A two-column key/value table of a (nested) Lua table.
-- @tparam table t
-- @treturn string HTML
function html.key_values(t)
  return html.table({ "key", "value" }, html.flatten(t))
end

--- A section with a heading.
-- @tparam string title
-- @tparam string body HTML
-- @treturn string HTML
function html.section(title, body)
  return "<section>\n<h2>" .. html.escape(title) .. "</h2>\n" .. body .. "\n</section>"
end

--- SVG strings side by side.
function html.charts(svgs)
  local out = {}
  for i, s in ipairs(svgs) do
    out[i] = '<div class="chart">\n' .. s .. "</div>"
  end
  return '<div class="charts">\n' .. table.concat(out, "\n") .. "\n</div>"
end

--- Preformatted, escaped text.
-- @tparam string text
-- @treturn string HTML
function html.pre(text)
  return "<pre>" .. html.escape(text) .. "</pre>"
end

--- A complete standalone HTML page.
-- @tparam string title
-- @tparam string subtitle
-- @tparam {string,...} sections HTML of each section
-- @treturn string HTML
function html.page(title, subtitle, sections)
  return table.concat({
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    "<title>" .. html.escape(title) .. "</title>",
    "<style>\n" .. CSS .. "</style>",
    "</head>",
    "<body>",
    "<h1>" .. html.escape(title) .. "</h1>",
    '<p class="muted">' .. html.escape(subtitle) .. "</p>",
    table.concat(sections, "\n"),
    "</body>",
    "</html>",
    "",
  }, "\n")
end

return html
