--- The board as one self-contained HTML page: inline CSS, inline script and
-- the data as JSON; nothing is fetched, so it works from file://.
local json = require "mien.util.json"
local escape = require "mien.util.escape"
local style = require "mien.board.style"
local script = require "mien.board.script"

local page = {}

--- The HTML of a board.
-- @tparam table d the result of `mien.board.data.build`
-- @return the page as a string
function page.html(d)
  -- "<" only occurs inside JSON strings, where \u003c reads back the same;
  -- so no "</script>" in the data can end the script element.
  local payload = json.encode(d):gsub("<", "\\u003c")
  return table.concat({
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. escape.xml(d.title) .. "</title>",
    "<style>\n" .. style .. "</style>",
    "</head>",
    "<body>",
    '<script type="application/json" id="board-data">' .. payload .. "</script>",
    '<noscript><p class="noscript">This board draws its charts with JavaScript; please enable it.</p></noscript>',
    "<script>\n" .. script .. "</script>",
    "</body>",
    "</html>",
    "",
  }, "\n")
end

return page
