-- Errors keep their place: `mien run`/`mien train` show the user's file and
-- line, an error raised inside mien stays one clean line (at the user's line
-- that led to it), and --traceback shows the whole stack.
local H = require "spec.support.helpers"

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  local code = tonumber(out:match("exit=(%d+)%s*$"))
  return code, out:gsub("exit=%d+%s*$", "")
end

local function lines_of(s)
  local out = {}
  for l in s:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

describe("errors of the mien command", function()
  local dir = H.tmpdir()
  local function script(name, body)
    local path = dir .. "/" .. name
    H.write_file(path, body)
    return path
  end

  it("an error in the user's own code keeps the script's file and line", function()
    local path = script("user_bug.lua", "local mien = require 'mien'\nlocal x\nprint(x.field)\n")
    local code, out = run("scripts/mien run " .. path)
    assert.are.equal(1, code)
    assert.are.same({ "mien: " .. path .. ":3: attempt to index a nil value (local 'x')" }, lines_of(out))
  end)

  it("an error in a module of the user's keeps that module's file and line", function()
    script("helper_mod.lua", "return { go = function() error('bad helper input') end }\n")
    local path = script("uses_mod.lua", "package.path = '" .. dir .. "/?.lua;' .. package.path\n"
      .. "require('helper_mod').go()\n")
    local code, out = run("scripts/mien train " .. path)
    assert.are.equal(1, code)
    assert.are.same({ "mien: " .. dir .. "/helper_mod.lua:1: bad helper input" }, lines_of(out))
  end)

  it("a wrong argument to mien is one line at the user's call", function()
    local path = script("bad_arg.lua", "local mien = require 'mien'\n"
      .. "local ds = mien.data.synthetic_faces { n = 14, size = 16 }\n"
      .. "local train, val = mien.data.stratified_split(ds, 0.2)\n")
    local code, out = run("scripts/mien run " .. path)
    assert.are.equal(1, code)
    assert.are.same({ "mien: " .. path
      .. ":3: stratified_split: argument 2 must be an options table {val=, seed=}, got number 0.2" }, lines_of(out))
  end)

  it("an error raised inside mien's modules or C shows no mien file, only the user's line", function()
    local path = script("inner.lua", "local mien = require 'mien'\n"
      .. "local ds = mien.data.synthetic_faces { n = 14, size = 16 }\n"
      .. "local function folds() local f = mien.data.kfold(ds, 100); return f end\n"
      .. "folds()\n"
      .. "\n")
    local code, out = run("scripts/mien run " .. path)
    assert.are.equal(1, code)
    assert.are.same({ "mien: " .. path .. ":3: kfold: k must be between 2 and the number of samples" }, lines_of(out))

    path = script("inner_c.lua", "local mien = require 'mien'\nlocal y = mien.zeros(2, 3):matmul(mien.zeros(2, 3))\n")
    code, out = run("scripts/mien run " .. path)
    assert.are.same({ "mien: " .. path .. ":2: matmul: shapes [2,3] and [2,3] do not match" }, lines_of(out))
  end)

  it("--traceback adds the whole stack, mien's frames included", function()
    local path = dir .. "/inner.lua"
    for _, cmd in ipairs { "scripts/mien run --traceback " .. path, "scripts/mien --traceback run " .. path } do
      local code, out = run(cmd)
      assert.are.equal(1, code)
      local l = lines_of(out)
      assert.are.equal("mien: " .. path .. ":3: kfold: k must be between 2 and the number of samples", l[1])
      assert.truthy(out:find("stack traceback:", 1, true), out)
      assert.truthy(out:find("mien/data/split.lua:%d+: in function"), out)
      assert.truthy(out:find(path .. ":3: in", 1, true), out)
    end
  end)

  it("arguments after the script stay the script's, --traceback included", function()
    local path = script("echo.lua", "print(table.concat(arg, ' '))\n")
    local code, out = run("scripts/mien run " .. path .. " --traceback x")
    assert.are.equal(0, code, out)
    assert.are.equal("--traceback x\n", out)
  end)

  teardown(function() H.remove_dir(dir) end)
end)
