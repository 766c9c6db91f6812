-- The parts of the time-budgeted FER2013 recipe (examples/best_fer2013.lua):
-- squeeze-excitation and residual blocks, EMA, the time-budget schedule,
-- mixup/cutmix, test-time augmentation, fit's mix/ema/time_limit, the
-- distillation loss and ensembles of checkpoints.
local mien = require "mien"
local nn = require "mien.nn"
local gradcheck = require "mien.gradcheck"
local H = require "spec.support.helpers"
local F = mien.F

local function f64(shape, seed)
  mien.manual_seed(seed or 1)
  return (mien.rand(shape, { dtype = "float64" }) * 2 - 1):detach():contiguous()
end

-- tensors or numbers, element by element within tol * (1 + |expected|)
local function close(actual, expected, tol)
  local function flat(v) return mien.is_tensor(v) and H.flat(v) or { v } end
  H.assert_close(flat(actual), flat(expected), tol)
end

local function check_grad(fn, inputs)
  local ok, err, msg = gradcheck(fn, inputs)
  assert.is_true(ok, msg or tostring(err))
end

-- every parameter of a float64 module as an explicit gradcheck input
local function module_grad(module, x)
  local inputs = { x }
  for _, p in ipairs(module:parameters()) do inputs[#inputs + 1] = p end
  check_grad(function(xx) return module(xx) end, inputs)
end

describe("nn.SqueezeExcite", function()
  it("scales each channel by a gate in (0, 1) computed from the channel means", function()
    local se = nn.SqueezeExcite(4, { reduction = 2, dtype = "float64" })
    local x = f64({ 2, 4, 3, 3 })
    local y = se(x)
    assert.are.same({ 2, 4, 3, 3 }, y:shape())
    -- the gate by hand: sigmoid(W2 relu(W1 mean + b1) + b2)
    local m = x:mean({ 3, 4 })
    local gate = F.sigmoid(F.linear(F.relu(F.linear(m, se.squeeze.weight, se.squeeze.bias)), se.excite.weight,
      se.excite.bias))
    close(y, x * gate:reshape({ 2, 4, 1, 1 }), 1e-12)
  end)

  it("passes a float64 gradient check (input and weights)", function()
    local se = nn.SqueezeExcite(6, { reduction = 3, dtype = "float64" })
    module_grad(se, f64({ 2, 6, 3, 2 }, 2):requires_grad_())
  end)

  it("names the expected shape on a wrong input", function()
    local se = nn.SqueezeExcite(4)
    assert.has_error(function() se(mien.zeros({ 2, 3, 5, 5 })) end, "SqueezeExcite: expected [N,4,H,W] input, got [2,3,5,5]")
  end)
end)

describe("nn.ResBlock and nn.SepResBlock", function()
  it("keep or halve the map and change the width, with a projection shortcut only where needed", function()
    local x = mien.rand({ 2, 8, 6, 6 })
    local same = nn.ResBlock(8, 8, { se = 4 })
    assert.is_nil(same.shortcut)
    assert.are.same({ 2, 8, 6, 6 }, same(x):shape())
    local down = nn.ResBlock(8, 16, { stride = 2 })
    assert.truthy(down.shortcut)
    assert.are.same({ 2, 16, 3, 3 }, down(x):shape())
    assert.are.same({ 2, 16, 3, 3 }, nn.SepResBlock(8, 16, { stride = 2, se = 4 })(x):shape())
  end)

  it("pass a float64 gradient check", function()
    for _, Block in ipairs { nn.ResBlock, nn.SepResBlock } do
      local b = Block(2, 4, { stride = 2, se = 2, dtype = "float64" })
      b:train()
      check_grad(function(xx) return b(xx) end, { f64({ 2, 2, 4, 4 }, 3):requires_grad_() })
    end
  end)

  it("reject a bad stride", function()
    assert.has_error(function() nn.ResBlock(4, 4, { stride = 3 }) end, "ResBlock: stride must be 1 or 2")
  end)
end)

describe("mien.optim.EMA", function()
  local function net()
    mien.manual_seed(5)
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
  end

  it("averages parameters and float buffers with the warm-up decay, copies integer buffers", function()
    local m = net()
    local ema = mien.optim.EMA(m, { decay = 0.9 })
    local w0 = m:state_dict()["1.weight"]:clone()
    mien.no_grad(function() m:state_dict()["1.weight"]:add_(1) end)
    m:train()
    m(mien.rand({ 4, 3 }))
    ema:update() -- d = min(0.9, 1/10) = 0.1
    close(ema:state_dict()["1.weight"], w0 * 0.1 + (w0 + 1) * 0.9, 1e-6)
    assert.are.equal(1, ema:state_dict()["2.num_batches_tracked"]:item())
    assert.are.equal(0.9, mien.optim.EMA(m, { decay = 0.9, warmup = false }):current_decay())
  end)

  it("apply() swaps the averaged weights in and the trained ones back, even on an error", function()
    local m = net()
    local ema = mien.optim.EMA(m, { decay = 0.5, warmup = false })
    local trained = m:state_dict()["1.weight"]:clone()
    local avg = trained:clone()
    mien.no_grad(function() m:state_dict()["1.weight"]:add_(2) end)
    local seen = ema:apply(function() return m:state_dict()["1.weight"]:clone() end)
    close(seen, avg, 0)
    close(m:state_dict()["1.weight"], trained + 2, 0)
    assert.has_error(function() ema:apply(function() error("boom") end) end, "boom")
    close(m:state_dict()["1.weight"], trained + 2, 0)
  end)

  it("travels in checkpoints and `mien eval`'s loader uses it", function()
    local dir = H.tmpdir()
    local m = net()
    local ema = mien.optim.EMA(m, { decay = 0.5 })
    mien.no_grad(function() m:state_dict()["1.weight"]:add_(1) end)
    ema:update()
    ema:update()
    local path = dir .. "/x.ckpt"
    mien.io.save_checkpoint(path, { model = m, ema = ema })
    local m2 = net()
    local ema2 = mien.optim.EMA(m2, { decay = 0.5 })
    local info = mien.io.load_checkpoint(path, { model = m2, ema = ema2 })
    assert.are.equal(2, ema2.updates)
    close(ema2:state_dict()["1.weight"], ema:state_dict()["1.weight"], 0)
    assert.truthy(info.ema_state)
    -- `mien eval` / `mien predict` rebuild the model with the averaged weights, as fit validated it
    H.write_file(dir .. "/net.lua", "local nn = require 'mien.nn'\nreturn function() return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)) end\n")
    mien.io.save_checkpoint(path, { model = m, ema = ema, extra = { recipe = { script = dir .. "/net.lua",
      classes = { "a", "b" } } } })
    local rebuilt = require("mien.train.recipe").load_model(path)
    close(rebuilt:state_dict()["1.weight"], ema:state_dict()["1.weight"], 0)
    assert.is_false(H.flat(m:state_dict()["1.weight"])[1] == H.flat(ema:state_dict()["1.weight"])[1])
    H.remove_dir(dir)
  end)

  it("rejects a bad decay", function()
    assert.has_error(function() mien.optim.EMA(net(), { decay = 1 }) end, "EMA: decay must be a number in [0, 1), got 1")
  end)
end)

describe("mien.optim.TimeBudgetLR", function()
  local function opt() return mien.optim.SGD({ mien.zeros({ 1 }, { requires_grad = true }) }, { lr = 1, momentum = 0.9 }) end

  it("follows the clock: warm-up to max_lr, then down to max_lr / final_div_factor at the end", function()
    local now = 0
    local o = opt()
    local s = mien.optim.TimeBudgetLR(o, { seconds = 100, shape = "onecycle", max_lr = 0.5, warmup = 0.2,
      div_factor = 10, final_div_factor = 100, clock = function() return now end, cycle_momentum = true })
    close(o.param_groups[1].lr, 0.05, 1e-12)
    now = 10
    s:step()
    close(o.param_groups[1].lr, 0.05 + (0.5 - 0.05) * 0.5, 1e-12) -- halfway up the cosine
    now = 20
    s:step()
    close(o.param_groups[1].lr, 0.5, 1e-12)
    close(o.param_groups[1].momentum, 0.85, 1e-12)
    now = 60
    s:step()
    close(o.param_groups[1].lr, 0.005 + (0.5 - 0.005) * 0.5, 1e-12)
    assert.is_false(s:done())
    now = 150
    s:step()
    close(o.param_groups[1].lr, 0.005, 1e-12)
    assert.is_true(s:done())
  end)

  it("cosine shape warms up linearly; a resumed schedule continues from the seconds it had used", function()
    local now = 0
    local clock = function() return now end
    local s = mien.optim.TimeBudgetLR(opt(), { seconds = 10, shape = "cosine", max_lr = 1, warmup = 0.5,
      div_factor = 4, clock = clock })
    now = 2.5
    s:step()
    close(s:get_lr()[1], 0.25 + 0.75 * 0.5, 1e-12)
    local sd = s:state_dict()
    now = 100
    local r = mien.optim.TimeBudgetLR(opt(), { seconds = 10, shape = "cosine", max_lr = 1, warmup = 0.5,
      div_factor = 4, clock = clock })
    r:load_state_dict(sd)
    close(r:progress(), 0.25, 1e-12)
  end)

  it("rejects bad options", function()
    assert.has_error(function() mien.optim.TimeBudgetLR(opt(), {}) end,
      "TimeBudgetLR: seconds must be a positive number, got nil")
    assert.has_error(function() mien.optim.TimeBudgetLR(opt(), { seconds = 1, shape = "step" }) end,
      "TimeBudgetLR: shape must be \"onecycle\" or \"cosine\", got step")
  end)
end)

describe("mien.data.mix", function()
  local x = mien.rand({ 8, 1, 6, 6 })
  local y = mien.tensor({ 1, 2, 3, 4, 5, 6, 7, 1 }, { dtype = "int64" })

  it("mixup: x and the one-hot targets mixed with the same lam and pairing", function()
    local mix = mien.data.mix { classes = 7, mixup = 0.4 }
    local d = mix:draw(8, 6, 6, 3)
    assert.are.equal("mixup", d.kind)
    local xm, ym = mix(x, y, 3)
    local perm = mien.tensor(d.perm, { dtype = "int64" })
    close(xm, x * d.lam + x:index_select(1, perm) * (1 - d.lam), 1e-6)
    close(ym:sum(2), mien.ones({ 8 }), 1e-6)
    local row = ym:totable()[1]
    local j = d.perm[1]
    local want = {}
    for k = 1, 7 do want[k] = (k == 1 and d.lam or 0) + (k == y:totable()[j] and 1 - d.lam or 0) end
    close(mien.tensor(row), mien.tensor(want), 1e-6)
  end)

  it("cutmix: a box of the partner pasted in, lam the share of the image kept", function()
    local mix = mien.data.mix { classes = 7, mixup = 0, cutmix = 1 }
    for step = 1, 5 do
      local d = mix:draw(8, 6, 6, step)
      assert.are.equal("cutmix", d.kind)
      local _, _, bh, bw = table.unpack(d.box)
      close(d.lam, 1 - bh * bw / 36, 1e-12)
      local xm = mix(x, y, step)
      local y0, x0 = d.box[1], d.box[2]
      if bh > 0 and bw > 0 then
        local xp = x:index_select(1, mien.tensor(d.perm, { dtype = "int64" }))
        close(xm:narrow(3, y0 + 1, bh):narrow(4, x0 + 1, bw), xp:narrow(3, y0 + 1, bh):narrow(4, x0 + 1, bw), 0)
      end
    end
  end)

  it("draws depend only on (seed, step); prob = 0 leaves batches alone", function()
    local a = mien.data.mix { classes = 7, mixup = 0.2, cutmix = 1, seed = 4 }
    local b = mien.data.mix { classes = 7, mixup = 0.2, cutmix = 1, seed = 4 }
    assert.are.same(a:draw(8, 6, 6, 11), b:draw(8, 6, 6, 11))
    local off = mien.data.mix { classes = 7, prob = 0 }
    local xo, yo = off(x, y, 1)
    assert.are.equal(x, xo)
    assert.are.equal(y, yo)
  end)

  it("Beta(a, a) draws have mean 1/2 and the right variance", function()
    local r = require("mien.util.prng").new(1, 1)
    local n, s, s2 = 4000, 0, 0
    for _ = 1, n do
      local v = require("mien.data.mix").beta(r, 0.4)
      s, s2 = s + v, s2 + v * v
    end
    local mean, var = s / n, s2 / n - (s / n) ^ 2
    assert.is_true(math.abs(mean - 0.5) < 0.03, tostring(mean))
    assert.is_true(math.abs(var - 0.25 / 1.8) < 0.02, tostring(var)) -- a^2/((2a)^2 (2a+1))
  end)

  it("names a label outside the classes", function()
    local mix = mien.data.mix { classes = 3, mixup = 1 }
    assert.has_error(function() mix(x, y, 1) end, "mix: label 4 at position 4 is outside 1..3")
  end)
end)

describe("mien.tta", function()
  local model = nn.Sequential(nn.Conv2d(1, 3, 3, { padding = 1 }), nn.GlobalAvgPool2d(), nn.Linear(3, 4))

  it("flip mirrors the last dim; ten crops are the corners and the centre, each mirrored", function()
    local x = mien.arange(0, 2 * 5 * 5):reshape({ 2, 1, 5, 5 }):float()
    local xt = x:totable()
    assert.are.equal(xt[1][1][2][1], mien.tta.flip(x):totable()[1][1][2][5])
    local v = mien.tta.views(x, { crop = 3, ten_crop = true })
    assert.are.equal(10, #v)
    assert.are.same({ 2, 1, 3, 3 }, v[1]:shape())
    assert.are.equal(xt[1][1][2][2], v[1]:totable()[1][1][1][1]) -- the centre crop starts at (1, 1)
    assert.are.equal(xt[1][1][3][3], v[9]:totable()[1][1][1][1]) -- the bottom-right corner crop
    assert.are.equal(xt[1][1][3][5], v[10]:totable()[1][1][1][1]) -- ... mirrored
  end)

  it("predict averages the softmax of the views", function()
    local x = mien.rand({ 3, 1, 6, 6 })
    local p = mien.tta.predict(model, x, { flip = true })
    local want = mien.no_grad(function() return (F.softmax(model(x), 2) + F.softmax(model(mien.tta.flip(x)), 2)) / 2 end)
    close(p, want, 1e-6)
    close(p:sum(2), mien.ones({ 3 }), 1e-5)
  end)

  it("names a crop that does not fit", function()
    assert.has_error(function() mien.tta.views(mien.rand({ 1, 1, 4, 4 }), { crop = 5 }) end,
      "tta: crop 5 does not fit 4x4 images")
  end)
end)

describe("mien.train.fit with mix, ema and time_limit", function()
  it("mixes the training batches, updates the EMA every step, validates with it and stops on time", function()
    mien.manual_seed(3)
    local labels = {}
    for i = 1, 32 do labels[i] = (i - 1) % 3 + 1 end
    local ds = mien.data.dataset { images = (mien.rand({ 32, 6, 6, 1 }) * 255):byte(),
      labels = mien.tensor(labels, { dtype = "int64" }), classes = { "a", "b", "c" } }
    local model = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
    local opt = mien.optim.SGD(model:parameters(), { lr = 0.1 })
    local ema = mien.optim.EMA(model, { decay = 0.9 })
    local mixed = 0
    local mix = setmetatable({}, { __call = function(_, x, y, step)
      mixed = mixed + 1
      return mien.data.mix { classes = 3, mixup = 0.5 }(x, y, step)
    end })
    local inputs = 0
    local function loss(out, y, x) -- three parameters: fit passes the input batch
      if mien.is_tensor(x) then inputs = inputs + 1 end
      return F.cross_entropy(out, y)
    end
    local history, r = mien.train.fit { model = model, optimizer = opt, epochs = 3, quiet = true, mix = mix, ema = ema,
      train = mien.data.loader(ds, { batch = 8 }), val = mien.data.loader(ds, { batch = 16, shuffle = false }),
      time_limit = 1e-9, loss = loss }
    assert.are.equal(1 + 2, inputs) -- one training batch, two validation batches
    -- any time at all exceeds the limit: one batch, then the epoch is validated and training stops
    assert.are.equal(1, #history)
    assert.are.equal(1, r.step)
    assert.are.equal(1, mixed)
    assert.are.equal(1, ema.updates)
    assert.truthy(r.stopped_by_time:find("stopped after batch 1 of epoch 1", 1, true))
    local v = ema:apply(function() return mien.train.evaluate(model, mien.data.loader(ds, { batch = 16, shuffle = false })) end)
    close(history[1].val_acc, v.acc, 1e-12)
  end)

  it("passes no input to a C loss such as mien.F.cross_entropy (its third argument is options)", function()
    local labels = {}
    for i = 1, 8 do labels[i] = (i - 1) % 2 + 1 end
    local ds = mien.data.dataset { images = (mien.rand({ 8, 2, 2, 1 }) * 255):byte(),
      labels = mien.tensor(labels, { dtype = "int64" }), classes = { "a", "b" } }
    local model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    local history = mien.train.fit { model = model, optimizer = mien.optim.SGD(model:parameters(), { lr = 0.1 }),
      epochs = 1, quiet = true, loss = F.cross_entropy, train = mien.data.loader(ds, { batch = 4 }),
      val = mien.data.loader(ds, { batch = 4, shuffle = false }) }
    assert.are.equal(1, #history)
  end)
end)

describe("nn.distillation_loss", function()
  it("is alpha T^2 KL(teacher_T || student_T) + (1 - alpha) CE", function()
    local s, t = f64({ 3, 4 }, 7), f64({ 3, 4 }, 8) * 3
    local y = mien.tensor({ 1, 4, 2 }, { dtype = "int64" })
    local T, alpha = 2, 0.6
    local got = nn.distillation_loss(s, t, y, { T = T, alpha = alpha }):item()
    local pt, ls = F.softmax(t / T, 2):totable(), F.log_softmax(s / T, 2):totable()
    local kl = 0
    for i = 1, 3 do for k = 1, 4 do kl = kl + pt[i][k] * (math.log(pt[i][k]) - ls[i][k]) end end
    local want = alpha * T * T * kl / 3 + (1 - alpha) * F.cross_entropy(s, y):item()
    assert.is_true(math.abs(got - want) < 1e-10, got .. " vs " .. want)
    -- the same teacher as the student gives a zero soft term
    assert.is_true(math.abs(nn.distillation_loss(s, s, y, { alpha = 1 }):item()) < 1e-10)
  end)

  it("passes a float64 gradient check with respect to the student", function()
    local t = f64({ 2, 5 }, 9)
    local y = mien.tensor({ 2, 5 }, { dtype = "int64" })
    check_grad(function(s) return nn.distillation_loss(s, t, y, { T = 3, alpha = 0.5, label_smoothing = 0.1 }) end,
      { f64({ 2, 5 }, 10):requires_grad_() })
  end)

  it("DistillationLoss calls the teacher on the student's input without gradients", function()
    local teacher = nn.Linear(4, 3)
    local loss = nn.DistillationLoss(function(x) return teacher(x) end, { T = 2, alpha = 1 }):as_loss()
    local x = mien.rand({ 5, 4 })
    local out = mien.rand({ 5, 3 }, { requires_grad = true })
    local l = loss(out, mien.tensor({ 1, 2, 3, 1, 2 }, { dtype = "int64" }), x)
    l:backward()
    assert.truthy(out.grad)
    assert.is_nil(teacher.weight.grad)
  end)

  it("names bad shapes and options", function()
    assert.has_error(function() nn.distillation_loss(mien.rand({ 2, 3 }), mien.rand({ 2, 4 }), nil) end,
      "distillation_loss: student [2,3] and teacher [2,4] must both be [B,C]")
    assert.has_error(function() nn.distillation_loss(mien.rand({ 2, 3 }), mien.rand({ 2, 3 }), nil, { T = 0 }) end)
  end)
end)
