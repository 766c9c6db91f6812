--- Learning-rate schedules over an optimizer's parameter groups. Each one
-- sets group.lr from a closed form of its step count (PyTorch's last_epoch):
-- the constructor applies step 0, and every step() advances by one.
--   sched:step()            -- ReduceLROnPlateau: sched:step(metric)
--   sched:get_lr()          -- the current lr of each group (a list)
--   sched:state_dict() / sched:load_state_dict(sd)  (plain numbers/tables, JSON-safe)
--
--   optim.StepLR(opt, {step_size=, gamma=0.1})           lr = base * gamma^floor(t / step_size)
--   optim.MultiStepLR(opt, {milestones={...}, gamma=0.1}) lr = base * gamma^#{m <= t}
--   optim.ExponentialLR(opt, {gamma=})                   lr = base * gamma^t
--   optim.CosineAnnealingLR(opt, {T_max=, eta_min=0})    lr = eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2
--   optim.LambdaLR(opt, {lr_lambda=function(t) end})     lr = base * f(t)
--   optim.WarmupCosine(opt, {warmup=, total=, min_lr=0}):
--       t < warmup:          lr = base * t / warmup      (linear warm-up from 0)
--       warmup <= t <= total: lr = min_lr + (base - min_lr)(1 + cos(pi (t - warmup) / (total - warmup))) / 2
--       t > total:           lr = min_lr
--   optim.OneCycle(opt, {max_lr=, total_steps= (or epochs= and steps_per_epoch=), pct_start=0.3,
--       div_factor=25, final_div_factor=1e4, anneal_strategy="cos", cycle_momentum=true,
--       base_momentum=0.85, max_momentum=0.95})   -- PyTorch's OneCycleLR (two phases)
--   optim.ReduceLROnPlateau(opt, {mode="min", factor=0.1, patience=10, threshold=1e-4,
--       threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8})  -- PyTorch's semantics
-- base is each group's initial_lr (set from its lr the first time a schedule
-- is attached). max_lr/min_lr may be numbers or per-group lists.
local M = {}

local function per_group(v, n, what)
  if type(v) == "table" then
    if #v ~= n then error(string.format("%s: expected %d values (one per group), got %d", what, n, #v), 4) end
    return { table.unpack(v) }
  end
  local out = {}
  for i = 1, n do out[i] = v end
  return out
end

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

local Scheduler = {}
Scheduler.__index = Scheduler

-- Subclass with a compute(t) -> {lr per group} method.
local function class(name)
  local cls = setmetatable({}, { __index = Scheduler })
  cls.__index = cls
  cls.__name = name
  cls.__tostring = function(self)
    return string.format("%s(step=%d, lr=%s)", name, self.last_epoch,
      table.concat((function()
        local s = {}
        for i, v in ipairs(self.last_lrs or {}) do s[i] = string.format("%g", v) end
        return s
      end)(), ", "))
  end
  getmetatable(cls).__call = function(c, opt, opts)
    local args = require "mien.util.args"
    args.check(name, 1, opt, "table", "an optimizer (mien.optim)")
    opts = args.options(name, 2, opts)
    local self = setmetatable({ optimizer = opt, name = name }, c)
    self:setup(opts or {})
    return self
  end
  M[name] = cls
  return cls
end

--- Record each group's starting lr (base_lrs); schedules call it from their setup.
-- @tparam table opts the schedule's options
function Scheduler:setup_base(opts)
  assert(type(self.optimizer) == "table" and self.optimizer.param_groups, self.name .. ": expected an optimizer")
  self.base_lrs = {}
  for i, g in ipairs(self.optimizer.param_groups) do
    if g.initial_lr == nil then g.initial_lr = g.lr end
    self.base_lrs[i] = g.initial_lr
  end
  self.last_epoch = (opts.last_epoch or -1)
  self:step()
end

--- Advance one epoch (one batch for per-batch schedules) and set each group's lr.
function Scheduler:step()
  self.last_epoch = self.last_epoch + 1
  local lrs = self:compute(self.last_epoch)
  for i, g in ipairs(self.optimizer.param_groups) do g.lr = lrs[i] end
  self.last_lrs = lrs
  if self.after_step then self:after_step(self.last_epoch) end
  return lrs
end

--- The learning rate of each group after the last step.
-- @treturn {number,...}
function Scheduler:get_lr()
  return { table.unpack(self.last_lrs) }
end
Scheduler.get_last_lr = Scheduler.get_lr

--- The schedule's variable state (configuration comes from the constructor).
function Scheduler:state_dict()
  return { type = self.name, last_epoch = self.last_epoch, base_lrs = copy(self.base_lrs),
    last_lrs = copy(self.last_lrs) }
end

--- Restore a schedule's state from state_dict().
-- @tparam table sd
function Scheduler:load_state_dict(sd)
  if sd.type and sd.type ~= self.name then
    error(string.format("load_state_dict: the state is of a %s, this is a %s", sd.type, self.name), 2)
  end
  self.last_epoch = math.tointeger(sd.last_epoch) or sd.last_epoch
  self.base_lrs = copy(sd.base_lrs)
  self.last_lrs = copy(sd.last_lrs)
end

-- ------------------------------------------------------------------ StepLR

local StepLR = class("StepLR")
--- StepLR(opt, {step_size=, gamma=0.1}): lr * gamma every step_size epochs.
-- @tparam table o step_size (required), gamma (0.1)
function StepLR:setup(o)
  assert(math.type(o.step_size) == "integer" and o.step_size > 0, "StepLR: step_size must be a positive integer")
  self.step_size, self.gamma = o.step_size, o.gamma or 0.1
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function StepLR:compute(t)
  local out = {}
  for i, b in ipairs(self.base_lrs) do out[i] = b * self.gamma ^ (t // self.step_size) end
  return out
end

-- ------------------------------------------------------------- MultiStepLR

local MultiStepLR = class("MultiStepLR")
--- MultiStepLR(opt, {milestones=, gamma=0.1}): lr * gamma at each milestone epoch.
-- @tparam table o milestones (a list of epochs), gamma (0.1)
function MultiStepLR:setup(o)
  assert(type(o.milestones) == "table", "MultiStepLR: milestones must be a list of step counts")
  self.milestones = { table.unpack(o.milestones) }
  table.sort(self.milestones)
  self.gamma = o.gamma or 0.1
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function MultiStepLR:compute(t)
  local k = 0
  for _, m in ipairs(self.milestones) do
    if m <= t then k = k + 1 end
  end
  local out = {}
  for i, b in ipairs(self.base_lrs) do out[i] = b * self.gamma ^ k end
  return out
end

-- ----------------------------------------------------------- ExponentialLR

local ExponentialLR = class("ExponentialLR")
--- ExponentialLR(opt, {gamma=}): lr * gamma^t.
-- @tparam table o gamma (required)
function ExponentialLR:setup(o)
  assert(type(o.gamma) == "number", "ExponentialLR: gamma is required")
  self.gamma = o.gamma
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function ExponentialLR:compute(t)
  local out = {}
  for i, b in ipairs(self.base_lrs) do out[i] = b * self.gamma ^ t end
  return out
end

-- ------------------------------------------------------- CosineAnnealingLR

local CosineAnnealingLR = class("CosineAnnealingLR")
--- CosineAnnealingLR(opt, {T_max=, eta_min=0}): half a cosine from lr down to eta_min over T_max epochs.
-- @tparam table o T_max (required), eta_min (0)
function CosineAnnealingLR:setup(o)
  assert(type(o.T_max) == "number" and o.T_max > 0, "CosineAnnealingLR: T_max must be a positive number")
  self.T_max, self.eta_min = o.T_max, o.eta_min or 0
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function CosineAnnealingLR:compute(t)
  local out = {}
  for i, b in ipairs(self.base_lrs) do
    out[i] = self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
  end
  return out
end

-- ---------------------------------------------------------------- LambdaLR

local LambdaLR = class("LambdaLR")
--- LambdaLR(opt, {lr_lambda=f}): lr * f(t).
-- @tparam table o lr_lambda (or o[1]): a function of the epoch
function LambdaLR:setup(o)
  local f = o.lr_lambda or o[1]
  assert(type(f) == "function", "LambdaLR: lr_lambda must be a function of the step")
  self.lr_lambda = f
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function LambdaLR:compute(t)
  local out = {}
  for i, b in ipairs(self.base_lrs) do out[i] = b * self.lr_lambda(t) end
  return out
end

-- ------------------------------------------------------------ WarmupCosine

local WarmupCosine = class("WarmupCosine")
--- WarmupCosine(opt, {total=, warmup=0, min_lr=0}): linear warm-up, then cosine decay to min_lr at total.
-- @tparam table o total (required), warmup (0), min_lr (0; a number or one per group)
function WarmupCosine:setup(o)
  assert(math.type(o.total) == "integer" and o.total > 0, "WarmupCosine: total must be a positive integer")
  local warmup = o.warmup or 0
  assert(math.type(warmup) == "integer" and warmup >= 0 and warmup < o.total,
    "WarmupCosine: warmup must be an integer in [0, total)")
  self.warmup, self.total = warmup, o.total
  self.min_lrs = per_group(o.min_lr or 0, #self.optimizer.param_groups, "WarmupCosine min_lr")
  self:setup_base(o)
end
--- The learning rates at epoch t.
-- @tparam int t
-- @treturn {number,...}
function WarmupCosine:compute(t)
  local out = {}
  for i, b in ipairs(self.base_lrs) do
    local lo = self.min_lrs[i]
    if t < self.warmup then
      out[i] = b * t / self.warmup
    elseif t <= self.total then
      local progress = (t - self.warmup) / (self.total - self.warmup)
      out[i] = lo + (b - lo) * (1 + math.cos(math.pi * progress)) / 2
    else
      out[i] = lo
    end
  end
  return out
end

-- ---------------------------------------------------------------- OneCycle

local OneCycle = class("OneCycle")
OneCycle.per_batch = true -- mien.train.fit steps it after every batch
M.OneCycleLR = OneCycle

local function anneal_cos(a, b, pct) return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1) end
local function anneal_linear(a, b, pct) return (b - a) * pct + a end

--- OneCycleLR(opt, {max_lr=, total_steps= or epochs= and steps_per_epoch=, ...}): stepped every batch.
-- @tparam table o max_lr, total_steps (or epochs and steps_per_epoch), pct_start (0.3), anneal_strategy
-- ("cos"), div_factor (25), final_div_factor (1e4), cycle_momentum (true), base_momentum (0.85),
-- max_momentum (0.95)
function OneCycle:setup(o)
  local groups = self.optimizer.param_groups
  local total = o.total_steps
  if total == nil and o.epochs and o.steps_per_epoch then total = o.epochs * o.steps_per_epoch end
  assert(math.type(total) == "integer" and total > 0,
    "OneCycle: total_steps (or epochs and steps_per_epoch) must be a positive integer")
  assert(o.max_lr, "OneCycle: max_lr is required")
  self.total_steps = total
  self.pct_start = o.pct_start or 0.3
  assert(self.pct_start > 0 and self.pct_start < 1, "OneCycle: pct_start must be in (0, 1)")
  local div, final_div = o.div_factor or 25.0, o.final_div_factor or 1e4
  local strategy = o.anneal_strategy or "cos"
  assert(strategy == "cos" or strategy == "linear", "OneCycle: anneal_strategy must be \"cos\" or \"linear\"")
  self.anneal_strategy = strategy
  self.phase_ends = { self.pct_start * total - 1, total - 1 }
  local max_lrs = per_group(o.max_lr, #groups, "OneCycle max_lr")
  self.cycle_momentum = o.cycle_momentum ~= false
  local base_m = per_group(o.base_momentum or 0.85, #groups, "OneCycle base_momentum")
  local max_m = per_group(o.max_momentum or 0.95, #groups, "OneCycle max_momentum")
  self.bounds = {}
  for i, g in ipairs(groups) do
    local initial = max_lrs[i] / div
    self.bounds[i] = { initial = initial, max = max_lrs[i], min = initial / final_div, base_m = base_m[i],
      max_m = max_m[i] }
    g.initial_lr, g.max_lr, g.min_lr = initial, max_lrs[i], initial / final_div
    if self.cycle_momentum then
      if g.betas == nil and g.momentum == nil then
        error("OneCycle: cycle_momentum needs an optimizer with momentum or betas (or cycle_momentum=false)", 3)
      end
    end
  end
  self.base_lrs = {}
  for i, g in ipairs(groups) do self.base_lrs[i] = g.initial_lr end
  self.last_epoch = (o.last_epoch or -1)
  self:step()
end

--- The phase of step t: lr and momentum for each group.
function OneCycle:values(t)
  if t > self.total_steps then
    error(string.format("OneCycle: stepped %d times, beyond total_steps=%d", t, self.total_steps), 3)
  end
  local anneal = self.anneal_strategy == "cos" and anneal_cos or anneal_linear
  local lrs, moms = {}, {}
  for i, b in ipairs(self.bounds) do
    local phases = {
      { self.phase_ends[1], b.initial, b.max, b.max_m, b.base_m },
      { self.phase_ends[2], b.max, b.min, b.base_m, b.max_m },
    }
    local start = 0
    for k, ph in ipairs(phases) do
      if t <= ph[1] or k == #phases then
        local pct = (t - start) / (ph[1] - start)
        lrs[i] = anneal(ph[2], ph[3], pct)
        moms[i] = anneal(ph[4], ph[5], pct)
        break
      end
      start = ph[1]
    end
  end
  return lrs, moms
end

--- The learning rates at step t.
-- @tparam int t
-- @treturn {number,...}
function OneCycle:compute(t)
  local lrs = self:values(t)
  return lrs
end

--- Set the cycled momentum (or Adam's beta1) of each group after step t.
-- @tparam int t
function OneCycle:after_step(t)
  if not self.cycle_momentum then return end
  local _, moms = self:values(t)
  for i, g in ipairs(self.optimizer.param_groups) do
    if g.betas then
      g.betas = { moms[i], g.betas[2] }
    else
      g.momentum = moms[i]
    end
  end
end

-- ------------------------------------------------------- ReduceLROnPlateau

local Plateau = class("ReduceLROnPlateau")
Plateau.wants_metric = true -- mien.train.fit passes the monitored metric to step()

--- ReduceLROnPlateau(opt, {...}): lr * factor once the metric given to step(metric) stops improving.
-- @tparam table o mode ("min" or "max"), factor (0.1), patience (10 epochs), threshold (1e-4),
-- threshold_mode ("rel" or "abs"), cooldown (0), min_lr (0; a number or one per group), eps (1e-8)
-- @usage local sched = mien.optim.ReduceLROnPlateau(opt, {mode = "max", factor = 0.5, patience = 3})
function Plateau:setup(o)
  self.mode = o.mode or "min"
  assert(self.mode == "min" or self.mode == "max", "ReduceLROnPlateau: mode must be \"min\" or \"max\"")
  self.factor = o.factor or 0.1
  assert(self.factor < 1, "ReduceLROnPlateau: factor must be < 1")
  self.patience = o.patience or 10
  self.threshold = o.threshold or 1e-4
  self.threshold_mode = o.threshold_mode or "rel"
  assert(self.threshold_mode == "rel" or self.threshold_mode == "abs",
    "ReduceLROnPlateau: threshold_mode must be \"rel\" or \"abs\"")
  self.cooldown = o.cooldown or 0
  self.eps = o.eps or 1e-8
  self.min_lrs = per_group(o.min_lr or 0, #self.optimizer.param_groups, "ReduceLROnPlateau min_lr")
  self.best = self.mode == "min" and math.huge or -math.huge
  self.num_bad_epochs = 0
  self.cooldown_counter = 0
  self.last_epoch = 0
  self.last_lrs = {}
  for i, g in ipairs(self.optimizer.param_groups) do self.last_lrs[i] = g.lr end
end

--- Whether metric a improves on the best so far (by the threshold).
-- @tparam number a
-- @treturn boolean
function Plateau:is_better(a)
  local best, th = self.best, self.threshold
  if self.mode == "min" then
    if self.threshold_mode == "rel" then return a < best * (1 - th) end
    return a < best - th
  end
  if self.threshold_mode == "rel" then return a > best * (1 + th) end
  return a > best + th
end

--- One epoch's metric. Returns true when the lr was reduced.
function Plateau:step(metric)
  if type(metric) ~= "number" then
    if type(metric) ~= "userdata" then error("ReduceLROnPlateau: step needs the metric", 2) end
    metric = metric:item()
  end
  self.last_epoch = self.last_epoch + 1
  if self:is_better(metric) then
    self.best = metric
    self.num_bad_epochs = 0
  else
    self.num_bad_epochs = self.num_bad_epochs + 1
  end
  if self.cooldown_counter > 0 then
    self.cooldown_counter = self.cooldown_counter - 1
    self.num_bad_epochs = 0
  end
  local reduced = false
  if self.num_bad_epochs > self.patience then
    for i, g in ipairs(self.optimizer.param_groups) do
      local old = g.lr
      local new = math.max(old * self.factor, self.min_lrs[i])
      if old - new > self.eps then
        g.lr = new
        reduced = true
      end
    end
    self.cooldown_counter = self.cooldown
    self.num_bad_epochs = 0
  end
  for i, g in ipairs(self.optimizer.param_groups) do self.last_lrs[i] = g.lr end
  return reduced
end

--- Whether the schedule is waiting out its cooldown after a reduction.
-- @treturn boolean
function Plateau:in_cooldown()
  return self.cooldown_counter > 0
end

--- The schedule's state, for checkpoints.
-- @treturn table
function Plateau:state_dict()
  return { type = self.name, last_epoch = self.last_epoch, best = self.best, num_bad_epochs = self.num_bad_epochs,
    cooldown_counter = self.cooldown_counter, last_lrs = copy(self.last_lrs) }
end

--- Restore the state from state_dict().
-- @tparam table sd
function Plateau:load_state_dict(sd)
  if sd.type and sd.type ~= self.name then
    error(string.format("load_state_dict: the state is of a %s, this is a %s", sd.type, self.name), 2)
  end
  local int = function(v) return math.tointeger(v) or v end
  self.last_epoch = int(sd.last_epoch)
  self.best = sd.best
  self.num_bad_epochs = int(sd.num_bad_epochs)
  self.cooldown_counter = int(sd.cooldown_counter)
  self.last_lrs = copy(sd.last_lrs)
end

return M
