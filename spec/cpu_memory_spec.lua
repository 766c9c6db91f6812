-- mien.cpu: the CPU allocator's cache. A training step's activations come
-- back to it and serve the next step (no fresh memory after the first), a
-- reused block asked for zeros is zero, and empty_cache gives it all back.
local mien = require "mien"
local nn = require "mien.nn"

describe("mien.cpu", function()
  it("serves every training step after the first from the cache", function()
    -- from an empty cache: blocks parked by earlier specs would otherwise be evicted by this one's
    collectgarbage()
    mien.cpu.empty_cache()
    mien.manual_seed(0)
    local net = nn.Sequential(nn.Conv2d(1, 16, 3, { padding = 1 }), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
      nn.Flatten(), nn.Linear(16 * 24 * 24, 7))
    local opt = mien.optim.Adam(net, { lr = 1e-3 })
    local labels = {}
    for i = 1, 32 do labels[i] = (i - 1) % 7 + 1 end
    local x, y = mien.randn({ 32, 1, 48, 48 }), mien.tensor(labels, { dtype = "int64" })
    local misses = {}
    for step = 1, 4 do
      local loss = mien.F.cross_entropy(net(x), y)
      opt:zero_grad()
      loss:backward()
      opt:step()
      loss = nil
      collectgarbage()
      collectgarbage()
      misses[step] = mien.cpu.memory().misses
    end
    assert.is_true(misses[1] > 0, "the first step maps its activations")
    assert.are.equal(misses[2], misses[4], "steps 3 and 4 asked for fresh memory")
    local m = mien.cpu.memory()
    assert.is_true(m.cached > 0 and m.hits > 0 and m.peak >= m.allocated)
    assert.are.equal(m.allocated + m.cached, m.reserved)
  end)

  it("hands out zeros on a reused block and releases the cache", function()
    local t = mien.full({ 1 << 20 }, 3.5)
    t = nil
    collectgarbage()
    collectgarbage()
    local z = mien.zeros({ 1 << 20 })
    assert.are.equal(0, z:abs():max():item())
    z = nil
    collectgarbage()
    collectgarbage()
    assert.is_true(mien.cpu.memory().cached >= 4 << 20)
    assert.is_true(mien.cpu.empty_cache() >= 4 << 20)
    assert.are.equal(0, mien.cpu.memory().cached)
  end)
end)
