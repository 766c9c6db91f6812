--- A learning-rate schedule that follows the wall clock instead of a step
-- count, for training within a time budget: the schedule's progress is the
-- fraction of `seconds` elapsed since it started, so on a loaded machine the
-- run still completes its whole schedule (fewer steps, same shape) in time.
--   local sched = mien.optim.TimeBudgetLR(opt, {seconds = 50 * 60, shape = "onecycle", max_lr = 0.1})
--   mien.train.fit{..., schedule = sched, time_limit = 50 * 60}  -- stepped after every batch
-- Shapes over the progress p in [0, 1] (lo = max_lr / div_factor, end = max_lr / final_div_factor):
--   "onecycle": cosine from lo up to max_lr over [0, warmup], then cosine down to end (Smith's one-cycle)
--   "cosine":   linear from lo up to max_lr over [0, warmup], then cosine down to end
-- and p > 1 keeps the end value. With cycle_momentum (one-cycle, SGD momentum or Adam's beta1) the
-- momentum moves the other way, between max_momentum and base_momentum.
local core = require "mien.core"
local args = require "mien.util.args"

local TimeBudgetLR = {}
TimeBudgetLR.__index = TimeBudgetLR
TimeBudgetLR.__name = "TimeBudgetLR"
TimeBudgetLR.per_batch = true -- mien.train.fit steps it after every batch

local function cos_anneal(a, b, p) return b + (a - b) * (1 + math.cos(math.pi * p)) / 2 end

--- A schedule over `seconds` of wall-clock time.
-- @tparam table opt an optimizer (mien.optim)
-- @tparam table o seconds (required), shape ("onecycle" or "cosine"), max_lr (default each group's lr),
-- warmup (0.25 of the budget for onecycle, 0.05 for cosine), div_factor (25), final_div_factor (1e3),
-- cycle_momentum (false), base_momentum (0.85), max_momentum (0.95), clock (a function giving seconds;
-- default mien.core.now)
-- @treturn TimeBudgetLR
local function new(opt, o)
  args.check("TimeBudgetLR", 1, opt, "table", "an optimizer (mien.optim)")
  o = args.options("TimeBudgetLR", 2, o, "{seconds=, shape=, max_lr=, warmup=, ...}")
  if type(o.seconds) ~= "number" or not (o.seconds > 0) then
    error("TimeBudgetLR: seconds must be a positive number, got " .. tostring(o.seconds), 2)
  end
  local shape = o.shape or "onecycle"
  if shape ~= "onecycle" and shape ~= "cosine" then
    error("TimeBudgetLR: shape must be \"onecycle\" or \"cosine\", got " .. tostring(shape), 2)
  end
  local warmup = o.warmup or (shape == "onecycle" and 0.25 or 0.05)
  if type(warmup) ~= "number" or warmup < 0 or warmup >= 1 then
    error("TimeBudgetLR: warmup must be a fraction in [0, 1), got " .. tostring(warmup), 2)
  end
  local self = setmetatable({ optimizer = opt, name = "TimeBudgetLR", seconds = o.seconds, shape = shape,
    warmup = warmup, div = o.div_factor or 25, final_div = o.final_div_factor or 1e3,
    cycle_momentum = o.cycle_momentum == true, base_m = o.base_momentum or 0.85, max_m = o.max_momentum or 0.95,
    clock = o.clock or core.now, max_lrs = {}, last_epoch = 0 }, TimeBudgetLR)
  for i, g in ipairs(opt.param_groups) do
    self.max_lrs[i] = type(o.max_lr) == "table" and o.max_lr[i] or o.max_lr or g.lr
  end
  self.start = self.clock()
  self.elapsed_before = 0 -- seconds a resumed schedule had already used
  self:apply(0)
  return self
end

--- The fraction of the budget used so far (> 1 once it is over).
-- @treturn number
function TimeBudgetLR:progress()
  return (self.elapsed_before + self.clock() - self.start) / self.seconds
end

--- True once the budget is spent.
-- @treturn boolean
function TimeBudgetLR:done() return self:progress() >= 1 end

--- The learning rate of a group whose peak is max_lr, at progress p, and the momentum.
-- @number max_lr
-- @number p progress in [0, 1]
-- @treturn number lr
-- @treturn number momentum
function TimeBudgetLR:value(max_lr, p)
  p = math.max(0, math.min(1, p))
  local lo, stop = max_lr / self.div, max_lr / self.final_div
  if self.warmup > 0 and p < self.warmup then
    local q = p / self.warmup
    local lr = self.shape == "onecycle" and cos_anneal(lo, max_lr, q) or lo + (max_lr - lo) * q
    return lr, cos_anneal(self.max_m, self.base_m, q)
  end
  local q = self.warmup < 1 and (p - self.warmup) / (1 - self.warmup) or 1
  return cos_anneal(max_lr, stop, q), cos_anneal(self.base_m, self.max_m, q)
end

--- Set every group's lr (and momentum) for progress p.
-- @number p
function TimeBudgetLR:apply(p)
  self.last_lrs = {}
  for i, g in ipairs(self.optimizer.param_groups) do
    local lr, m = self:value(self.max_lrs[i], p)
    g.lr = lr
    self.last_lrs[i] = lr
    if self.cycle_momentum then
      if g.betas then g.betas = { m, g.betas[2] } elseif g.momentum ~= nil then g.momentum = m end
    end
  end
  self.last_progress = p
end

--- Set the learning rates from the time used so far (call after every batch).
-- @treturn {number,...} the lr of each group
function TimeBudgetLR:step()
  self.last_epoch = self.last_epoch + 1
  self:apply(self:progress())
  return self:get_lr()
end

--- The learning rate of each group after the last step.
-- @treturn {number,...}
function TimeBudgetLR:get_lr() return { table.unpack(self.last_lrs) } end

--- The schedule's state: steps and seconds used (a resumed run continues from there).
-- @treturn table
function TimeBudgetLR:state_dict()
  return { type = self.name, last_epoch = self.last_epoch, elapsed = self.elapsed_before + self.clock() - self.start }
end

--- Restore the steps and seconds used from state_dict().
-- @tparam table sd
function TimeBudgetLR:load_state_dict(sd)
  if sd.type and sd.type ~= self.name then
    error(string.format("load_state_dict: the state is of a %s, this is a %s", sd.type, self.name), 2)
  end
  self.last_epoch = math.tointeger(sd.last_epoch) or 0
  self.elapsed_before, self.start = sd.elapsed or 0, self.clock()
  self:apply(self:progress())
end

function TimeBudgetLR:__tostring()
  return string.format("TimeBudgetLR(%s, %.0f s, progress=%.3f)", self.shape, self.seconds, self.last_progress or 0)
end

return setmetatable({ new = new, TimeBudgetLR = TimeBudgetLR }, { __call = function(_, ...) return new(...) end })
