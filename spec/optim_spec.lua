-- mien.optim: the first three updates of every optimizer against numbers
-- worked out by hand (float64 parameter p0 = {1, -2}, gradients
-- g1 = {0.5, -1}, g2 = {0.1, 0.2}, g3 = {-0.3, 0.4}), parameter groups,
-- skipping params without grads, zero_grad, clipping and state dicts.
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"

local G = { { 0.5, -1.0 }, { 0.1, 0.2 }, { -0.3, 0.4 } }

local function param()
  return mien.tensor({ 1.0, -2.0 }, { dtype = "float64", requires_grad = true })
end

-- Runs three steps with the gradient sequence and checks p after each.
local function check(make, expected, tol, grads)
  local p = param()
  local opt = make({ p })
  for k, g in ipairs(grads or G) do
    p.grad = mien.tensor(g, { dtype = "float64" })
    opt:step()
    local got = p:totable()
    for i = 1, 2 do
      local e = expected[k][i]
      local err = math.abs(got[i] - e)
      assert(err <= (tol or 1e-13) * math.max(1, math.abs(e)),
        string.format("step %d element %d: got %.17g, expected %.17g", k, i, got[i], e))
    end
  end
  return opt, p
end

describe("SGD", function()
  it("plain: p -= lr * g", function()
    -- lr 0.1: {1 - .05, -2 + .1} = {.95, -1.9}; {.95 - .01, -1.9 - .02}; {.94 + .03, -1.92 - .04}
    check(function(ps) return optim.SGD(ps, { lr = 0.1 }) end,
      { { 0.95, -1.9 }, { 0.94, -1.92 }, { 0.97, -1.96 } })
  end)

  it("with momentum 0.9 and weight decay 0.01 (buffer starts at the first gradient)", function()
    -- d1 = g1 + .01 p0 = {.51, -1.02}; buf = d1; p1 = p0 - .1 buf = {.949, -1.898}
    -- d2 = {.1 + .00949, .2 - .01898} = {.10949, .18102}; buf = .9 {.51, -1.02} + d2 = {.56849, -.73698}
    -- p2 = {.949 - .056849, -1.898 + .073698} = {.892151, -1.824302}
    -- d3 = {-.3 + .00892151, .4 - .01824302} = {-.29107849, .38175698}
    -- buf = .9 {.56849, -.73698} + d3 = {.22056251, -.28152502}; p3 = {.870094749, -1.796149498}
    check(function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9, weight_decay = 0.01 }) end,
      { { 0.949, -1.898 }, { 0.892151, -1.824302 }, { 0.870094749, -1.796149498 } })
  end)

  it("with Nesterov momentum", function()
    -- buf1 = g1; step g1 + .9 buf1 = {.95, -1.9}; p1 = {.905, -1.81}
    -- buf2 = .9 g1 + g2 = {.55, -.7}; step g2 + .9 buf2 = {.595, -.43}; p2 = {.8455, -1.767}
    -- buf3 = .9 buf2 + g3 = {.195, -.23}; step g3 + .9 buf3 = {-.1245, .193}; p3 = {.85795, -1.7863}
    check(function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9, nesterov = true }) end,
      { { 0.905, -1.81 }, { 0.8455, -1.767 }, { 0.85795, -1.7863 } })
    assert.has_error(function() optim.SGD({ param() }, { lr = 0.1, nesterov = true }) end)
  end)
end)

describe("SGD with dampening", function()
  it("does not dampen the first step (dampening 0.5, momentum 0.9)", function()
    -- buf1 = g1 = {.5, -1}; p1 = {.95, -1.9}
    -- buf2 = .9 buf1 + .5 g2 = {.5, -.8}; p2 = {.9, -1.82}
    -- buf3 = .9 buf2 + .5 g3 = {.3, -.52}; p3 = {.87, -1.768}
    check(function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9, dampening = 0.5 }) end,
      { { 0.95, -1.9 }, { 0.9, -1.82 }, { 0.87, -1.768 } })
  end)
end)

describe("Adam", function()
  it("applies bias correction (lr 0.1, betas 0.9/0.999, eps 1e-8)", function()
    -- step 1: m = .1 g1 = {.05, -.1}, v = .001 g1^2 = {2.5e-4, 1e-3}; m/(1-.9) = g1,
    --   sqrt(v/(1-.999)) = |g1|, so p1 = p0 - .1 * g1 / (|g1| + 1e-8)
    --   = {1 - .1 * .5/.50000001, -2 + .1 * 1/1.00000001} = {.900000002, -1.900000001}
    -- step 2: m = {.055, -.07}, v = {2.6975e-4, 1.03900e-3} (.999 v + .001 g2^2);
    --   bc1 = .19, bc2 = .001999: p2 = p1 - .1 * (m/.19) / (sqrt(v/.001999) + 1e-8)
    --   = {.81969590638465173, -1.8488973939904945}
    -- step 3: m = {.0195, -.023}, v = {3.5937025e-4, 1.19796100e-3}, bc1 = .271, bc2 = .002997001
    --   p3 = {.79862461176350796, -1.835473434208156}
    check(function(ps) return optim.Adam(ps, { lr = 0.1 }) end, {
      { 0.900000002, -1.900000001 },
      { 0.81969590638465173, -1.8488973939904945 },
      { 0.79862461176350796, -1.835473434208156 },
    }, 1e-12)
  end)

  it("adds L2 weight decay to the gradient", function()
    -- step 1: d = g1 + .1 p0 = {.6, -1.2}: p1 = p0 - .1 d/(|d| + 1e-8) = {.9000000016666666, -1.9000000008333333}
    check(function(ps) return optim.Adam(ps, { lr = 0.1, weight_decay = 0.1 }) end, {
      { 0.9000000016666666, -1.9000000008333333 },
      { 0.8136483454297575, -1.8336169077420748 },
      { 0.77158182105099549, -1.7944802191238758 },
    }, 1e-12)
  end)

  it("AMSGrad keeps the largest second moment", function()
    -- g = {2, -2}, then {.01, .01} twice: v1 = {.004, .004} and v2 = .999 v1 + 1e-7 = {.0039961, .0039961} < v1,
    -- so step 2 divides by sqrt(v1 / bc2) instead of sqrt(v2 / bc2)
    -- step 1: p1 = p0 - .1 * g1 / (|g1| + 1e-8) = {.9000000005, -1.9000000005}
    -- step 2: m = {.181, -.179}, bc1 = .19, bc2 = .001999, sqrt(vmax / bc2) = sqrt(.004/.001999) = 1.41456...:
    --   p2 = {.9000000005 - .1 * (.181/.19) / 1.41456..., ...} = {.83265561844326574, -1.8333997552615722}
    --   (plain Adam would give {.83262276403050295, ...}: sqrt(v2/bc2) = 1.41385...)
    check(function(ps) return optim.Adam(ps, { lr = 0.1, amsgrad = true }) end, {
      { 0.9000000005, -1.9000000005 },
      { 0.83265561844326574, -1.8333997552615722 },
      { 0.78030484442570169, -1.7822627270723592 },
    }, 1e-12, { { 2, -2 }, { 0.01, 0.01 }, { 0.01, 0.01 } })
  end)
end)

describe("AdamW", function()
  it("decays the weights directly (lr 0.1, weight_decay 0.1)", function()
    -- step 1: p0 * (1 - .01) = {.99, -1.98}, then the Adam step of g1: {.890000002, -1.880000001}
    check(function(ps) return optim.AdamW(ps, { lr = 0.1, weight_decay = 0.1 }) end, {
      { 0.890000002, -1.880000001 },
      { 0.8007959063646517, -1.8100973939804945 },
      { 0.77171665267986145, -1.778572460258351 },
    }, 1e-12)
  end)
end)

describe("RMSProp", function()
  it("divides by the root mean square (lr 0.01, alpha 0.99)", function()
    -- step 1: sq = .01 g1^2 = {.0025, .01}; p1 = p0 - .01 g1 / (sqrt(sq) + 1e-8)
    --   = {1 - .01 * .5/.05000001, -2 + .01 * 1/.10000001} = {.900000019999996, -1.900000009999999}
    check(function(ps) return optim.RMSProp(ps, { lr = 0.01, alpha = 0.99 }) end, {
      { 0.90000001999999601, -1.900000009999999 },
      { 0.88029343832020457, -1.9197065936215374 },
      { 0.93137437404654277, -1.9565342567273971 },
    }, 1e-12)
  end)

  it("centered, with momentum 0.5 and weight decay 0.1 (alpha 0.9)", function()
    -- step 1: d = g1 + .1 p0 = {.6, -1.2}; sq = .1 d^2 = {.036, .144}; ga = .1 d = {.06, -.12}
    --   avg = sqrt(sq - ga^2) + 1e-8 = sqrt({.0324, .1296}) = {.18, .36}; buf = d/avg = {3.3333333, -3.3333333}
    --   p1 = p0 - .01 buf = {.96666666851851846, -1.9666666675925926}
    check(function(ps) return optim.RMSProp(ps, { lr = 0.01, alpha = 0.9, momentum = 0.5, centered = true,
      weight_decay = 0.1 }) end, {
      { 0.96666666851851846, -1.9666666675925926 },
      { 0.93880133123667475, -1.9500970347679711 },
      { 0.93591750607967861, -1.9478568947151209 },
    }, 1e-12)
  end)
end)

describe("optimizer mechanics", function()
  it("uses per-group hyper-parameters, skips params without grads and zero_grad sets nil", function()
    local a = mien.tensor({ 1.0 }, { dtype = "float64", requires_grad = true })
    local b = mien.tensor({ 1.0 }, { dtype = "float64", requires_grad = true })
    local c = mien.tensor({ 1.0 }, { dtype = "float64", requires_grad = true })
    local opt = optim.SGD({ { params = { a }, lr = 0.5 }, { params = { b, c } } }, { lr = 0.1, weight_decay = 1 })
    assert.are.equal(0.5, opt.param_groups[1].lr)
    assert.are.equal(0.1, opt.param_groups[2].lr)
    assert.are.equal(1, opt.param_groups[1].weight_decay)
    a.grad = mien.tensor({ 1.0 }, { dtype = "float64" })
    b.grad = mien.tensor({ 1.0 }, { dtype = "float64" })
    opt:step()
    assert.are.equal(0, a:totable()[1]) -- 1 - .5 (1 + 1)
    assert.are.equal(0.8, b:totable()[1]) -- 1 - .1 (1 + 1)
    assert.are.equal(1, c:totable()[1]) -- no grad: untouched, even with weight decay
    opt:zero_grad()
    assert.is_nil(a.grad)
    assert.is_nil(b.grad)
    assert.are.same({ 0.5, 0.1 }, opt:get_lr())
    assert.has_error(function() optim.SGD({ a }, { lr = 0.1, betas = { 1, 2 } }) end)
    assert.has_error(function() optim.SGD({ { params = { a } }, { params = { a } } }) end)
  end)

  it("takes a module's parameters and updates float32 models", function()
    mien.manual_seed(3)
    local net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    local opt = optim.Adam(net, { lr = 0.01 })
    local x, y = mien.randn({ 16, 4 }), mien.randn({ 16, 1 })
    local first, last
    for _ = 1, 30 do
      local loss = mien.F.mse_loss(net(x), y)
      opt:zero_grad()
      loss:backward()
      opt:step()
      first = first or loss:item()
      last = loss:item()
    end
    assert.is_true(last < 0.8 * first)
  end)

  it("clips the gradient norm and values", function()
    local a = mien.tensor({ 3.0, 0.0 }, { dtype = "float64", requires_grad = true })
    local b = mien.tensor({ 4.0 }, { dtype = "float64", requires_grad = true })
    a.grad = mien.tensor({ 3.0, 0.0 }, { dtype = "float64" })
    b.grad = mien.tensor({ 4.0 }, { dtype = "float64" })
    local total = optim.clip_grad_norm({ a, b }, 1.0)
    assert.are.equal(5, total)
    local s = 1 / (5 + 1e-6)
    assert.is_true(math.abs(a.grad:totable()[1] - 3 * s) < 1e-15)
    assert.is_true(math.abs(b.grad:totable()[1] - 4 * s) < 1e-15)
    -- below the limit nothing changes
    assert.is_true(math.abs(optim.clip_grad_norm({ a, b }, 10) - 5 * s) < 1e-12)
    assert.is_true(math.abs(b.grad:totable()[1] - 4 * s) < 1e-15)
    assert.are.equal(4 * s, optim.clip_grad_norm({ a, b }, 10, math.huge))
    b.grad = mien.tensor({ -7.0 }, { dtype = "float64" })
    optim.clip_grad_value({ a, b }, 0.5)
    assert.are.same({ -0.5 }, b.grad:totable())
    assert.are.same({ 0.5, 0 }, a.grad:totable())
  end)

  it("saves and restores its state: a restored optimizer continues identically", function()
    local function run(opt, p, grads)
      for _, g in ipairs(grads) do
        p.grad = mien.tensor(g, { dtype = "float64" })
        opt:step()
      end
    end
    for _, make in ipairs {
      function(ps) return optim.Adam(ps, { lr = 0.1, amsgrad = true }) end,
      function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9 }) end,
      function(ps) return optim.RMSProp(ps, { lr = 0.01, momentum = 0.5, centered = true }) end,
    } do
      local p = param()
      local opt = make({ p })
      run(opt, p, { G[1] })
      local sd = opt:state_dict()
      local q = mien.tensor(p:totable(), { dtype = "float64", requires_grad = true })
      local opt2 = make({ q })
      opt2.param_groups[1].lr = 123 -- overwritten by the restore
      opt2:load_state_dict(sd)
      assert.are.equal(opt.param_groups[1].lr, opt2.param_groups[1].lr)
      run(opt, p, { G[2], G[3] })
      run(opt2, q, { G[2], G[3] })
      assert.are.same(p:totable(), q:totable())
      assert.are.equal(3, opt2:state_dict().state[1].step)
    end
  end)
end)

-- The multi-tensor step (update_many: one core call per group) against the
-- per-parameter one (update): the same numbers, with tensors large enough to
-- be split into chunks across threads, parameters that join late (another
-- step count), mixed dtypes, and errors that name the parameter.
describe("the multi-tensor step", function()
  local core = require "mien.core"
  local shapes = { { 3 }, { 70000 }, { 33, 17 }, { 1 }, { 40000 } }

  local function params(dtype, seed)
    mien.manual_seed(seed)
    local ps = {}
    for i, s in ipairs(shapes) do ps[i] = mien.randn(s, { dtype = dtype, requires_grad = true }) end
    return ps
  end

  -- Runs three steps with update_many (the default) and with update per
  -- parameter; parameter 4 has no gradient on the first step.
  local function both(make, dtype)
    local results = {}
    for _, many in ipairs { true, false } do
      local ps = params(dtype, 5)
      local opt = make(ps)
      if not many then opt.update_many = false end
      for step = 1, 3 do
        mien.manual_seed(100 + step)
        for i, p in ipairs(ps) do
          p.grad = (step == 1 and i == 4) and nil or mien.randn(p:shape(), { dtype = dtype })
        end
        opt:step()
      end
      results[#results + 1] = ps
    end
    return results[1], results[2]
  end

  for _, case in ipairs {
    { "Adam", function(ps) return optim.Adam(ps, { lr = 0.01, weight_decay = 0.1 }) end },
    { "AdamW amsgrad", function(ps) return optim.AdamW(ps, { lr = 0.01, amsgrad = true }) end },
    { "SGD nesterov", function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01 }) end },
    { "RMSProp centered", function(ps) return optim.RMSProp(ps, { lr = 0.01, momentum = 0.5, centered = true }) end },
  } do
    for _, dtype in ipairs { "float32", "float64" } do
      it(case[1] .. " in " .. dtype .. " gives what the per-parameter update gives", function()
        local a, b = both(case[2], dtype)
        for i = 1, #shapes do
          assert.are.equal(0, (a[i] - b[i]):abs():max():item(), case[1] .. " parameter " .. i)
        end
        assert.is_true((a[2] - params(dtype, 5)[2]):abs():max():item() > 0) -- they did move
      end)
    end
  end

  it("keeps parameters of two dtypes in one group apart", function()
    local a = mien.tensor({ 1.0, -2.0 }, { dtype = "float64", requires_grad = true })
    local b = mien.tensor({ 1.0, -2.0 }, { requires_grad = true })
    local opt = optim.Adam({ a, b }, { lr = 0.1 })
    a.grad, b.grad = mien.tensor({ 0.5, -1.0 }, { dtype = "float64" }), mien.tensor({ 0.5, -1.0 })
    opt:step()
    assert.is_true(math.abs(a:totable()[1] - 0.9) < 1e-7)
    assert.is_true(math.abs(b:totable()[1] - 0.9) < 1e-6)
  end)

  it("names the parameter that does not fit", function()
    local p = { mien.zeros(3), mien.zeros(4) }
    local g = { mien.zeros(3), mien.zeros(4) }
    local ok, err = pcall(core.adam_update_many, p, g, { mien.zeros(3), mien.zeros(5) }, { mien.zeros(3), mien.zeros(4) },
      nil, { lr = 0.1, step = 1 })
    assert.is_false(ok)
    assert.matches("parameter 2: adam: exp_avg has shape", err, 1, true)
    ok, err = pcall(core.sgd_update_many, p, { g[1] }, nil, { lr = 0.1 })
    assert.is_false(ok)
    assert.matches("the gradients has 1 tensors, the parameters 2", err, 1, true)
    ok, err = pcall(core.sgd_update_many, p, { g[1], 7 }, nil, { lr = 0.1 })
    assert.matches("the gradients[2] is not a tensor", err, 1, true)
    ok, err = pcall(core.sgd_update_many, { p[1], mien.zeros(4, { dtype = "float64" }) }, g, nil, { lr = 0.1 })
    assert.matches("one update takes one dtype and device", err, 1, true)
  end)
end)
