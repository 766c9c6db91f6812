-- Tensors are freed: by the garbage collector, by <close> and close(), and
-- graphs with them; training loops and error paths do not leak.
local mien = require "mien"
local H = require "spec.support.helpers"
local F = mien.F

local full_gc, no_leak = H.full_gc, H.no_leak

describe("the live-tensor counter", function()
  it("counts tensors and goes back after collection", function()
    full_gc()
    local start = mien.live_tensors()
    local keep = {}
    for i = 1, 100 do keep[i] = mien.zeros(10) end
    assert.is_true(mien.live_tensors() >= start + 100)
    keep = nil
    full_gc()
    assert.are.equal(start, mien.live_tensors())
  end)

  it("bytes_in_use follows the storages", function()
    full_gc()
    local start = mien.bytes_in_use()
    local t = mien.zeros(1000, { dtype = "float64" })
    assert.are.equal(start + 8000, mien.bytes_in_use())
    local v = t:narrow(1, 1, 10):view(2, 5) -- views share the storage
    assert.are.equal(start + 8000, mien.bytes_in_use())
    t, v = nil, nil
    full_gc()
    assert.are.equal(start, mien.bytes_in_use())
  end)

  it("many tensors of every dtype and op", function()
    no_leak("creation and ops", function()
      for _ = 1, 20 do
        local a = mien.randn(8, 8)
        local b = mien.rand(8, 8, { dtype = "float64" })
        local c = mien.arange(64, { dtype = "int64" }):reshape(8, 8)
        local d = mien.ones(8, 8, { dtype = "uint8" })
        local _ = (a + b):sum(1) * c:float():max(2) + d:sum()
        local _ = mien.cat({ a, a:t() }, 2):index_select(2, { 1, 3 }):gather(1, mien.ones(2, 2, { dtype = "int64" }))
        local _ = a:matmul(a):var(1):std() + mien.where(a:gt(0), a, 0):clamp(-1, 1):sum()
        local _ = tostring(a) .. tostring(c)
        local _ = mien.stack({ a, a }):permute(3, 1, 2):contiguous():totable()
        local _ = mien.randperm(10), mien.bernoulli({ 5 }, 0.5), a:argmax(2)
      end
    end)
  end)

  it("graphs with backward are freed", function()
    no_leak("graphs", function()
      for _ = 1, 20 do
        local w = mien.randn(4, 3, { requires_grad = true })
        local x = mien.randn(5, 3)
        local y = F.linear(x, w):relu():softmax(2)
        local loss = F.mse_loss(y, mien.zeros(5, 4)) + w:pow(2):sum() * 0.1
        loss:backward()
        assert.is_not_nil(w.grad)
      end
    end)
  end)

  it("graphs that never ran backward are freed", function()
    no_leak("graphs without backward", function()
      for _ = 1, 20 do
        local w = mien.randn(4, 3, { requires_grad = true })
        local _ = (F.linear(mien.randn(2, 3), w):tanh() * 2):sum()
      end
    end)
  end)

  it("graphs kept with retain_graph are freed with their result", function()
    no_leak("retained graphs", function()
      local w = mien.randn(3, { requires_grad = true })
      local loss = (w * w):exp():sum()
      loss:backward({ retain_graph = true })
      loss:backward({ retain_graph = true })
    end)
  end)

  it("a failed second backward frees what it gathered", function()
    no_leak("failed backward", function()
      local w = mien.randn(3, { requires_grad = true })
      local loss = (w * w):sum()
      loss:backward()
      assert.has_error(function() loss:backward() end)
    end)
  end)

  it("conv, pooling, batch norm and losses with backward", function()
    no_leak("nn ops", function()
      local x = mien.randn(2, 3, 8, 8)
      local w = mien.randn(4, 3, 3, 3, { requires_grad = true })
      local g = mien.ones(4, { requires_grad = true })
      local rm, rv = mien.zeros(4), mien.ones(4)
      local h = F.conv2d(x, w, nil, { padding = 1 })
      h = F.batch_norm(h, rm, rv, { weight = g, training = true })
      h = F.max_pool2d(F.relu(h), 2)
      h = F.avg_pool2d(h, { kernel_size = 2, padding = 1, count_include_pad = false })
      h = F.dropout(F.global_avg_pool2d(h), 0.5)
      local loss = F.cross_entropy(h, mien.tensor({ 1, 4 }, { dtype = "int64" }), { label_smoothing = 0.1 })
        + F.binary_cross_entropy_with_logits(h, mien.zeros(2, 4), { pos_weight = mien.ones(4) })
      loss:backward()
    end)
  end)

  it("no_grad results hold no graph", function()
    no_leak("no_grad", function()
      local w = mien.randn(3, { requires_grad = true })
      local r = mien.no_grad(function() return (w * 2):exp() end)
      assert.is_false(r.requires_grad)
    end)
  end)
end)

describe("<close> and close()", function()
  it("a <close> variable frees its tensor at the end of the scope", function()
    full_gc()
    collectgarbage("stop")
    local bytes, tensors = mien.bytes_in_use(), mien.live_tensors()
    do
      local t <close> = mien.zeros(1000)
      assert.are.equal(bytes + 4000, mien.bytes_in_use())
      assert.are.equal(tensors + 1, mien.live_tensors())
    end
    local after_bytes, after_tensors = mien.bytes_in_use(), mien.live_tensors()
    collectgarbage("restart")
    assert.are.equal(bytes, after_bytes)
    assert.are.equal(tensors, after_tensors)
  end)

  it("<close> frees even when the scope ends with an error", function()
    full_gc()
    collectgarbage("stop")
    local bytes = mien.bytes_in_use()
    local ok = pcall(function()
      local t <close> = mien.zeros(1000)
      error("boom")
    end)
    local after = mien.bytes_in_use()
    collectgarbage("restart")
    assert.is_false(ok)
    assert.are.equal(bytes, after)
  end)

  it("close() frees at once and the later collection is harmless", function()
    full_gc()
    collectgarbage("stop")
    local bytes = mien.bytes_in_use()
    local t = mien.zeros(1000)
    t:close()
    local after = mien.bytes_in_use()
    collectgarbage("restart")
    assert.are.equal(bytes, after)
    t = nil
    full_gc()
    assert.are.equal(bytes, mien.bytes_in_use())
  end)

  it("closing the base of a view keeps the storage until the view goes", function()
    full_gc()
    local bytes = mien.bytes_in_use()
    local t = mien.arange(10)
    local v = t:narrow(1, 5, 2)
    t:close()
    assert.are.same({ 4, 5 }, v:totable())
    assert.are.equal(bytes + 40, mien.bytes_in_use())
    v:close()
    assert.are.equal(bytes, mien.bytes_in_use())
  end)
end)

describe("training loops", function()
  it("2,000 small training steps do not grow bytes in use or live tensors", function()
    mien.manual_seed(7)
    local w1 = (mien.randn(16, 2) * 0.5):requires_grad_()
    local b1 = mien.zeros(16, { requires_grad = true })
    local w2 = (mien.randn(3, 16) * 0.5):requires_grad_()
    local x = mien.randn(64, 2)
    local y = (mien.rand(64) * 3):floor():long() + 1
    local function step()
      local loss = F.cross_entropy(F.linear(F.linear(x, w1, b1):relu(), w2), y)
      w1.grad, b1.grad, w2.grad = nil, nil, nil
      loss:backward()
      mien.no_grad(function()
        w1:add_(w1.grad, -0.1)
        b1:add_(b1.grad, -0.1)
        w2:add_(w2.grad, -0.1)
      end)
      return loss
    end
    for _ = 1, 50 do step() end
    full_gc()
    local bytes, tensors = mien.bytes_in_use(), mien.live_tensors()
    -- without explicit collection the GC (driven by the bytes the tensors
    -- hold) keeps memory bounded
    local peak = 0
    for _ = 1, 2000 do
      step()
      peak = math.max(peak, mien.bytes_in_use())
    end
    assert.is_true(peak < bytes + 8 * 1024 * 1024, "peak bytes in use " .. peak)
    full_gc()
    assert.are.equal(bytes, mien.bytes_in_use())
    assert.are.equal(tensors, mien.live_tensors())
  end)

  it("big temporaries are collected without explicit collectgarbage", function()
    full_gc()
    local bytes = mien.bytes_in_use()
    local peak = 0
    for _ = 1, 200 do
      local t = mien.zeros(1024, 1024) -- 4 MiB each, 800 MiB in all
      t:fill_(1)
      peak = math.max(peak, mien.bytes_in_use())
    end
    assert.is_true(peak < bytes + 64 * 1024 * 1024, "peak bytes in use " .. peak)
  end)
end)

describe("error paths do not leak", function()
  local function long(v) return mien.tensor(v, { dtype = "int64" }) end
  local cases = {
    { "index_select with a bad table entry", function(t) return t:index_select(1, { 1, "a" }) end },
    { "index_select out of range", function(t) return t:index_select(1, { 5 }) end },
    { "gather out of range", function(t) return t:gather(1, long({ { 5, 1, 1 } })) end },
    { "cross_entropy label out of range", function() return F.cross_entropy(mien.zeros(2, 7), long({ 0, 1 })) end },
    { "cross_entropy unknown reduction", function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 1 }), { reduction = "x" }) end },
    { "cross_entropy bad weight", function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 1 }), { weight = 3 }) end },
    { "cross_entropy bad smoothing", function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 1 }), { label_smoothing = "x" }) end },
    { "ragged table", function() return mien.tensor({ { 1, 2 }, { 3 } }) end },
    { "table with a string", function() return mien.tensor({ 1, "x" }) end },
    { "matmul mismatch", function() return mien.zeros(2, 3):matmul(mien.zeros(4, 3)) end },
    { "matmul of a matrix and a vector", function() return mien.zeros(2, 3):matmul(mien.zeros(4)) end },
    { "conv2d too small", function() return F.conv2d(mien.zeros(1, 3, 2, 2), mien.zeros(4, 3, 3, 3)) end },
    { "reshape", function(t) return t:reshape(4, 2) end },
    { "cat with grad of many", function(t)
      local g = mien.zeros(2, 3, { requires_grad = true })
      return mien.cat({ g, g, g, g, g, mien.zeros(2, 4) })
    end },
    { "stack", function(t) return mien.stack({ t, mien.zeros(3, 2) }) end },
    { "where with a bad argument", function(t) return mien.where(t:gt(0), t, {}) end },
    { "add_ with a bad alpha", function(t) return t:add_(t, "x") end },
    { "second backward", function()
      local x = mien.ones(2, { requires_grad = true })
      local y = (x * x):sum()
      y:backward()
      y:backward()
    end },
    { "requires_grad on int64", function() return mien.zeros(2, { dtype = "int64", requires_grad = true }) end },
    { "t[i] = wrong shape", function(t) t[1] = mien.zeros(5) end },
    { "no_grad body error", function() return mien.no_grad(function() local _ = mien.zeros(3); error("x") end) end },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      no_leak(c[1], function()
        -- a fresh tensor: a reference leaked on it would keep it alive
        local t = mien.zeros(2, 3)
        for _ = 1, 3 do assert.is_false(pcall(c[2], t)) end
      end)
    end)
  end
end)
