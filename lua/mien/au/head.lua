--- A multi-label action-unit head: one logit per AU, trained with
-- binary cross-entropy on the logits (mien.F.binary_cross_entropy_with_logits),
-- so any number of AUs can be present at once. It sits on features (a
-- frozen backbone's, or landmark measures) or on a small CNN's output.
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"

local head = {}

--- A head from in_dim features to n_aus logits.
-- @int in_dim feature size
-- @int n_aus number of AUs
-- @tparam[opt] table opts fields: hidden (0: linear; else one hidden ReLU
--   layer of this size), dropout (0.2, with a hidden layer)
-- @return an nn module: [N, in_dim] -> [N, n_aus] logits
function head.new(in_dim, n_aus, opts)
  opts = opts or {}
  local hidden = opts.hidden or 0
  if hidden == 0 then return nn.Sequential(nn.Linear(in_dim, n_aus)) end
  return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(opts.dropout or 0.2), nn.Linear(hidden, n_aus))
end

local function check_targets(x, targets)
  if not mien.is_tensor(x) or not mien.is_tensor(targets) or targets:dim() ~= 2 or x:size(1) ~= targets:size(1) then
    error("au.head: expected inputs [N,...] and targets [N, n_aus] with the same N", 3)
  end
end

--- Trains a model (a head, or a backbone and head) on multi-label AU
-- targets with BCE-with-logits and Adam; mini-batches in a seeded random order.
-- @param model an nn module giving [N, n_aus] logits
-- @param x float inputs [N, ...]
-- @param targets float32 [N, n_aus]: 1 present, 0 absent (or intensities in 0..1, or
--   a threshold applied by the caller)
-- @tparam[opt] table opts fields: epochs (20), batch (64), lr (1e-3), weight_decay (0),
--   seed (0), pos_weight (a float32 [n_aus] tensor weighting the positives of rare AUs)
-- @treturn table the mean training loss of each epoch
function head.train(model, x, targets, opts)
  opts = opts or {}
  check_targets(x, targets)
  local n, batch = x:size(1), opts.batch or 64
  local opt = optim.Adam(model:parameters(), { lr = opts.lr or 1e-3, weight_decay = opts.weight_decay or 0 })
  local losses = {}
  mien.manual_seed(opts.seed or 0)
  model:train()
  for epoch = 1, opts.epochs or 20 do
    local order = mien.randperm(n) -- 1-based
    local total = 0
    for start = 1, n, batch do
      local idx = order:narrow(1, start, math.min(batch, n - start + 1))
      local xb, yb = x:index_select(1, idx), targets:index_select(1, idx)
      opt:zero_grad()
      local loss = mien.F.binary_cross_entropy_with_logits(model(xb), yb, { pos_weight = opts.pos_weight })
      loss:backward()
      opt:step()
      total = total + loss:item() * idx:size(1)
    end
    losses[epoch] = total / n
  end
  return losses
end

--- AU probabilities (sigmoid of the logits) in eval mode, without gradients.
-- @param model the trained model
-- @param x inputs [N, ...]
-- @tparam[opt] int batch rows per forward pass (256)
-- @treturn table probabilities [N][n_aus] as nested Lua tables
function head.predict(model, x, batch)
  batch = batch or 256
  model:eval()
  local out = {}
  mien.no_grad(function()
    for start = 1, x:size(1), batch do
      local p = model(x:narrow(1, start, math.min(batch, x:size(1) - start + 1))):sigmoid():totable()
      for _, row in ipairs(p) do out[#out + 1] = row end
    end
  end)
  return out
end

return head
