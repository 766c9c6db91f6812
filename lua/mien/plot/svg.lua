--- Minimal SVG element writer: attributes in sorted order, numbers rounded
-- to 0.01 px, text escaped.
local escape = require "mien.util.escape"

local svg = {}

local function value(v)
  if type(v) == "number" then
    local s = string.format("%.2f", v):gsub("%.?0+$", "")
    return s == "-0" and "0" or s
  end
  return escape.xml(v)
end

--- <name attrs...>body</name>, or self-closing when body is nil. body is
-- raw markup: escape text with svg.text.
function svg.el(name, attrs, body)
  local keys = {}
  for k in pairs(attrs or {}) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local parts = { "<" .. name }
  for _, k in ipairs(keys) do
    parts[#parts + 1] = string.format(' %s="%s"', k, value(attrs[k]))
  end
  if body == nil then
    return table.concat(parts) .. "/>"
  end
  return table.concat(parts) .. ">" .. body .. "</" .. name .. ">"
end

--- Text escaped for SVG.
-- @param s
-- @treturn string
function svg.text(s)
  return escape.xml(s)
end

svg.number = value

--- A whole SVG document of the given size around body.
-- @tparam number width pixels
-- @tparam number height pixels
-- @tparam string body SVG elements
-- @treturn string
function svg.document(width, height, body)
  return svg.el("svg", {
    xmlns = "http://www.w3.org/2000/svg",
    width = width,
    height = height,
    viewBox = string.format("0 0 %s %s", value(width), value(height)),
    ["font-family"] = "Helvetica, Arial, sans-serif",
    ["font-size"] = 12,
  }, "\n" .. body .. "\n") .. "\n"
end

return svg
