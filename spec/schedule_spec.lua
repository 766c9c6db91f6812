-- Learning-rate schedules: the documented LR sequences, ReduceLROnPlateau
-- against a worked trace (patience, relative/absolute thresholds, cooldown,
-- min_lr), and state dicts.
local mien = require "mien"
local optim = require "mien.optim"

local function make_opt(lr, kind)
  local p = mien.zeros({ 2 }, { requires_grad = true })
  if kind == "adam" then return optim.Adam({ p }, { lr = lr }) end
  return optim.SGD({ p }, { lr = lr, momentum = 0.9 })
end

-- lrs[k] is the lr after k-1 calls of step() (index 1: right after construction).
local function sequence(sched, n)
  local out = { sched:get_lr()[1] }
  for _ = 2, n do
    sched:step()
    out[#out + 1] = sched:get_lr()[1]
  end
  return out
end

local function assert_seq(expected, got, tol)
  assert.are.equal(#expected, #got)
  for i = 1, #expected do
    assert(math.abs(got[i] - expected[i]) <= (tol or 1e-15) * math.max(1, math.abs(expected[i])),
      string.format("entry %d: got %.17g, expected %.17g", i, got[i], expected[i]))
  end
end

describe("schedules", function()
  it("StepLR: base * gamma^floor(t / step_size)", function()
    local opt = make_opt(0.1)
    local s = optim.StepLR(opt, { step_size = 2, gamma = 0.5 })
    assert_seq({ 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125 }, sequence(s, 7))
    assert.are.equal(0.0125, opt.param_groups[1].lr)
  end)

  it("MultiStepLR: gamma once per milestone passed", function()
    local s = optim.MultiStepLR(make_opt(1), { milestones = { 5, 2 }, gamma = 0.1 })
    assert_seq({ 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01 }, sequence(s, 7))
  end)

  it("ExponentialLR: base * gamma^t", function()
    assert_seq({ 1, 0.5, 0.25, 0.125 }, sequence(optim.ExponentialLR(make_opt(1), { gamma = 0.5 }), 4))
  end)

  it("CosineAnnealingLR and LambdaLR", function()
    local cos = optim.CosineAnnealingLR(make_opt(1), { T_max = 3, eta_min = 0 })
    assert_seq({ 1, 0.75, 0.25, 0, 0.25 }, sequence(cos, 5), 1e-15)
    local lambda = optim.LambdaLR(make_opt(2), { lr_lambda = function(t) return 1 / (t + 1) end })
    assert_seq({ 2, 1, 2 / 3 }, sequence(lambda, 3))
  end)

  it("WarmupCosine: linear warm-up from 0, cosine down to min_lr, then min_lr", function()
    -- warmup 2, total 6: t = 0, 1 -> 0, .5; t = 2..6 -> cosine over 4 steps: 1, (1 + cos(pi/4))/2, .5,
    -- (1 + cos(3pi/4))/2, 0 (scaled between min_lr = .1 and 1); then .1
    local s = optim.WarmupCosine(make_opt(1), { warmup = 2, total = 6, min_lr = 0.1 })
    local c1, c3 = 0.85355339059327373, 0.14644660940672627
    assert_seq({ 0, 0.5, 1, 0.1 + 0.9 * c1, 0.55, 0.1 + 0.9 * c3, 0.1, 0.1 }, sequence(s, 8), 1e-15)
    -- two groups, each from its own lr
    local a, b = mien.zeros({ 1 }, { requires_grad = true }), mien.zeros({ 1 }, { requires_grad = true })
    local opt = optim.SGD({ { params = { a }, lr = 0.1 }, { params = { b } } }, { lr = 1 })
    local s2 = optim.WarmupCosine(opt, { warmup = 4, total = 8 })
    s2:step()
    assert_seq({ 0.025, 0.25 }, s2:get_lr())
  end)

  it("OneCycle follows PyTorch's OneCycleLR (cos annealing, momentum cycling)", function()
    -- max_lr 1, total 10, pct_start .3, div 25, final_div 1e4: initial .04, min 4e-6;
    -- phase 1 ends at step .3 * 10 - 1 = 2, phase 2 at 9
    local opt = make_opt(123)
    local s = optim.OneCycle(opt, { max_lr = 1, total_steps = 10 })
    assert.are.equal(0.04, opt.param_groups[1].initial_lr)
    local lrs, moms = { s:get_lr()[1] }, { opt.param_groups[1].momentum }
    for _ = 1, 9 do
      s:step()
      lrs[#lrs + 1] = s:get_lr()[1]
      moms[#moms + 1] = opt.param_groups[1].momentum
    end
    assert_seq({ 0.04, 0.52, 1, 0.95048463201347366, 0.81174565394976306, 0.61126202193628931, 0.38874197806371075,
      0.18825834605023697, 0.049519367986526286, 4e-6 }, lrs, 1e-14)
    assert_seq({ 0.95, 0.9, 0.85, 0.85495155660487898, 0.86882550990706331, 0.88887395330218422,
      0.91112604669781572, 0.93117449009293662, 0.94504844339512095, 0.95 }, moms, 1e-14)
    s:step() -- step 10 == total_steps is allowed, 11 is not
    assert.has_error(function() s:step() end)
    -- Adam: beta1 cycles
    local aopt = make_opt(1, "adam")
    optim.OneCycle(aopt, { max_lr = 0.01, epochs = 2, steps_per_epoch = 5, div_factor = 10 })
    assert_seq({ 0.001 }, { aopt.param_groups[1].lr }, 1e-15)
    assert.are.equal(0.95, aopt.param_groups[1].betas[1])
    assert.are.equal(0.999, aopt.param_groups[1].betas[2])
  end)

  it("restores its position from a state dict", function()
    local s = optim.StepLR(make_opt(0.1), { step_size = 2, gamma = 0.5 })
    for _ = 1, 3 do s:step() end
    local sd = s:state_dict()
    local opt2 = make_opt(0.1)
    local s2 = optim.StepLR(opt2, { step_size = 2, gamma = 0.5 })
    s2:load_state_dict(sd)
    s:step()
    s2:step()
    assert.are.equal(s:get_lr()[1], s2:get_lr()[1])
    assert.are.equal(0.025, opt2.param_groups[1].lr)
  end)
end)

describe("ReduceLROnPlateau", function()
  it("reproduces a worked trace (min, rel threshold .1, patience 2, cooldown 1, min_lr .2)", function()
    local opt = make_opt(1)
    local s = optim.ReduceLROnPlateau(opt, { mode = "min", factor = 0.5, patience = 2, threshold = 0.1,
      threshold_mode = "rel", cooldown = 1, min_lr = 0.2 })
    -- epoch metric  better?  (best * .9)      bad  cooldown  lr
    --  1    10      yes (< inf)                0               1
    --  2    9.5     no  (not < 9)              1               1
    --  3    9.2     no                         2               1
    --  4    8.95    yes (< 9)   best 8.95      0               1
    --  5    8.9     no  (not < 8.055)          1               1
    --  6    8.9     no                         2               1
    --  7    8.9     no                         3 > 2: reduce   .5, cooldown 1, bad 0
    --  8    8.9     no                         1 -> 0 (cooldown, counter 0)  .5
    --  9    8.9     no                         1               .5
    -- 10    8.9     no                         2               .5
    -- 11    8.9     no                         3: reduce       .25, cooldown 1
    -- 12    1.0     yes, best 1                0 (cooldown, counter 0)  .25
    -- 13-14 1.0     no                         1, 2            .25
    -- 15    1.0     no                         3: reduce to max(.125, .2) = .2
    -- 16    1.0     no                         1 -> 0 (cooldown)   .2
    -- 17-18 1.0     no                         1, 2            .2
    -- 19    1.0     no                         3: max(.1, .2) = .2, no change  .2
    local metrics = { 10, 9.5, 9.2, 8.95, 8.9, 8.9, 8.9, 8.9, 8.9, 8.9, 8.9, 1, 1, 1, 1, 1, 1, 1, 1 }
    local expected = { 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2 }
    local bad = { 0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0 }
    for e, m in ipairs(metrics) do
      local reduced = s:step(m)
      assert.are.equal(expected[e], opt.param_groups[1].lr, "epoch " .. e)
      assert.are.equal(bad[e], s.num_bad_epochs, "bad epochs after epoch " .. e)
      assert.are.equal(e == 7 or e == 11 or e == 15, reduced, "reduced at epoch " .. e)
    end
    assert.are.equal(1, s.best)
    assert.are.same({ 0.2 }, s:get_lr())
  end)

  it("handles mode max with an absolute threshold and patience 0", function()
    local opt = make_opt(1)
    local s = optim.ReduceLROnPlateau(opt, { mode = "max", factor = 0.1, patience = 0, threshold = 0.5,
      threshold_mode = "abs" })
    -- 1: better (> -inf), best 1; 1.4: not > 1.5, bad 1 > 0 -> .1; 1.6: better (> 1.5), best 1.6;
    -- 2.0: not > 2.1 -> .01
    local lrs = {}
    for _, m in ipairs { 1, 1.4, 1.6, 2.0 } do
      s:step(mien.tensor(m, { dtype = "float64" })) -- a 0-d tensor works too
      lrs[#lrs + 1] = opt.param_groups[1].lr
    end
    assert_seq({ 1, 0.1, 0.1, 0.01 }, lrs, 1e-15)
    assert.are.equal(1.6, s.best)
  end)

  it("saves its counters", function()
    local opt = make_opt(1)
    local s = optim.ReduceLROnPlateau(opt, { patience = 1, cooldown = 2 })
    for _, m in ipairs { 5, 6, 7 } do s:step(m) end
    local sd = s:state_dict()
    assert.are.same({ 5, 0, 2, 3 }, { sd.best, sd.num_bad_epochs, sd.cooldown_counter, sd.last_epoch })
    local s2 = optim.ReduceLROnPlateau(make_opt(1), { patience = 1, cooldown = 2 })
    s2:load_state_dict(sd)
    assert.are.same({ 5, 0, 2, 3 }, { s2.best, s2.num_bad_epochs, s2.cooldown_counter, s2.last_epoch })
    assert.is_true(s2:in_cooldown())
  end)
end)
