-- F.cross_entropy against target distributions (soft targets, e.g. FER+
-- vote shares): values against the hard-label loss and by hand, float64
-- gradient checks, and errors for targets that do not fit.
local mien = require "mien"
local gradcheck = require "mien.gradcheck"
local F = mien.F

local function rnd(shape, lo, hi, seed)
  mien.manual_seed(seed)
  return (mien.rand(shape, { dtype = "float64" }) * (hi - lo) + lo):detach():contiguous()
end

-- rows of non-negative weights summing to one
local function distributions(n, c, seed)
  local t = rnd({ n, c }, 0, 1, seed)
  return t / t:sum(2, true)
end

local function check(fn, inputs)
  local ok, err, msg = gradcheck(fn, inputs)
  assert.is_true(ok, msg .. string.format(" (max error %.3g)", err))
end

describe("cross_entropy with soft targets", function()
  local labels = mien.tensor({ 2, 1, 4 }, { dtype = "int64" })
  local one_hot = mien.tensor({ { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0, 1 } }, { dtype = "float64" })
  local x = rnd({ 3, 4 }, -2, 2, 1)

  it("equals the hard-label loss for one-hot targets, with weights and smoothing", function()
    local w = mien.tensor({ 0.5, 1, 2, 1.5 }, { dtype = "float64" })
    for _, o in ipairs { {}, { reduction = "sum" }, { reduction = "none" }, { label_smoothing = 0.1 } } do
      local hard, soft = F.cross_entropy(x, labels, o), F.cross_entropy(x, one_hot, o)
      assert.is_true(((hard - soft):abs():max()):item() < 1e-12)
    end
    -- with weights the sum matches (the mean divides by N for distributions)
    local hard = F.cross_entropy(x, labels, { weight = w, reduction = "sum" })
    local soft = F.cross_entropy(x, one_hot, { weight = w, reduction = "sum" })
    assert.is_true(math.abs(hard:item() - soft:item()) < 1e-12)
  end)

  it("is -sum t log softmax(x), averaged over the rows", function()
    local t = distributions(3, 4, 2)
    local expected = -(t * F.log_softmax(x, 2)):sum() / 3
    assert.is_true(math.abs(F.cross_entropy(x, t):item() - expected:item()) < 1e-12)
  end)

  it("accepts float32 targets with float64 logits", function()
    local t = distributions(3, 4, 3)
    local a, b = F.cross_entropy(x, t), F.cross_entropy(x, t:to("float32"))
    assert.is_true(math.abs(a:item() - b:item()) < 1e-6)
  end)

  local t = distributions(4, 5, 4)
  local w = mien.tensor({ 0.5, 1, 2, 1.5, 1 }, { dtype = "float64" })
  for _, c in ipairs {
    { "mean", {} }, { "sum", { reduction = "sum" } }, { "none", { reduction = "none" } },
    { "weights", { weight = w } }, { "smoothing", { label_smoothing = 0.2 } },
  } do
    it("passes a float64 gradient check (" .. c[1] .. ")", function()
      check(function(z) return F.cross_entropy(z, t, c[2]) end, { rnd({ 4, 5 }, -2, 2, 5):requires_grad_() })
    end)
  end
  it("passes a float64 gradient check with respect to the targets", function()
    check(function(z, tt) return F.cross_entropy(z, tt) end,
      { rnd({ 4, 5 }, -2, 2, 6):requires_grad_(), distributions(4, 5, 7):requires_grad_() })
  end)

  it("rejects targets whose shape does not fit, naming both shapes", function()
    local ok, err = pcall(F.cross_entropy, x, distributions(3, 5, 8))
    assert.is_false(ok)
    assert.matches("float64 targets %[3,5%].*int64 class indices.*%[3,4%]", tostring(err))
    ok, err = pcall(F.cross_entropy, x, mien.tensor({ 1, 2, 3 }, { dtype = "uint8" }))
    assert.is_false(ok)
    assert.matches("int64 class indices", tostring(err))
  end)
end)
