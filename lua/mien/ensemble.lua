--- Ensembles of trained checkpoints: the class probabilities of several
-- models averaged (optionally weighted), each model seeing the images in its
-- own input format (size, channels, normalisation: its recipe, as `mien eval`
-- loads it -- scratch and transfer models alike) and optionally through
-- test-time augmentation (mien.tta). Classes are matched by name, so members
-- trained with different class orders combine correctly.
--   local ens = mien.ensemble {"runs/best_fer2013/last.ckpt", "runs/transfer/best.ckpt", tta = {flip = true}}
--   local r = ens:evaluate("../shared/data/fer2013/publictest")
--   print(r.acc, r.members[1].acc, r.members[2].acc)
local mien = require "mien"
local recipe = require "mien.train.recipe"
local classes_of = require "mien.data.classes"
local tta = require "mien.tta"

local Ensemble = {}
Ensemble.__index = Ensemble
Ensemble.__name = "Ensemble"

-- the member's output column of each ensemble class (1-based), matched by name
local function column_map(path, member_classes, classes)
  local m = classes_of.match(classes, member_classes)
  local idx = {}
  for k, name in ipairs(classes) do
    idx[k] = m.to_model[k]
    if not idx[k] then
      error(string.format("ensemble: %s has no class '%s' (its classes: %s)", path, name,
        table.concat(member_classes, ", ")), 4)
    end
  end
  return mien.tensor(idx, { dtype = "int64" })
end

--- Load the checkpoints of an ensemble.
-- @tparam table opts the checkpoint paths as a list, plus tta (nil: none; or {flip=, crop=, ten_crop=} for
-- every member, see mien.tta), weights (one number per member; default equal), classes (default the first
-- member's), weights_dir (pretrained backbones of transfer models; default $MIEN_WEIGHTS or ../shared/weights)
-- @treturn Ensemble
-- @usage local ens = mien.ensemble {"a/last.ckpt", "b/best.ckpt", tta = {flip = true}}
local function new(opts)
  if type(opts) ~= "table" or #opts == 0 then
    error("ensemble: expected a list of checkpoint paths {ckpt1, ckpt2, ..., tta=, weights=}", 2)
  end
  local self = setmetatable({ members = {}, tta = opts.tta }, Ensemble)
  local total = 0
  for i, path in ipairs(opts) do
    if type(path) ~= "string" then error(string.format("ensemble: entry %d is not a checkpoint path", i), 2) end
    local model, r = recipe.load_model(path, { weights = opts.weights_dir })
    if not r.classes then error("ensemble: " .. path .. " names no classes; members are matched by class name", 2) end
    local w = opts.weights and opts.weights[i] or 1
    if type(w) ~= "number" or w < 0 then error(string.format("ensemble: weight %d must be a number >= 0", i), 2) end
    total = total + w
    self.members[i] = { path = path, model = model, recipe = r, weight = w }
  end
  if opts.weights and #opts.weights ~= #opts then
    error(string.format("ensemble: %d weights for %d checkpoints", #opts.weights, #opts), 2)
  end
  if not (total > 0) then error("ensemble: the weights sum to 0", 2) end
  self.classes = opts.classes or self.members[1].recipe.classes
  for _, m in ipairs(self.members) do
    m.weight = m.weight / total
    m.columns = column_map(m.path, m.recipe.classes, self.classes)
  end
  return self
end

--- One member's probabilities [N,C] (in the ensemble's class order) for a batch already in its input format.
-- @int i the member (1-based)
-- @tparam Tensor x float32 [N,C,H,W] as the member's recipe prepares it (recipe.prepare)
-- @treturn Tensor [N,#classes]
function Ensemble:member_probs(i, x)
  local m = self.members[i]
  local p = tta.predict(m.model, x, self.tta or { flip = false })
  return p:index_select(2, m.columns)
end

--- Averaged probabilities of uint8 images [N,H,W,C] that every member can read (same size and channels).
-- @tparam Tensor images uint8 [N,H,W,C]
-- @treturn Tensor [N,#classes]
function Ensemble:predict(images)
  local sum
  for i, m in ipairs(self.members) do
    local p = self:member_probs(i, recipe.prepare(images, m.recipe)) * m.weight
    sum = sum and sum + p or p
  end
  return sum
end

--- Accuracy of the ensemble and of each member on an image folder (or labels CSV), each member reading the
-- images in its own format.
-- @string dir an image folder (one sub-folder per class) or a manifest CSV
-- @tparam[opt] table opts batch (256), cache (true: decoded images cached, see mien.data.image_folder),
-- quiet (false: a line per member)
-- @treturn table acc, n, classes, members = {{path=, acc=},...}, probs (Tensor [N,C]), targets (int64 [N])
function Ensemble:evaluate(dir, opts)
  opts = opts or {}
  local read = dir:lower():match("%.csv$") and mien.data.manifest or mien.data.image_folder
  local sum, targets, out = nil, nil, { members = {}, classes = self.classes }
  for i, m in ipairs(self.members) do
    local fmt = recipe.data_format(m.recipe)
    local ds = read(dir, { size = fmt.size, channels = fmt.channels, cache = opts.cache ~= false or nil })
    ds = classes_of.align(ds, self.classes)
    local probs = {}
    local loader = mien.data.loader(ds, { batch = opts.batch or 256, shuffle = false,
      augment = recipe.input_spec(m.recipe) })
    for x in loader(1) do probs[#probs + 1] = self:member_probs(i, x) end
    local p = mien.cat(probs, 1)
    if targets and ds.labels:numel() ~= targets:numel() then
      error(string.format("ensemble: member %d reads %d images of %s, member 1 read %d", i, ds.labels:numel(), dir,
        targets:numel()), 2)
    end
    targets = targets or ds.labels
    local acc = p:argmax(2):eq(targets):sum():item() / targets:numel()
    out.members[i] = { path = m.path, acc = acc }
    if not opts.quiet then print(string.format("ensemble member %d %s: accuracy %.2f%%", i, m.path, 100 * acc)) end
    p = p * m.weight
    sum = sum and sum + p or p
  end
  out.probs, out.targets, out.n = sum, targets, targets:numel()
  out.acc = sum:argmax(2):eq(targets):sum():item() / out.n
  return out
end

function Ensemble:__tostring()
  return string.format("Ensemble(%d members, classes %s)", #self.members, table.concat(self.classes, ","))
end

return setmetatable({ new = new, Ensemble = Ensemble }, { __call = function(_, ...) return new(...) end })
