-- bf16 mixed precision: the bfloat16 dtype, mien.autocast (forward and
-- backward of conv2d and linear against float32 within bf16 tolerance),
-- fit{precision = "bf16"}, and the float32 fallback (MIEN_NO_BF16=1).
local mien = require "mien"
local F = mien.F

-- The bf16 kernels run here (else autocast is float32 and must match it exactly).
local has_bf16 = mien.info().bf16:find("^avx512_bf16") ~= nil

local function max_abs(t) return t:abs():max():item() end

-- |a - b| relative to the size of b: bf16 inputs carry 2^-9 relative error
-- each, which sums of many products average down.
local function rel_diff(a, b) return max_abs(a - b) / max_abs(b) end

local function run_lua(code, env)
  local cmd = string.format("%s lua5.4 -e %q 2>&1", env or "",
    'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path; package.cpath = "build/?.so;" .. package.cpath; '
      .. code)
  local f = io.popen(cmd)
  local out = f:read("a")
  f:close()
  return out
end

describe("the bfloat16 dtype", function()
  it("rounds to nearest even and keeps Inf and NaN, both ways", function()
    local t = mien.tensor { 1, 1 + 2 ^ -8, 1 + 3 * 2 ^ -8, 3.14159, -2.5, 1 / 0, -1 / 0, 0 / 0, 3.3e38 }
    local b = t:to("bfloat16")
    assert.equal("bfloat16", b:dtype())
    local back = b:to("float32"):totable()
    assert.same({ 1, 1, 1 + 2 ^ -6, 3.140625, -2.5, 1 / 0, -1 / 0 }, { table.unpack(back, 1, 7) })
    assert.is_true(back[8] ~= back[8])
    assert.equal(248 * 2 ^ 120, back[9]) -- 3.3e38 = 248.2 units of 2^120
    assert.equal(3.140625, b[4])
    assert.equal(-2.5, mien.full({ 2 }, -2.5, { dtype = "bfloat16" })[2])
    assert.equal(0, mien.zeros({ 3 }, { dtype = "bfloat16" }):to("float64")[3])
    assert.equal(1.5, mien.tensor({ 1.5 }, { dtype = "bfloat16" }):item())
  end)

  it("prints with its name", function()
    local s = tostring(mien.tensor({ 0.5, 2 }):to("bfloat16"))
    assert.truthy(s:find("bfloat16", 1, true), s)
    assert.truthy(s:find("0.5", 1, true), s)
  end)

  it("refuses arithmetic with an error that says what to do", function()
    local b = mien.ones({ 3 }):to("bfloat16")
    local ok, err = pcall(function() return b + b end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find('to("float32")', 1, true), err)
    ok, err = pcall(function() return b:sum() end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("bfloat16", 1, true), err)
    ok, err = pcall(function() return F.linear(mien.ones({ 2, 3 }):to("bfloat16"), mien.ones({ 4, 3 })) end)
    assert.is_false(ok)
  end)
end)

describe("mien.autocast", function()
  it("computes linear in bf16, forward and backward, within bf16 tolerance of float32", function()
    mien.manual_seed(3)
    local x = mien.randn({ 64, 300 }, { requires_grad = true })
    local w = mien.randn({ 40, 300 }, { requires_grad = true })
    local b = mien.randn({ 40 }, { requires_grad = true })
    local g = mien.randn({ 64, 40 })
    local y32 = F.linear(x, w, b)
    y32:backward(g)
    local gx32, gw32 = x.grad, w.grad
    x.grad, w.grad, b.grad = nil, nil, nil
    local y16 = mien.autocast("bf16", function() return F.linear(x, w, b) end)
    assert.equal("float32", y16:dtype())
    y16:backward(g) -- outside autocast: the node remembers bf16
    for _, pair in ipairs { { y16, y32 }, { x.grad, gx32 }, { w.grad, gw32 } } do
      local d = rel_diff(pair[1], pair[2])
      assert.is_true(d < 2 ^ -7, "relative difference " .. d)
      if has_bf16 then assert.is_true(d > 1e-5, "no bf16 rounding seen: " .. d) else assert.equal(0, d) end
    end
  end)

  it("computes conv2d in bf16, forward, input and weight gradients", function()
    mien.manual_seed(4)
    local x = mien.randn({ 4, 32, 9, 9 }, { requires_grad = true })
    local w = mien.randn({ 24, 32, 3, 3 }, { requires_grad = true })
    local g = mien.randn({ 4, 24, 9, 9 })
    local y32 = F.conv2d(x, w, nil, { padding = 1 })
    y32:backward(g)
    local gx32, gw32 = x.grad, w.grad
    x.grad, w.grad = nil, nil
    local y16 = mien.autocast("bf16", F.conv2d, x, w, nil, { padding = 1 })
    y16:backward(g)
    for _, pair in ipairs { { y16, y32 }, { x.grad, gx32 }, { w.grad, gw32 } } do
      local d = rel_diff(pair[1], pair[2])
      assert.is_true(d < 2 ^ -7, "relative difference " .. d)
      if has_bf16 then assert.is_true(d > 1e-5, "no bf16 rounding seen: " .. d) else assert.equal(0, d) end
    end
  end)

  it("leaves batch norm, softmax and the loss in float32, and restores the mode after an error", function()
    local core = require "mien.core"
    local x = mien.randn({ 8, 5 })
    local y = mien.tensor({ 1, 2, 3, 4, 5, 1, 2, 3 }, { dtype = "int64" })
    local l32 = F.cross_entropy(x, y):item()
    local l16 = mien.autocast("bf16", function() return F.cross_entropy(x, y) end):item()
    assert.equal(l32, l16)
    assert.is_false(pcall(mien.autocast, "bf16", function() error("boom") end))
    assert.equal("float32", core.autocast_get())
    assert.has_error(function() mien.autocast("fp8", function() end) end)
    assert.has_error(function() mien.autocast("bf16", 42) end)
  end)

  it("trains with fit{precision = 'bf16'} and rejects an unknown precision", function()
    mien.manual_seed(5)
    local faces = mien.data.synthetic_faces { n = 64, size = 24, seed = 2 }
    local model = mien.nn.Sequential(mien.nn.Conv2d(1, 16, 3, { padding = 1 }), mien.nn.ReLU(), mien.nn.MaxPool2d(4),
      mien.nn.Flatten(), mien.nn.Linear(16 * 36, #faces.classes))
    local opt = mien.optim.Adam(model:parameters(), { lr = 1e-3 })
    local loader = mien.data.loader(faces, { batch = 32, seed = 1, augment = { size = 24 } })
    local h = mien.train.fit { model = model, optimizer = opt, train = loader, epochs = 2, quiet = true, precision = "bf16" }
    assert.equal(2, #h)
    assert.is_true(h[2].train_loss == h[2].train_loss)
    assert.has_error(function()
      mien.train.fit { model = model, optimizer = opt, train = loader, epochs = 1, quiet = true, precision = "half" }
    end)
  end)
end)

describe("the float32 fallback", function()
  it("runs autocast in float32 with one notice when MIEN_NO_BF16=1", function()
    local out = run_lua([[
      local mien = require "mien"
      print("path: " .. mien.info().bf16)
      local x, w = mien.randn({ 16, 64 }), mien.randn({ 8, 64 })
      for _ = 1, 3 do
        local d = (mien.autocast("bf16", mien.F.linear, x, w) - mien.F.linear(x, w)):abs():max():item()
        print("diff " .. d)
      end
    ]], "MIEN_NO_BF16=1")
    assert.truthy(out:find("path: float32 fallback (MIEN_NO_BF16 is set)", 1, true), out)
    local _, notices = out:gsub("bf16 autocast runs in float32", "")
    assert.equal(1, notices, out)
    local _, zeros = out:gsub("diff 0%.0\n", "")
    assert.equal(3, zeros, out)
  end)

  it("is what `mien info` reports", function()
    local f = io.popen("MIEN_NO_BF16=1 scripts/mien info 2>&1")
    local out = f:read("a")
    f:close()
    assert.truthy(out:find("bf16     float32 fallback", 1, true), out)
  end)
end)
