--- Escaping of text placed in XML/HTML (SVG labels, report cells).
local escape = {}

local entities = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

function escape.xml(s)
  return (tostring(s):gsub("[&<>\"']", entities))
end

return escape
