-- Helpers shared by the specs:
--   local H = require "spec.support.helpers"
-- (busted runs from the project root, and .busted puts ./?.lua on the path).
-- A required module sees the plain globals, so busted's assert comes from luassert.
local assert = require "luassert"

local M = {}

-- tensors ------------------------------------------------------------------

-- The elements of a tensor as one flat list, in row-major order.
function M.flat(t)
  local out = {}
  local function walk(x)
    if type(x) == "table" then
      for _, v in ipairs(x) do walk(v) end
    else
      out[#out + 1] = x
    end
  end
  walk(t:totable())
  return out
end

-- The number of elements of a shape (a list of sizes).
function M.numel(shape)
  local n = 1
  for _, s in ipairs(shape) do n = n * s end
  return n
end

-- Two flat lists agree element by element: |a - e| <= tol * (1 + |e|), tol
-- 1e-5 by default; an expected NaN wants a NaN and an expected infinity the
-- same infinity. `what` names the comparison in the messages.
function M.assert_close(actual, expected, tol, what)
  tol = tol or 1e-5
  assert.are.equal(#expected, #actual, (what or "") .. ": number of elements")
  for i = 1, #expected do
    local a, e = actual[i], expected[i]
    if e ~= e then
      assert.is_true(a ~= a, string.format("%s: element %d is %s, expected nan", what or "", i, tostring(a)))
    elseif math.abs(e) == math.huge then
      assert.are.equal(e, a, string.format("%s: element %d", what or "", i))
    else
      local ok = math.abs(a - e) <= tol * (1 + math.abs(e))
      assert.is_true(ok, string.format("%s: element %d is %.9g, expected %.9g", what or "", i, a, e))
    end
  end
end

-- strings ------------------------------------------------------------------

-- How many times the Lua pattern occurs in s.
function M.count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do
    n = n + 1
  end
  return n
end

-- s as one word for a POSIX shell.
function M.shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- files and directories ------------------------------------------------------

-- A new empty directory under the system temp dir (mktemp -d).
function M.tmpdir()
  local p = assert(io.popen("mktemp -d"))
  local dir = p:read("l")
  p:close()
  return assert(dir, "mktemp -d failed")
end

-- mkdir -p
function M.mkdir(path)
  assert(os.execute("mkdir -p " .. M.shell_quote(path)))
end

-- rm -rf
function M.remove_dir(path)
  os.execute("rm -rf " .. M.shell_quote(path))
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The whole file; an error if it cannot be opened.
function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The whole file, or nil if it cannot be opened.
function M.read_file_or_nil(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local s = f:read("a")
  f:close()
  return s
end

function M.write_file(path, content)
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
end

-- Whether ../shared (data, weights, reference outputs) sits beside the repo;
-- `file` names one file under it that the spec needs.
M.SHARED = "../shared"
function M.has_shared(file)
  local f = io.open(M.SHARED .. "/" .. file, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The worst row of ||y_i - r_i|| / ||r_i||, in float64.
function M.rel_rows(y, r)
  assert.are.same(r:shape(), y:shape())
  local worst = 0
  for i = 1, r:size(1) do
    local yi, ri = y[i]:double(), r[i]:double()
    worst = math.max(worst, ((yi - ri):pow(2):sum():sqrt() / ri:pow(2):sum():sqrt()):item())
  end
  return worst
end

-- memory -------------------------------------------------------------------

-- Two full collections: the second frees what the first one's finalizers released.
function M.full_gc()
  collectgarbage()
  collectgarbage()
end

-- Runs f and checks that live tensors and bytes in use are back where they
-- started once garbage is collected.
function M.no_leak(what, f)
  local mien = require "mien"
  M.full_gc()
  local tensors, bytes = mien.live_tensors(), mien.bytes_in_use()
  f()
  M.full_gc()
  assert.are.equal(tensors, mien.live_tensors(), what .. ": live tensors")
  assert.are.equal(bytes, mien.bytes_in_use(), what .. ": bytes in use")
end

-- Lua's own messages, also when a pcall caught one and raised it again as its own.
local RUNTIME = { "attempt to index ", "attempt to call ", "attempt to perform arithmetic ", "attempt to compare ",
  "attempt to concatenate ", "attempt to get length ", "bad argument #" }
local function lua_runtime_message(msg)
  for _, m in ipairs(RUNTIME) do
    if msg:find(m, 1, true) then return true end
  end
  return false
end

-- Runs f(...) and returns the error with its traceback when it is Lua's own
-- (a Lua runtime error, a library function's bad argument: a check the code
-- lacks); nil when f succeeds or raises an error of its own (error, assert,
-- luaL_error). The check tests/fuzz/fuzz_lua.c makes.
function M.runtime_error(f, ...)
  local internal
  local ok, err = xpcall(f, function(msg)
    local info = debug.getinfo(2, "S") -- the function that raised: Lua code, or error/assert (C)
    internal = type(msg) ~= "string" or (info and info.what == "Lua") or lua_runtime_message(msg)
    return debug.traceback(tostring(msg), 2)
  end, ...)
  if ok or not internal then return nil end
  return err
end

return M
