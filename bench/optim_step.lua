-- Time of optimizer:step() alone on the FER CNN's parameters (examples/fer_cnn.lua),
-- gradients set to random values; the counterpart of bench/optim_step_torch.py.
-- Prints one JSON line: the median and best ms of --reps steps.
--   lua5.4 bench/optim_step.lua [--width 1] [--optim adam|adamw|sgd|rmsprop] [--reps 30] [--threads N]
-- Run from the repository root after building.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"
local json = require "mien.util.json"

local p = argparse("optim_step", "optimizer step time on the FER CNN's parameters")
p:option("--width", "channel width multiplier", "1", tonumber)
p:option("--optim", "adam, adamw, sgd (momentum 0.9) or rmsprop", "adam")
p:option("--reps", "timed steps", "30", tonumber)
p:option("--threads", "CPU threads (default: OpenMP's)", nil, tonumber)
local a = p:parse(arg)
if a.threads then core.set_num_threads(a.threads) end

local fer_cnn = dofile("examples/fer_cnn.lua")
mien.manual_seed(0)
local model = fer_cnn { classes = 7, width = a.width, dropout = 0.25 }
local params = model:parameters()
local make = {
  adam = function() return mien.optim.Adam(params, { lr = 5e-4 }) end,
  adamw = function() return mien.optim.AdamW(params, { lr = 5e-4 }) end,
  sgd = function() return mien.optim.SGD(params, { lr = 1e-2, momentum = 0.9 }) end,
  rmsprop = function() return mien.optim.RMSProp(params, { lr = 1e-3 }) end,
}
local opt = assert(make[a.optim], "unknown --optim " .. a.optim)()
local n = 0
for _, q in ipairs(params) do
  q.grad = mien.randn(q:shape()) * 1e-3
  n = n + q:numel()
end
for _ = 1, 3 do opt:step() end -- state allocated and touched
local times = {}
for i = 1, a.reps do
  local t0 = core.now()
  opt:step()
  times[i] = core.now() - t0
end
table.sort(times)
print(json.encode {
  side = "mien", optim = a.optim, width = a.width, params = n, tensors = #params, threads = core.num_threads(),
  step_ms = math.floor(times[(#times + 1) // 2] * 1e4 + 0.5) / 10, best_ms = math.floor(times[1] * 1e4 + 0.5) / 10,
})
