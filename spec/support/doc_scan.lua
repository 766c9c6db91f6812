-- Finds the public functions of a Lua module file and whether each has an
-- LDoc doc comment; spec/docs_spec.lua runs it over every file under lua/mien.
--
-- "Public" here, read from the source text:
--   * a function defined at the start of a line (no indentation, so at the
--     file's top level) into a table field:
--       function T.name(...)    function T:name(...)    function T.a.name(...)
--       T.name = function(...)
--     that is, the functions of a module's table and the methods of its
--     classes, whatever the tables are called;
--   * except names whose last part starts with "_" (private by convention).
-- `local function f` and functions nested in other code are private.
-- A doc comment is the comment block right above the definition (no blank
-- line between) whose first line starts with exactly three dashes ("--- ...")
-- or is "--[[--" (LDoc's block form).
-- A module comment is the same kind of block before the file's first code line.
local M = {}

local DEF_PATTERNS = {
  "^function%s+([%a_][%w_]*[%.:][%w_%.:]+)%s*%(",
  "^([%a_][%w_]*%.[%w_%.]+)%s*=%s*function%s*%(",
}

-- "--- text", "---" or "---@tag" (not a "----" rule), or LDoc's "--[[--" block.
local function is_doc_start(line)
  return line:match("^%-%-%-[^%-]") ~= nil or line == "---" or line:match("^%-%-%[%[%-%-") ~= nil
end

-- The public function definitions of `source`: a list of {name=, line=, documented=}.
function M.functions(source)
  local lines = {}
  for line in (source .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  -- comment[i]: line i is (part of) a comment; skip[i]: inside a long string or
  -- a block comment ("[[ ... ]]" over several lines), where nothing is code
  -- block[i]: the first line of the "--[[ ]]" block comment holding line i
  local comment, skip, block = {}, {}, {}
  local close -- the closing bracket of the long string/comment we are in
  for i, line in ipairs(lines) do
    if close then
      skip[i], comment[i], block[i] = true, close.start ~= nil, close.start
      if line:find(close.text, 1, true) then close = nil end
    else
      local eq = line:match("^%s*%-%-%[(=*)%[")
      if eq then
        comment[i], block[i] = true, i
        if not line:find("]" .. eq .. "]", 1, true) then close = { text = "]" .. eq .. "]", start = i } end
      else
        comment[i] = line:match("^%s*%-%-") ~= nil
        local open = not comment[i] and line:match("%[(=*)%[")
        if open and not line:find("]" .. open .. "]", 1, true) then close = { text = "]" .. open .. "]" } end
      end
    end
  end
  local found = {}
  for i, line in ipairs(lines) do
    local name
    if not skip[i] then
      for _, p in ipairs(DEF_PATTERNS) do name = name or line:match(p) end
    end
    if name and not name:match("[%.:]_[%w_]*$") then
      -- the comment block right above the definition: a "--[[ ]]" block, or
      -- the run of "--" lines
      local j, first = i - 1, nil
      if j >= 1 and block[j] then
        first = block[j]
      else
        while j >= 1 and comment[j] and not block[j] do first = j; j = j - 1 end
      end
      found[#found + 1] = { name = name, line = i, documented = first ~= nil and is_doc_start(lines[first]) }
    end
  end
  return found
end

-- Whether `source` starts (after a shebang and blank lines) with a doc comment.
function M.has_module_comment(source)
  for line in (source .. "\n"):gmatch("([^\n]*)\n") do
    if not line:match("^#!") and line:match("%S") then return is_doc_start(line) end
  end
  return false
end

-- Every .lua file under `dir`, sorted.
function M.lua_files(dir)
  local p = assert(io.popen("find '" .. dir .. "' -name '*.lua' -type f | LC_ALL=C sort"))
  local files = {}
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  return files
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The undocumented public functions and modules of the files under `dir`:
-- a list of "file:line: name" strings ("file:1: module comment" for a module).
function M.undocumented(dir)
  local missing = {}
  for _, path in ipairs(M.lua_files(dir)) do
    local source = read(path)
    if not M.has_module_comment(source) then missing[#missing + 1] = path .. ":1: module comment" end
    for _, fn in ipairs(M.functions(source)) do
      if not fn.documented then missing[#missing + 1] = string.format("%s:%d: %s", path, fn.line, fn.name) end
    end
  end
  return missing
end

return M
