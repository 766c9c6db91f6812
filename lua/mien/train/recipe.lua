--- Rebuild a trained model from a checkpoint written by mien.train.fit: the
-- recipe in it names the constructor script and options, the classes and
-- the input format; the weights come from the checkpoint itself.
local mien = require "mien"

local recipe = {}

--- The model of a checkpoint written by mien.train.fit{recipe=...}, in eval mode.
-- @tparam string ckpt_path
-- @return the model
-- @treturn table the recipe {script=, opts=, classes=, input=}
function recipe.load_model(ckpt_path)
  local info = mien.io.read_checkpoint(ckpt_path)
  local r = info.extra and info.extra.recipe
  if not r or not r.script then
    error(string.format("%s: no model recipe in this checkpoint (train with mien.train.fit{recipe=...})", ckpt_path), 2)
  end
  local build, err = loadfile(r.script)
  if not build then error(string.format("%s: cannot load the model script: %s", ckpt_path, err), 2) end
  local model = build()(r.opts or {})
  mien.io.load_checkpoint(ckpt_path, { model = model, rng = false })
  model:eval()
  return model, r
end

--- Images (uint8 [N,H,W,C]) to the model's input batch.
function recipe.prepare(images, r)
  local input = r.input or {}
  local spec = { size = input.size, channels = input.channels or 1, mean = input.mean or 0, std = input.std or 1 }
  return require("mien.core").augment_batch(images, nil, spec, 0, 0)
end

return recipe
