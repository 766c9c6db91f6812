--- mien examples [NAME] [--dir DIR] [--force]: list the example scripts, or copy one
-- (with the modules it loads, such as fer_cnn.lua) into the current folder.
-- The examples come from the checkout's examples/ or, once installed as a
-- rock, from mien's module folder (share/lua/5.4/mien/examples/).
local fs = require "mien.util.fs"

local M = {}

--- The folder holding the examples: installed beside mien's modules, or a
-- checkout's examples/ (two levels above lua/mien/).
-- @treturn string|nil the folder ("/" at the end), or nil when there is none
function M.folder()
  local init = package.searchpath("mien", package.path)
  local mien_dir = init and init:match("^(.*/)init%.lua$")
  if not mien_dir then return nil end
  for _, dir in ipairs { mien_dir .. "examples/", mien_dir .. "../../examples/" } do
    if fs.exists(dir .. "quickstart.lua") then return dir end
  end
  return nil
end

--- The examples in a folder: {name=, file=, summary=} sorted by name, the summary
-- being the first line of the script's leading comment.
-- @tparam string dir the folder
-- @treturn {table,...}
function M.list(dir)
  local names = require("mien.core").listdir(dir)
  local out = {}
  for _, file in ipairs(names) do
    local name = file:match("^(.+)%.lua$")
    if name then
      local text = fs.read(dir .. file) or ""
      out[#out + 1] = { name = name, file = file, summary = text:match("^%-%-+%s*([^\n]*)") or "" }
    end
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

--- The files an example needs: itself and the sibling scripts it loads
-- (dofile(here .. "/NAME.lua")).
-- @tparam string dir the examples folder
-- @tparam string file the example's file name
-- @treturn {string,...} file names
function M.needs(dir, file)
  local files, seen = { file }, { [file] = true }
  local text = fs.read(dir .. file) or ""
  for other in text:gmatch('"/([%w_%-]+%.lua)"') do
    if not seen[other] and fs.exists(dir .. other) then
      seen[other] = true
      files[#files + 1] = other
    end
  end
  return files
end

local function main(a)
  local dir = M.folder()
  if not dir then error("examples: no examples found beside mien's modules (" .. package.path .. ")", 0) end
  local examples = M.list(dir)
  if not a.name then
    local width = 0
    for _, e in ipairs(examples) do width = math.max(width, #e.name) end
    for _, e in ipairs(examples) do print(string.format("%-" .. width .. "s  %s", e.name, e.summary)) end
    print("\n`mien examples NAME` copies one into the current folder; then `mien run NAME.lua --help`.")
    return
  end
  local name = a.name:gsub("%.lua$", "")
  local known = {}
  for _, e in ipairs(examples) do known[#known + 1] = e.name end
  if not fs.exists(dir .. name .. ".lua") then
    error(string.format("examples: no example '%s' (there are: %s)", name, table.concat(known, ", ")), 0)
  end
  local dest = (a.dir or "."):gsub("/$", "") .. "/"
  local files = M.needs(dir, name .. ".lua")
  for _, file in ipairs(files) do
    if fs.exists(dest .. file) and not a.force then
      error(string.format("examples: %s%s exists (--force overwrites it)", dest, file), 0)
    end
  end
  for _, file in ipairs(files) do
    fs.write_atomic(dest .. file, assert(fs.read(dir .. file)))
    print("wrote " .. dest .. file)
  end
  print(string.format("run it: mien run %s%s.lua --help", dest == "./" and "" or dest, name))
end

return {
  summary = "List the example scripts, or copy one into the current folder.",
  configure = function(command)
    command:argument("name", "The example to copy (e.g. quickstart); none: list them."):args("?")
    command:option("--dir", "Folder to copy into (default: the current one).")
    command:flag("--force", "Overwrite files that exist.")
  end,
  main = main,
  folder = M.folder,
  list = M.list,
  needs = M.needs,
}
