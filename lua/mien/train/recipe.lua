--- Rebuild a trained model from a checkpoint written by mien.train.fit: the
-- recipe in it says how to build the model, its classes and input format;
-- the weights come from the checkpoint (and, for transfer models, the
-- pretrained backbone from its weights files).
--
-- Recipe fields:
--   script      a Lua file returning a constructor fn(opts) -> module; a
--               relative path is found from the working directory, else
--               from the folder it was recorded in (script_dir, set by
--               train.fit), else from the checkpoint's folder and the folders above
--   builder     instead of script: "module.field", a constructor in a Lua
--               module (e.g. "mien.features.head")
--   opts        the constructor's options
--   backbone    {name=, cut=, feature_dim=}: a frozen mien.models backbone
--               (include_top = false) in front of the built module
--   backbones   instead of backbone, several: {{name=, cut=, feature_dim=,
--               pretrained=}, ...}, their features concatenated (mien.transfer.model)
--   tta         "flip": with backbones, the logits of each image and its mirror image averaged
--   holds       "head" (the checkpoint holds the built module only; the
--               backbone comes from its weights) or "model" (default: all of it)
--   classes     the class names, in output order
--   input       the augment_batch spec images go through {size=, channels=, mean=, std=}
--   data        how images are read before that {size=, channels=} (default: input's)
local mien = require "mien"

local recipe = {}

local function dir_of(path) return path:match("^(.*)/[^/]*$") or "." end

local function readable(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- The constructor the recipe names.
local function constructor(r, ckpt_path)
  if r.builder then
    local modname, field = r.builder:match("^(.*)%.([%w_]+)$")
    local ok, mod = pcall(require, modname or r.builder)
    local fn = ok and type(mod) == "table" and mod[field]
    if type(fn) ~= "function" then
      error(string.format("%s: the recipe's builder '%s' is not a function", ckpt_path, r.builder), 3)
    end
    return fn
  end
  local script, tried = r.script, {}
  local candidates = { script }
  if script:sub(1, 1) ~= "/" then
    if r.script_dir then candidates[#candidates + 1] = r.script_dir .. "/" .. script end
    local dir = require("mien.core").realpath(dir_of(ckpt_path))
    while dir and dir ~= "" do
      candidates[#candidates + 1] = dir .. "/" .. script
      dir = dir:match("^(.*)/[^/]*$")
    end
  end
  for _, path in ipairs(candidates) do
    tried[#tried + 1] = path
    if readable(path) then
      local build, err = loadfile(path)
      if not build then error(string.format("%s: cannot load the model script: %s", ckpt_path, err), 3) end
      return build()
    end
  end
  error(string.format("%s: the model script '%s' is not found (tried %s)", ckpt_path, script,
    table.concat(tried, ", ")), 3)
end

--- Builds the model a checkpoint was trained as, with its weights, in eval mode.
-- @string ckpt_path a checkpoint of mien.train.fit with a recipe
-- @tparam[opt] table opts weights (the folder of pretrained backbones, for
--   transfer models; default $MIEN_WEIGHTS or ../shared/weights)
-- @return the model
-- @treturn table the recipe
function recipe.load_model(ckpt_path, opts)
  opts = opts or {}
  local info = mien.io.read_checkpoint(ckpt_path)
  local r = info.extra and info.extra.recipe
  if not r or not (r.script or r.builder) then
    error(string.format("%s: no model recipe in this checkpoint (train with mien.train.fit{recipe=...})", ckpt_path), 2)
  end
  local built = constructor(r, ckpt_path)(r.opts or {})
  local model = built
  if r.backbone then
    local models = require "mien.models"
    local backbone = models.load(r.backbone.name, { include_top = false, dir = opts.weights }):freeze()
    if r.backbone.feature_dim and backbone.feature_dim ~= r.backbone.feature_dim then
      error(string.format("%s: the backbone %s gives %d-d features, the checkpoint's head takes %d", ckpt_path,
        r.backbone.name, backbone.feature_dim, r.backbone.feature_dim), 2)
    end
    model = mien.nn.Sequential(backbone, built)
  end
  if r.backbones then model = recipe.multi_backbone(r, built, opts, ckpt_path) end
  local target = ((r.backbone or r.backbones) and r.holds == "head") and built or model
  local loaded = mien.io.load_checkpoint(ckpt_path, { model = target, rng = false })
  -- a run with a weight average (mien.optim.EMA) was validated with the averaged weights: use them
  if loaded.ema_state then target:load_state_dict(loaded.ema_state) end
  model:eval()
  return model, r
end

--- The model of a multi-backbone recipe (mien.transfer.model): the
-- backbones it names, loaded from their weights (or, with pretrained =
-- false, built with random weights that the checkpoint then replaces), in
-- front of the head, with flip TTA when the recipe says tta = "flip".
-- @tparam table r the recipe (backbones = {{name=, cut=, feature_dim=, pretrained=}, ...}, tta)
-- @param head the built head
-- @tparam table opts weights (the folder of pretrained backbones)
-- @tparam string ckpt_path for error messages
-- @return the model
function recipe.multi_backbone(r, head, opts, ckpt_path)
  local models, transfer = require "mien.models", require "mien.transfer"
  if type(r.backbones) ~= "table" or #r.backbones == 0 then
    error(string.format("%s: the recipe's backbones is not a list of {name=, cut=, feature_dim=}", ckpt_path), 3)
  end
  if r.holds == "head" then
    for _, b in ipairs(r.backbones) do
      if b.pretrained == false then
        error(string.format("%s: backbone %s has random weights, but the checkpoint holds only the head", ckpt_path,
          tostring(b.name)), 3)
      end
    end
  end
  local list = {}
  for i, b in ipairs(r.backbones) do
    local bb = models.load(b.name, { include_top = false, dir = opts.weights, pretrained = b.pretrained }):freeze()
    if b.feature_dim and bb.feature_dim ~= b.feature_dim then
      error(string.format("%s: the backbone %s gives %d-d features, the checkpoint's recipe says %d", ckpt_path,
        b.name, bb.feature_dim, b.feature_dim), 3)
    end
    list[i] = bb
  end
  return transfer.model(list, head, r.tta)
end

--- Images (uint8 [N,H,W,C]) to the model's input batch.
-- @tparam Tensor images uint8 [N,H,W,C], read as the recipe's data says
-- @tparam table r the recipe
-- @treturn Tensor float32 [N,C,H,W]
function recipe.prepare(images, r)
  return require("mien.core").augment_batch(images, nil, recipe.input_spec(r), 0, 0)
end

--- The augment_batch spec of a recipe's input (defaults filled in).
-- @tparam table r the recipe
-- @treturn table {size=, channels=, mean=, std=}
function recipe.input_spec(r)
  local input = r.input or {}
  return { size = input.size, channels = input.channels or 1, mean = input.mean or 0, std = input.std or 1 }
end

--- How to read images for a recipe: {size=, channels=} (data, else input).
-- @tparam table r the recipe
-- @treturn table {size = n or {h, w} or nil, channels = 1 or 3}
function recipe.data_format(r)
  local d = r.data or r.input or {}
  return { size = d.size, channels = d.channels or 1 }
end

return recipe
