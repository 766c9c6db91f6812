--- Escaping of text placed in XML/HTML (SVG labels, report cells).
local escape = {}

local entities = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

--- s with & < > " ' as XML entities.
-- @param s (tostring is applied)
-- @treturn string
function escape.xml(s)
  return (tostring(s):gsub("[&<>\"']", entities))
end

return escape
