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

return transfer
