--- Render rows of cells as an aligned plain-text table (used by the
-- classification report, the confusion matrix printout and sweep results).
local text_table = {}

-- Display width: characters, not bytes (cells may hold "±").
local function width(s)
  return utf8.len(s) or #s
end

--- rows: array of arrays of cells (tostring'd); an empty row gives a blank
-- line. opts.align: string of "l"/"r" per column (default: first column
-- left, the rest right). opts.gap: spaces between columns (default 2).
function text_table.render(rows, opts)
  opts = opts or {}
  local gap = string.rep(" ", opts.gap or 2)
  local widths = {}
  for _, row in ipairs(rows) do
    for j, cell in ipairs(row) do
      widths[j] = math.max(widths[j] or 0, width(tostring(cell)))
    end
  end
  local lines = {}
  for _, row in ipairs(rows) do
    local cells = {}
    for j, cell in ipairs(row) do
      local align = opts.align and opts.align:sub(j, j) or (j == 1 and "l" or "r")
      local text = tostring(cell)
      local pad = string.rep(" ", widths[j] - width(text))
      cells[j] = align == "l" and text .. pad or pad .. text
    end
    lines[#lines + 1] = (table.concat(cells, gap):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n") .. "\n"
end

return text_table
