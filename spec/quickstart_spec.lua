-- The quickstart says what it is doing: a line (with the build's progress)
-- while it builds, and the ETA after each epoch of training.
local progress = require "mien.train.progress"

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

-- An output stream that keeps what is written.
local function sink()
  local s = { text = "" }
  function s:write(...) for _, v in ipairs { ... } do self.text = self.text .. v end return self end
  function s:flush() end
  return s
end

describe("quickstart", function()
  it("prints a line while it builds, then the build's end", function()
    local code, out = run("bash scripts/quickstart.sh --help")
    assert.are.equal(0, code, out)
    assert.truthy(out:find("building mien into build/", 1, true), out)
    assert.truthy(out:find("done", 1, true), out)
    assert.truthy(out:find("Usage: quickstart", 1, true), out)
  end)

  it("each epoch's line but the last ends with the ETA at the mean pace so far", function()
    local out = sink()
    local p = progress.new { tty = false, out = out }
    local row = { train_loss = 1, train_acc = 0.5, lr = 0.001, images_per_s = 100 }
    for epoch, seconds in ipairs { 10, 30, 20 } do
      row.epoch, row.seconds = epoch, seconds
      p:epoch(row, 4)
    end
    row.epoch, row.seconds = 4, 20
    p:epoch(row, 4)
    local lines = {}
    for l in out.text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.truthy(lines[1]:find("10.0s  ETA 0:30$"), lines[1]) -- 10 s a epoch, 3 to go
    assert.truthy(lines[2]:find("30.0s  ETA 0:40$"), lines[2]) -- 20 s, 2 to go
    assert.truthy(lines[3]:find("20.0s  ETA 0:20$"), lines[3]) -- 20 s, 1 to go
    assert.falsy(lines[4]:find("ETA", 1, true), lines[4])
  end)
end)
