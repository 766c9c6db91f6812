-- Fused inference (model:fuse(), F.conv2d_fused) against the unfused model in eval mode, and the Winograd
-- path of conv2d (core/cpu/winograd.c) under gradcheck and against the direct path from Lua.
local mien = require "mien"
local nn = require "mien.nn"
local F = mien.F

-- Fused against unfused outputs: max |fused - unfused| <= FUSE_TOL * max |unfused| in float32 (folding rounds
-- the weights once more, and Winograd may run where the unfused model ran the direct path; measured ~1e-6),
-- FUSE_TOL_F64 in float64.
local FUSE_TOL, FUSE_TOL_F64 = 2e-5, 1e-11

local function max_abs(t) return t:abs():max():item() end

-- Non-trivial BatchNorm statistics and affine parameters, as after training.
local function randomise_bn(model)
  mien.manual_seed(3)
  for m in model:modules() do
    if m.running_var then
      m.running_mean:copy_(mien.randn(m.running_mean:shape()):to(m.running_mean:dtype()) * 0.5)
      m.running_var:copy_((mien.rand(m.running_var:shape()) + 0.5):to(m.running_var:dtype()))
      m.weight:detach():copy_((mien.rand(m.weight:shape()) + 0.5):to(m.weight:dtype()))
      m.bias:detach():copy_((mien.randn(m.bias:shape()) * 0.2):to(m.bias:dtype()))
    end
  end
end

local function fer_cnn(opts) return dofile("examples/fer_cnn.lua")(opts) end

local function compare(model, x, tol)
  model:eval()
  local want = mien.no_grad(function() return model(x) end)
  local fast = model:fuse()
  local got = mien.no_grad(function() return fast(x) end)
  assert.are.same(want:shape(), got:shape())
  local err = max_abs(got - want) / max_abs(want)
  assert.is_true(err <= tol, string.format("fused differs from unfused by %.3g (relative), bound %.1g", err, tol))
  return fast
end

describe("model:fuse()", function()
  it("gives the FER CNN's eval outputs (float32, batch 6, width 0.25)", function()
    local model = fer_cnn({ width = 0.25 })
    randomise_bn(model)
    mien.manual_seed(7)
    local fast = compare(model, mien.rand({ 6, 1, 48, 48 }), FUSE_TOL)
    -- every conv block became one fused conv with ReLU and the pool, the dense ones folded
    local kinds = {}
    for m in fast:modules() do kinds[m.__name] = (kinds[m.__name] or 0) + 1 end
    assert.are.equal(4, kinds.FusedConv2d)
    assert.are.equal(3, kinds.FusedLinear)
    assert.is_nil(kinds.BatchNorm2d)
    assert.is_nil(kinds.Dropout)
    for m in fast:modules() do
      if m.__name == "FusedConv2d" then assert.is_true(m.relu and m.pool) end
    end
  end)

  it("gives the eval outputs in float64 to rounding", function()
    local model = fer_cnn({ width = 0.125 }):to("float64")
    randomise_bn(model)
    mien.manual_seed(8)
    compare(model, mien.rand({ 3, 1, 48, 48 }, { dtype = "float64" }), FUSE_TOL_F64)
  end)

  it("leaves the model's state_dict and parameters as they were", function()
    local model = fer_cnn({ width = 0.125 })
    randomise_bn(model)
    local before = {}
    for name, t in pairs(model:state_dict()) do before[name] = t:clone() end
    local params = model:parameters()
    model:fuse()
    local after = model:state_dict()
    for name, t in pairs(before) do
      assert.is_not_nil(after[name], name)
      assert.are.same(t:totable(), after[name]:totable(), name .. " changed")
    end
    for name in pairs(after) do assert.is_not_nil(before[name], name) end
    assert.are.same(params, model:parameters())
    for _, p in ipairs(params) do assert.is_true(p.requires_grad) end
  end)

  it("refuses training mode, and the fused conv refuses inputs that need a gradient", function()
    local fast = fer_cnn({ width = 0.125 }):fuse()
    assert.has_error(function() fast:train() end,
      "FusedSequential: a fused model is for inference only; train the model it was fused from "
      .. "(model:fuse() left it unchanged) and fuse again")
    fast:eval() -- allowed
    local x = mien.rand({ 1, 1, 48, 48 }, { requires_grad = true })
    local ok, err = pcall(function() return fast(x) end)
    assert.is_false(ok)
    assert.matches("conv2d_fused: inference only", err)
    assert.are.same({ 1, 7 }, mien.no_grad(function() return fast(x) end):shape())
  end)

  it("fuses only what it can: no BN, BN with batch statistics, other pools, custom modules", function()
    mien.manual_seed(9)
    local Net = nn.Module:extend("Net")
    function Net:__init()
      self.body = nn.Sequential(nn.Conv2d(3, 5, 3, { padding = 1, bias = false }), nn.ReLU(),
        nn.Conv2d(5, 6, 3), nn.BatchNorm2d(6, { track_running_stats = false }), nn.MaxPool2d(3),
        nn.Conv2d(6, 4, 1), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 3), nn.BatchNorm1d(3))
    end
    function Net:forward(x) return self.body(x) * 2 end
    local model = Net()
    randomise_bn(model)
    local fast = compare(model, mien.rand({ 2, 3, 8, 8 }), FUSE_TOL)
    assert.are.equal("Net", fast.__name)
    local names = {}
    for _, m in ipairs(fast.body:children()) do names[#names + 1] = m.__name end
    assert.are.same({ "FusedConv2d", "FusedConv2d", "BatchNorm2d", "MaxPool2d", "FusedConv2d", "Flatten",
      "FusedLinear" }, names)
    assert.is_true(fast.body[1].relu)
    assert.is_false(fast.body[2].relu or fast.body[2].pool)
    assert.is_true(fast.body[5].pool and not fast.body[5].relu)
  end)
end)

describe("F.conv2d_fused", function()
  it("equals conv2d, relu and max_pool2d, with odd sizes", function()
    mien.manual_seed(11)
    local x, w, b = mien.randn({ 2, 33, 9, 7 }), mien.randn({ 35, 33, 3, 3 }) * 0.1, mien.randn({ 35 })
    for _, o in ipairs { { relu = true, pool = true }, { relu = true }, { pool = true }, {} } do
      local opts = { padding = 1, relu = o.relu, pool = o.pool }
      local want = F.conv2d(x, w, b, { padding = 1 })
      if o.relu then want = F.relu(want) end
      if o.pool then want = F.max_pool2d(want, 2) end
      local got = F.conv2d_fused(x, w, b, opts)
      assert.are.same(want:shape(), got:shape())
      assert.is_true(max_abs(got - want) <= 1e-5 * max_abs(want))
    end
  end)
end)

describe("winograd conv2d", function()
  local function run(algo)
    local cmd = string.format("MIEN_CONV_ALGO=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' "
      .. "lua5.4 spec/support/winograd_gradcheck.lua 2>&1", algo)
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    return out
  end
  it("passes gradcheck in float64 as F(2x2,3x3)", function() assert.are.equal("ok\n", run("winograd2")) end)
  it("passes gradcheck in float64 as F(4x4,3x3)", function() assert.are.equal("ok\n", run("winograd4")) end)
end)
