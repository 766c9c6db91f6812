-- scripts/build.sh alone, with a package missing, installs it as the README
-- commands do, or names it and stops before CMake; apt waits for the dpkg
-- lock. dpkg-query, apt-get and sudo are stand-ins on PATH here: nothing is
-- installed.
local H = require "spec.support.helpers"

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

describe("missing packages", function()
  local bin = H.tmpdir()
  teardown(function() H.remove_dir(bin) end)
  local function tool(name, body)
    H.write_file(bin .. "/" .. name, "#!/bin/sh\n" .. body .. "\n")
    assert(os.execute("chmod +x " .. bin .. "/" .. name))
  end
  -- every package installed but libstb-dev; apt-get records its arguments
  tool("dpkg-query", '[ "$3" = libstb-dev ] && exit 1; printf "install ok installed"')
  tool("sudo", 'exec "$@"')
  local env = "PATH=" .. bin .. ":$PATH "

  it("install-deps.sh --check names them and the command to install them", function()
    local code, out = run(env .. "scripts/install-deps.sh --check")
    assert.are.equal(1, code)
    assert.truthy(out:find("mien needs these Debian/Ubuntu packages: libstb-dev", 1, true), out)
    assert.truthy(out:find("sudo apt-get install libstb-dev", 1, true), out)
  end)

  it("build.sh installs them first, waiting for the dpkg lock, and stops naming them when it cannot", function()
    tool("apt-get", 'echo "$@" >> ' .. bin .. '/apt-get.log; exit 100')
    local code, out = run(env .. "scripts/build.sh")
    assert.are.equal(1, code)
    assert.truthy(out:find("installing: libstb-dev", 1, true), out)
    assert.truthy(out:find("sudo apt-get install libstb-dev", 1, true), out)
    assert.truthy(out:find("build.sh: cannot build without those packages", 1, true), out)
    assert.falsy(out:find("CMake", 1, true), out)
    local log = H.read_file(bin .. "/apt-get.log")
    assert.truthy(log:find("-o DPkg::Lock::Timeout=300", 1, true), log)
  end)

  it("with everything installed, --check is silent and succeeds", function()
    local code, out = run("scripts/install-deps.sh --check")
    assert.are.equal(0, code, out)
    assert.are.equal("exit=0", (out:gsub("%s+$", "")))
  end)
end)
