-- End to end: a two-layer MLP with hand-written SGD learns the 3-class spiral.
local mien = require "mien"
local F = mien.F

-- N points per class on K interleaved spiral arms, from mien's RNG
local function spiral(N, K, noise)
  local xs, ys = {}, {}
  for k = 0, K - 1 do
    local r = mien.arange(N, { dtype = "float32" }) / (N - 1)
    local theta = r * 4 + k * 4 + mien.randn(N) * noise
    xs[#xs + 1] = mien.stack({ r * theta:sin(), r * theta:cos() }, 2)
    ys[#ys + 1] = mien.full({ N }, k + 1, { dtype = "int64" })
  end
  return mien.cat(xs, 1), mien.cat(ys, 1)
end

local function accuracy(logits, y)
  return logits:argmax(2):eq(y):sum():item() / y:size(1)
end

describe("an MLP on the spiral", function()
  it("trains to at least 95% accuracy with hand-written SGD", function()
    mien.manual_seed(42)
    local X, y = spiral(100, 3, 0.2)
    assert.are.same({ 300, 2 }, X:shape())

    local H = 64
    local w1 = (mien.randn(H, 2) * math.sqrt(2 / 2)):requires_grad_()
    local b1 = mien.zeros(H, { requires_grad = true })
    local w2 = (mien.randn(3, H) * math.sqrt(1 / H)):requires_grad_()
    local b2 = mien.zeros(3, { requires_grad = true })
    local params = { w1, b1, w2, b2 }
    local function forward(x) return F.linear(F.linear(x, w1, b1):relu(), w2, b2) end

    local lr, first_loss, loss = 1.0, nil, nil
    for step = 1, 1500 do
      loss = F.cross_entropy(forward(X), y) + (w1 * w1):sum() * 5e-4 + (w2 * w2):sum() * 5e-4
      for _, p in ipairs(params) do p.grad = nil end
      loss:backward()
      mien.no_grad(function()
        for _, p in ipairs(params) do p:add_(p.grad, -lr) end
      end)
      first_loss = first_loss or loss:item()
      if step == 1000 then lr = 0.3 end
    end

    local acc = mien.no_grad(function() return accuracy(forward(X), y) end)
    assert.is_true(loss:item() < first_loss / 4, string.format("loss went from %.3f to %.3f", first_loss, loss:item()))
    assert.is_true(acc >= 0.95, string.format("training accuracy %.3f", acc))

    -- and it generalises to fresh points from the same spiral
    mien.manual_seed(43)
    local Xt, yt = spiral(100, 3, 0.2)
    local test_acc = mien.no_grad(function() return accuracy(forward(Xt), yt) end)
    assert.is_true(test_acc >= 0.9, string.format("test accuracy %.3f", test_acc))
  end)
end)
