--- mien.nn: modules (layers and containers) on top of mien.F, Torch7/PyTorch
-- style. See module.lua for the Module API (parameters, state dicts, modes,
-- freezing, printing) and each file for its layers.
--   local nn = require "mien.nn"
--   local net = nn.Sequential(nn.Conv2d(1, 8, 3, {padding = 1}), nn.ReLU(), nn.GlobalAvgPool2d(), nn.Linear(8, 7))
local mien = require "mien"

local nn = {}
nn.Module = require "mien.nn.module"
nn.init = require "mien.nn.initializers"
nn.F = mien.F
nn.is_module = nn.Module.is_module

for _, file in ipairs { "containers", "linear", "conv", "norm", "activation", "pool", "dropout", "misc", "blocks", "distill", "fuse" } do
  for name, cls in pairs(require("mien.nn." .. file)) do
    nn[name] = cls
  end
end

--- A tensor marked as a parameter (requires grad): self.scale = nn.Parameter(mien.ones({1}))
function nn.Parameter(t)
  t.requires_grad = true
  return t
end

return nn
