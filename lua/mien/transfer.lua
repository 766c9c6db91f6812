--- Transfer models that `mien eval` and `mien predict` can rebuild: the head
-- trained on a frozen backbone's features (standardisation with the
-- training features' statistics, then dense layers with dropout), and the
-- checkpoint recipe that names the backbone, its cut and the head.
--
--   local head = transfer.head { dim = backbone.feature_dim, hidden = {512}, classes = 7,
--     dropout = 0.5, mean = ftr:mean(1, true), std = ftr:std(1, {keepdim = true}) + 1e-6 }
--   mien.train.fit { model = head, ..., recipe = transfer.recipe(backbone, head_opts, classes, {size = 48, channels = 1}) }
local mien = require "mien"
local nn = require "mien.nn"

local transfer = {}

--- The head of a transfer model: Standardize (buffers mean, std [1,dim]),
-- then for each hidden size Dropout, Linear, ReLU, Dropout, then Linear to the classes.
-- @tparam table opts dim (the features' size), classes, hidden ({} for a
--   linear head), dropout (0.5), mean and std (tensors [1,dim]; default 0
--   and 1, as when the head is rebuilt before its weights are loaded)
-- @return an nn.Sequential
function transfer.head(opts)
  local dim = assert(math.tointeger(opts.dim), "transfer.head: dim (the feature size) is required")
  local classes = assert(math.tointeger(opts.classes), "transfer.head: classes (a count) is required")
  local p = opts.dropout or 0.5
  local head = nn.Sequential()
  head:add(nn.Function(function(self, x) return (x - self.mean) / self.std end,
    { buffers = { mean = opts.mean or mien.zeros({ 1, dim }), std = opts.std or mien.ones({ 1, dim }) },
      name = "Standardize" }))
  local d = dim
  for _, h in ipairs(opts.hidden or {}) do
    head:add(nn.Dropout(p)):add(nn.Linear(d, h)):add(nn.ReLU()):add(nn.Dropout(p))
    d = h
  end
  head:add(nn.Linear(d, classes))
  return head
end

--- The checkpoint recipe of a transfer model (see mien.train.recipe).
-- @param backbone a backbone from mien.models.load(name, {include_top = false})
-- @tparam table head_opts the options of transfer.head (dim, classes, hidden, dropout; mean and std are left out:
--   they are weights in the checkpoint)
-- @tparam {string,...} classes the class names
-- @tparam table data how the training images were read {size=, channels=}
-- @tparam[opt] string holds "head" (the checkpoint holds the head; default) or "model" (backbone and head, when
--   the backbone was fine-tuned)
-- @treturn table the recipe
function transfer.recipe(backbone, head_opts, classes, data, holds)
  local info = require("mien.models").info(backbone.name)
  local opts = {}
  for k, v in pairs(head_opts) do
    if k ~= "mean" and k ~= "std" then opts[k] = v end
  end
  return {
    builder = "mien.transfer.head", opts = opts, classes = classes, data = data, input = backbone.input,
    backbone = { name = backbone.name, cut = info.backbone and info.backbone.node or "features",
      feature_dim = backbone.feature_dim },
    holds = holds or "head",
  }
end

-- ------------------------------------------------------ several backbones

--- The images every multi-backbone model takes: the data set's 48x48 grey
-- faces as floats in 0..1 ([N,1,48,48]); each backbone resizes and
-- normalises them itself (mien.models.preprocess), so extraction, training
-- and `mien eval` run the same steps.
-- @tparam[opt] number size the side of the images (48)
-- @treturn table the augment_batch spec {size={size,size}, channels=1, mean=0, std=1}
function transfer.shared_input(size)
  size = size or 48
  return { size = { size, size }, channels = 1, mean = 0, std = 1 }
end

local Module = require "mien.nn.module"

--- One backbone behind its own preprocessing: images in 0..1 (NCHW, any
-- size, grey or RGB) -> the backbone's features [N, D].
-- @param backbone a mien.models backbone (include_top = false)
local Adapted = Module:extend("AdaptedBackbone")
function Adapted:__init(backbone)
  self.backbone = backbone
  rawset(self, "name", backbone.name)
  rawset(self, "feature_dim", backbone.feature_dim)
end
--- The backbone's features of images in 0..1.
-- @tparam Tensor x float [N,C,H,W] in 0..1
-- @treturn Tensor [N, feature_dim]
function Adapted:forward(x)
  local f = self.backbone(require("mien.models").preprocess(self.backbone.input, x))
  if f:dim() > 2 then f = f:flatten(2) end
  return f
end
transfer.Adapted = Adapted

--- Several backbones side by side: images in 0..1 -> their features
-- concatenated in the order given ([N, sum of feature_dim]).
-- @tparam {Module,...} backbones mien.models backbones (include_top = false)
local Backbones = Module:extend("Backbones")
function Backbones:__init(backbones)
  assert(type(backbones) == "table" and #backbones > 0, "transfer.Backbones: expected a list of backbones")
  local dims, offsets, off = {}, {}, 0
  for i, bb in ipairs(backbones) do
    local name = assert(rawget(bb, "name"), "transfer.Backbones: backbone " .. i .. " has no name")
    self:add_module(name, Adapted(bb))
    dims[i], offsets[i] = bb.feature_dim, off
    off = off + bb.feature_dim
  end
  rawset(self, "names", (function()
    local t = {}
    for i, bb in ipairs(backbones) do t[i] = bb.name end
    return t
  end)())
  rawset(self, "dims", dims)
  rawset(self, "offsets", offsets) -- 0-based column where each backbone's features start
  rawset(self, "feature_dim", off)
end
--- The concatenated features.
-- @tparam Tensor x float [N,C,H,W] in 0..1
-- @treturn Tensor [N, feature_dim]
function Backbones:forward(x)
  local parts = {}
  for i, name in ipairs(self.names) do parts[i] = self[name](x) end
  return #parts == 1 and parts[1] or mien.cat(parts, 2)
end
--- The index of a backbone by name.
-- @tparam string name
-- @treturn integer
function Backbones:index(name)
  for i, n in ipairs(self.names) do
    if n == name then return i end
  end
  error(string.format("transfer.Backbones: no backbone '%s' (have %s)", tostring(name), table.concat(self.names, ", ")), 2)
end
transfer.Backbones = Backbones

-- x mirrored left-right (the last dimension)
local function hflip(x)
  local w = x:size(x:dim())
  local idx = {}
  for i = 1, w do idx[i] = w - i + 1 end
  return x:index_select(x:dim(), mien.tensor(idx, { dtype = "int64" }))
end
transfer.hflip = hflip

--- Flip test-time augmentation: in eval mode the logits of the image and of
-- its mirror image, averaged (the same as averaging log-probabilities); in
-- train mode the model alone.
-- @param model a module taking images NCHW
local FlipTTA = Module:extend("FlipTTA")
function FlipTTA:__init(model) self.model = model end
--- The (averaged) logits.
-- @tparam Tensor x images NCHW
-- @treturn Tensor logits
function FlipTTA:forward(x)
  if self.training then return self.model(x) end
  return (self.model(x) + self.model(hflip(x))) * 0.5
end
transfer.FlipTTA = FlipTTA

--- The whole multi-backbone model: Backbones, then the head, wrapped in
-- FlipTTA when tta = "flip". mien.train.recipe.load_model builds the same,
-- so checkpoint names match.
-- @tparam {Module,...} backbones mien.models backbones (include_top = false)
-- @param head the head (transfer.head)
-- @tparam[opt] string tta "flip" or nil
-- @return the model; its field parts = {backbones=, head=}
function transfer.model(backbones, head, tta)
  local bbs = Module.is_module(backbones) and backbones or Backbones(backbones)
  local model = mien.nn.Sequential(bbs, head)
  if tta == "flip" then model = FlipTTA(model) end
  rawset(model, "parts", { backbones = bbs, head = head })
  return model
end

--- The recipe of a multi-backbone model (see mien.train.recipe): the
-- backbones by name and cut, the head, flip TTA, and how images are read.
-- @tparam Backbones backbones a transfer.Backbones
-- @tparam table head_opts the options of transfer.head (mean and std left out)
-- @tparam {string,...} classes the class names
-- @tparam[opt] table o tta ("flip" or nil), holds ("head", default, or "model" after fine-tuning),
--   size (48, the side of the images read)
-- @treturn table the recipe
function transfer.multi_recipe(backbones, head_opts, classes, o)
  o = o or {}
  local models = require "mien.models"
  local list = {}
  for i, name in ipairs(backbones.names) do
    local info = models.info(name)
    list[i] = { name = name, cut = info.backbone and info.backbone.node or "features", feature_dim = backbones.dims[i] }
  end
  local opts = {}
  for k, v in pairs(head_opts) do
    if k ~= "mean" and k ~= "std" then opts[k] = v end
  end
  local size = o.size or 48
  return { builder = "mien.transfer.head", opts = opts, classes = classes, data = { size = size, channels = 1 },
    input = transfer.shared_input(size), backbones = list, tta = o.tta, holds = o.holds or "head" }
end

--- Features of several backbones over a data set, each cached on its own
-- (plain and, with flip, mirrored images in separate files), concatenated.
-- @tparam Backbones backbones a transfer.Backbones
-- @tparam Dataset ds images uint8 [N,H,W,1]
-- @tparam table opts dir (the cache folder, required), tag (a name of the data, e.g. "fer2013_train_3000"),
--   flip (false: plain only; true: rows 1..N plain, N+1..2N mirrored), batch (32), verbose (false),
--   progress_every (1000)
-- @treturn Tensor features float32 [N*views, backbones.feature_dim]
-- @treturn Tensor labels int64 [N*views]
-- @treturn table seconds per backbone name (0 when cached)
function transfer.features(backbones, ds, opts)
  local features = require "mien.features"
  assert(opts and opts.dir and opts.tag, "transfer.features: opts.dir and opts.tag are required")
  local views = opts.flip and { "plain", "flip" } or { "plain" }
  local cols, labels, seconds = {}, nil, {}
  for i, name in ipairs(backbones.names) do
    local rows = {}
    seconds[name] = 0
    for v, view in ipairs(views) do
      local f, y, info = features.extract(backbones[name], ds, { batch = opts.batch or 32, input = transfer.shared_input(
        ds.images:size(2)), augment = view == "flip" and { flip = 1 } or nil, plain_first = false,
        verbose = opts.verbose, progress_every = opts.progress_every,
        path = string.format("%s/%s_%s_%s.safetensors", opts.dir, opts.tag, name, view) })
      rows[v] = f
      seconds[name] = seconds[name] + info.seconds
      if i == 1 then labels = labels and mien.cat({ labels, y }, 1) or y end
    end
    cols[i] = #rows == 1 and rows[1] or mien.cat(rows, 1)
  end
  return #cols == 1 and cols[1] or mien.cat(cols, 2), labels, seconds
end

--- Accuracy and mean cross-entropy of a head on cached features, with the
-- logits of the views averaged (rows (v-1)*N + i are view v of image i).
-- @param head the head (put in eval mode here)
-- @tparam Tensor feats [N*views, D]
-- @tparam Tensor labels int64 [N] or [N*views]
-- @tparam[opt] integer views (1)
-- @treturn number accuracy in 0..1
-- @treturn {integer,...} the predictions (1-based classes)
-- @treturn number the loss
function transfer.evaluate_views(head, feats, labels, views)
  views = views or 1
  local n = feats:size(1) // views
  head:eval()
  local logits = mien.no_grad(function()
    local sum
    for v = 1, views do
      local out = head(feats:narrow(1, (v - 1) * n + 1, n))
      sum = sum and (sum + out) or out
    end
    return sum * (1 / views)
  end)
  local y = labels:narrow(1, 1, n)
  local preds, targets = logits:argmax(2):totable(), y:totable()
  local right = 0
  for i = 1, n do
    if preds[i] == targets[i] then right = right + 1 end
  end
  return right / n, preds, mien.F.cross_entropy(logits, y):item()
end

return transfer
