-- Fuzz driver: checkpoint metadata (the JSON in "mien.checkpoint") inside a
-- valid safetensors file, read and applied to a small model and optimizer.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua"
local mien = require "mien"
local core = require "mien.core"
local ckpt = require "mien.io.checkpoint"

local model = mien.nn.Linear(3, 2)
local optimizer = mien.optim.Adam(model:parameters(), { lr = 1e-3 })
local schedule = mien.optim.StepLR(optimizer, { step_size = 2 })
local tensors = {}
for name, t in pairs(model:state_dict()) do tensors["model." .. name] = t end

return function(bytes, dir)
  local path = dir .. "/input.ckpt"
  core.safetensors_save(path, tensors, { [ckpt.METADATA_KEY] = bytes })
  ckpt.read_checkpoint(path)
  ckpt.load_checkpoint(path, { model = model, optimizer = optimizer, schedule = schedule, rng = false })
end
