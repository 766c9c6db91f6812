--- Helpers the data-set loaders share for reading a release's own layout:
-- joining paths, listing folders, reading text files, and refusing file
-- names (from inside the data) that would leave their folder.
local core = require "mien.core"

local layout = {}

--- dir/name, without doubling the slash.
-- @string a a folder
-- @string b a name inside it
-- @treturn string the joined path
function layout.join(a, b) return a:sub(-1) == "/" and a .. b or a .. "/" .. b end

--- Whether path is a directory.
-- @string path a path
-- @treturn bool
function layout.is_dir(path) return core.is_dir(path) end

--- Whether path can be opened for reading.
-- @string path a path
-- @treturn bool
function layout.is_file(path)
  local f = io.open(path, "rb")
  if not f then return false end
  f:close()
  return not core.is_dir(path)
end

--- The sub-folders and files of dir (sorted; names starting with "." left out).
-- @string dir a folder
-- @treturn {string,...} folder names
-- @treturn {string,...} file names
function layout.list(dir)
  local names, dirs = core.listdir(dir)
  local folders, files = {}, {}
  for i, name in ipairs(names) do
    if name:sub(1, 1) ~= "." then
      if dirs[i] then folders[#folders + 1] = name else files[#files + 1] = name end
    end
  end
  return folders, files
end

--- The lines of a text file (CR and a UTF-8 BOM removed), or nil and the reason.
-- @string path the file
-- @treturn {string,...} lines
function layout.lines(path)
  local f, err = io.open(path, "r")
  if not f then return nil, err end
  local out = {}
  for line in f:lines() do out[#out + 1] = line:gsub("\r$", "") end
  f:close()
  if out[1] then out[1] = out[1]:gsub("^\239\187\191", "") end
  return out
end

--- Splits one CSV line into fields (double quotes group commas; "" is a quote).
-- @string line the line
-- @treturn {string,...} the fields, spaces around them trimmed
function layout.csv_fields(line)
  local fields, i, n = {}, 1, #line
  while i <= n + 1 do
    local field
    if line:sub(i, i) == '"' then
      local parts, j = {}, i + 1
      while true do
        local q = line:find('"', j, true)
        if not q then return nil end -- an unterminated quote
        parts[#parts + 1] = line:sub(j, q - 1)
        if line:sub(q + 1, q + 1) == '"' then
          parts[#parts + 1] = '"'
          j = q + 2
        else
          i = q + 1
          break
        end
      end
      field = table.concat(parts)
      local comma = line:find(",", i, true)
      i = (comma or n + 1) + 1
    else
      local comma = line:find(",", i, true) or n + 1
      field = line:sub(i, comma - 1)
      i = comma + 1
    end
    fields[#fields + 1] = field:gsub("^%s+", ""):gsub("%s+$", "")
  end
  return fields
end

--- Whether a relative file name from inside a data set stays in its folder
-- (not absolute, no ".." component, not empty).
-- @string name the name as written in the data set's files
-- @treturn bool
function layout.is_inside(name)
  if name == "" or name:sub(1, 1) == "/" then return false end
  for part in name:gmatch("[^/\\]+") do
    if part == ".." then return false end
  end
  return true
end

return layout
