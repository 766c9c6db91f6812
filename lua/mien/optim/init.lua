--- mien.optim: optimizers on parameter groups with fused C updates,
-- gradient clipping and learning-rate schedules.
--   local optim = require "mien.optim"
--   local opt = optim.AdamW(model:parameters(), {lr = 1e-3, weight_decay = 1e-2})
--   local sched = optim.WarmupCosine(opt, {warmup = 100, total = 10000})
--   loss:backward(); optim.clip_grad_norm(model:parameters(), 5); opt:step(); opt:zero_grad(); sched:step()
local optim = {}

optim.Optimizer = require "mien.optim.optimizer"
optim.SGD = require "mien.optim.sgd"
local adam = require "mien.optim.adam"
optim.Adam, optim.AdamW = adam.Adam, adam.AdamW
optim.RMSProp = require "mien.optim.rmsprop"
optim.RMSprop = optim.RMSProp

for name, fn in pairs(require "mien.optim.clip") do optim[name] = fn end
for name, cls in pairs(require "mien.optim.schedule") do optim[name] = cls end
optim.schedule = require "mien.optim.schedule"
-- fer-best: a time-budgeted schedule and weight averaging
optim.TimeBudgetLR = require "mien.optim.budget"
optim.EMA = require "mien.optim.ema"

return optim
