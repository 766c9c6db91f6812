-- `mien examples` lists the example scripts and copies one, with the
-- scripts it loads, into the current folder; the rock installs them.
local H = require "spec.support.helpers"

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

local ROOT = io.popen("pwd"):read("l")

describe("mien examples", function()
  local dir = H.tmpdir()
  teardown(function() H.remove_dir(dir) end)

  it("lists every script of examples/ with its summary", function()
    local code, out = run("scripts/mien examples")
    assert.are.equal(0, code, out)
    local p = io.popen("ls examples/*.lua")
    local n = 0
    for path in p:lines() do
      local name = path:match("([^/]+)%.lua$")
      assert.truthy(out:find("\n" .. name .. " ", 1, true) or out:find("^" .. name .. " "), name .. " not listed:\n" .. out)
      n = n + 1
    end
    p:close()
    assert.is_true(n >= 5)
    assert.truthy(out:find("The main example: train the FER CNN", 1, true), out)
  end)

  it("copies one, with the module it loads, into the current folder, and runs from there", function()
    local code, out = run("cd " .. dir .. " && " .. ROOT .. "/scripts/mien examples quickstart")
    assert.are.equal(0, code, out)
    assert.are.equal(H.read_file("examples/quickstart.lua"), H.read_file(dir .. "/quickstart.lua"))
    assert.are.equal(H.read_file("examples/fer_cnn.lua"), H.read_file(dir .. "/fer_cnn.lua"))
    code, out = run("cd " .. dir .. " && " .. ROOT .. "/scripts/mien run quickstart.lua --help")
    assert.are.equal(0, code, out)
    assert.truthy(out:find("Usage: quickstart", 1, true), out)
  end)

  it("does not overwrite without --force, and names the examples it has for an unknown one", function()
    local code, out = run("cd " .. dir .. " && " .. ROOT .. "/scripts/mien examples quickstart")
    assert.are.equal(1, code)
    assert.truthy(out:find("mien: examples: ./quickstart.lua exists (--force overwrites it)", 1, true), out)
    code = run("cd " .. dir .. " && " .. ROOT .. "/scripts/mien examples quickstart --force")
    assert.are.equal(0, code)
    code, out = run("scripts/mien examples no_such_example")
    assert.are.equal(1, code)
    assert.truthy(out:find("no example 'no_such_example' (there are: ", 1, true), out)
    assert.truthy(out:find("quickstart", 1, true), out)
  end)

  it("the rock installs the examples and declares its Lua dependencies", function()
    assert.truthy(H.read_file("cmake/examples.cmake"):find("install(DIRECTORY examples/ DESTINATION ${LUA_LMODDIR}/mien/examples)", 1, true))
    local rockspec = H.read_file("rockspec/mien-scm-1.rockspec")
    assert.truthy(rockspec:find('"argparse"', 1, true))
    assert.truthy(rockspec:find('"lua-cjson"', 1, true))
  end)
end)
