-- mien.cuda: without a GPU (here) it says why; with one (busted --run=gpu on
-- a GPU machine, scripts/gpu-check.sh) tensors live on it and match the CPU.
local mien = require "mien"

describe("mien.cuda", function()
  it("says whether CUDA is available, and why not", function()
    local ok, why = mien.cuda.available(), mien.cuda.why()
    assert.is_boolean(ok)
    if ok then
      assert.is_nil(why)
    else
      assert.is_string(why)
      assert.is_true(#why > 10)
    end
  end)

  it("raises the reason when a tensor asks for cuda without it", function()
    if mien.cuda.available() then return end
    local ok, err = pcall(mien.zeros, {2}, {device = "cuda"})
    assert.is_false(ok)
    assert.matches("device cuda:0 is not available", err, 1, true)
    assert.matches(mien.cuda.why(), err, 1, true)
  end)

  it("synchronizes without error (nothing to wait for without a GPU)", function()
    assert.has_no.errors(function() mien.cuda.synchronize() end)
    assert.has_no.errors(function() mien.cuda.synchronize(0) end)
  end)

  it("reports memory figures as a table of byte counts", function()
    local m = mien.cuda.memory()
    for _, k in ipairs {"allocated", "reserved", "peak", "requested"} do
      assert.is_number(m[k])
      assert.is_true(m[k] >= 0)
    end
    assert.is_number(mien.cuda.empty_cache())
  end)
end)

describe("cuda tensors #gpu", function()
  it("is available on the GPU machine", function()
    assert.is_true(mien.cuda.available(), mien.cuda.why())
  end)

  it("round-trips a tensor and matches the CPU on elementwise ops and matmul", function()
    mien.manual_seed(7)
    local a, b = mien.randn({33, 17}), mien.randn({17, 9})
    local ga, gb = a:to("cuda"), b:to("cuda")
    assert.are.same(a:totable(), ga:cpu():totable())
    local want, got = (a:matmul(b) + 1):relu(), (ga:matmul(gb) + 1):relu():cpu()
    assert.is_true(((want - got):abs():max():item()) < 1e-4)
  end)

  it("draws the same dropout mask as the CPU for the same seed", function()
    local x = mien.ones({1000})
    mien.manual_seed(11)
    local cpu = mien.F.dropout(x, 0.3, true)
    mien.manual_seed(11)
    local gpu = mien.F.dropout(x:to("cuda"), 0.3, true):cpu()
    assert.are.same(cpu:totable(), gpu:totable())
  end)

  it("counts allocated and cached memory", function()
    local t = mien.zeros({1024, 1024}, {device = "cuda"})
    assert.is_true(mien.cuda.memory().allocated >= 4 * 1024 * 1024)
    t = nil
    collectgarbage()
    collectgarbage()
    assert.is_true(mien.cuda.memory().reserved >= mien.cuda.memory().allocated)
  end)
end)
