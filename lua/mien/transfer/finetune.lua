--- Fine-tuning the top blocks of one backbone of a multi-backbone transfer
-- model (mien.transfer.model) after its head has trained on cached features.
--
-- The other backbones stay frozen, so their features come from the cache:
-- each step runs only the fine-tuned backbone, on the plain or the mirrored
-- image (a coin per image and epoch), and takes the frozen backbones'
-- features of the same view from the cached rows (rows 1..N plain, N+1..2N
-- mirrored, as mien.transfer.features writes them). Flip is therefore the
-- only augmentation: any other would no longer match the cached features.
--
-- BatchNorm: the backbones run in eval mode throughout and stay frozen
-- modules (Module:freeze), so every normalisation uses the statistics it was
-- trained with; only the weights of the unfrozen blocks move (the imported
-- graphs have their batch norms folded into fixed scales anyway). The head
-- trains in train mode (dropout).
--
--   local finetune = require "mien.transfer.finetune"
--   local result = finetune.run { model = model, backbone = "faceapi_expression", blocks = 1,
--     train = {ds = train_ds, feats = ftr, labels = ytr}, test = {ds = test_ds, feats = fte, labels = yte},
--     epochs = 2, lr = 1e-4, head_lr = 1e-3 }
local mien = require "mien"
local core = require "mien.core"
local optim = require "mien.optim"
local prng = require "mien.util.prng"
local models = require "mien.models"
local transfer = require "mien.transfer"

local finetune = {}

-- cached features with the columns of one backbone replaced by fresh ones
local function splice(cached, fresh, offset)
  local d, dj = cached:size(2), fresh:size(2)
  local parts = {}
  if offset > 0 then parts[#parts + 1] = cached:narrow(2, 1, offset) end
  parts[#parts + 1] = fresh
  if offset + dj < d then parts[#parts + 1] = cached:narrow(2, offset + dj + 1, d - offset - dj) end
  return #parts == 1 and parts[1] or mien.cat(parts, 2)
end

-- the batch of images (shared input spec, 0..1) of a list of indices; mirrored when flip
local function images_of(ds, list, flip)
  local spec = transfer.shared_input(ds.images:size(2))
  if flip then spec.flip = 1 end
  return core.augment_batch(ds.images, mien.tensor(list, { dtype = "int64" }), spec, 0, 0)
end

--- Accuracy of the model on a test set, the fine-tuned backbone recomputed,
-- the others' features taken from the cache, the views' logits averaged.
-- @tparam table o model, backbone (name), test {ds=, feats=, labels=} with feats [N*views, D], views (1 or 2),
--   batch (64)
-- @treturn number accuracy in 0..1
-- @treturn {integer,...} predictions
-- @treturn number loss
function finetune.evaluate(o)
  local parts = o.model.parts
  local bbs, head = parts.backbones, parts.head
  local j = bbs:index(o.backbone)
  local adapted, offset = bbs[o.backbone], bbs.offsets[j]
  local ds, feats = o.test.ds, o.test.feats
  local n, views, batch = ds.images:size(1), o.views or 1, o.batch or 64
  local y = o.test.labels:narrow(1, 1, n)
  local was_training = o.model.training
  o.model:eval()
  local logits = mien.no_grad(function()
    local chunks = {}
    for first = 1, n, batch do
      local last = math.min(first + batch - 1, n)
      local list = {}
      for i = first, last do list[#list + 1] = i end
      local sum
      for v = 1, views do
        local rows = mien.tensor(list, { dtype = "int64" }) + (v - 1) * n
        local out = head(splice(feats:index_select(1, rows), adapted(images_of(ds, list, v == 2)), offset))
        sum = sum and (sum + out) or out
      end
      chunks[#chunks + 1] = sum * (1 / views)
    end
    return mien.cat(chunks, 1)
  end)
  if was_training then o.model:train() end
  local preds, targets, right = logits:argmax(2):totable(), y:totable(), 0
  for i = 1, n do
    if preds[i] == targets[i] then right = right + 1 end
  end
  return right / n, preds, mien.F.cross_entropy(logits, y):item()
end

--- Fine-tune the top blocks of one backbone with the head.
-- @tparam table o the options:
--   model (mien.transfer.model, required), backbone (the name of the backbone to fine-tune, required),
--   blocks (1: the top k blocks, or a list of block names, see mien.models.blocks),
--   train {ds=, feats=, labels=} (feats [2N, D]: plain rows then mirrored rows, required),
--   test {ds=, feats=, labels=} (feats [N*views, D], optional), views (2: test with flip TTA; 1: plain),
--   epochs (1), lr (1e-4, the unfrozen blocks), head_lr (lr * 10), batch (32), seed (1),
--   verbose (true: a flushed line every progress_every (20) batches and per epoch)
-- @treturn table {history = {{epoch=, train_loss=, train_acc=, val_acc=, val_loss=, seconds=}, ...},
--   acc=, preds=, blocks = {names}, params = count}
function finetune.run(o)
  local parts = assert(o.model and o.model.parts, "finetune.run: model must come from mien.transfer.model")
  local bbs, head = parts.backbones, parts.head
  local name = assert(o.backbone, "finetune.run: backbone (a name) is required")
  local j = bbs:index(name)
  local adapted, offset = bbs[name], bbs.offsets[j]
  local ds, feats, labels = o.train.ds, o.train.feats, o.train.labels
  local n = ds.images:size(1)
  if feats:size(1) ~= 2 * n then
    error(string.format("finetune.run: train.feats has %d rows; expected %d (plain and mirrored rows of %d images)",
      feats:size(1), 2 * n, n), 2)
  end
  local params, names = models.top_blocks(adapted, o.blocks or 1)
  if #params == 0 then error("finetune.run: backbone " .. name .. " has no blocks to unfreeze", 2) end
  local count = 0
  for _, p in ipairs(params) do
    p.requires_grad = true -- the module stays frozen: its normalisations keep their statistics
    count = count + p:numel()
  end
  local lr = o.lr or 1e-4
  local opt = optim.Adam({ { params = params, lr = lr }, { params = head:parameters(), lr = o.head_lr or lr * 10 } })
  local epochs, batch, seed = o.epochs or 1, o.batch or 32, o.seed or 1
  local verbose, every = o.verbose ~= false, o.progress_every or 20
  local history = {}
  local acc, preds
  for epoch = 1, epochs do
    local t0 = core.now()
    bbs:eval()
    head:train()
    local order = prng.range(n)
    local rng = prng.new(seed, epoch)
    rng:shuffle(order)
    local nb = (n + batch - 1) // batch
    local total, right, seen = 0, 0, 0
    for b = 1, nb do
      local plain, mirrored = {}, {}
      for k = (b - 1) * batch + 1, math.min(b * batch, n) do
        local i = order[k]
        if rng:float() < 0.5 then plain[#plain + 1] = i else mirrored[#mirrored + 1] = i end
      end
      local xs, rows = {}, {}
      for _, i in ipairs(plain) do rows[#rows + 1] = i end
      for _, i in ipairs(mirrored) do rows[#rows + 1] = n + i end
      if #plain > 0 then xs[#xs + 1] = images_of(ds, plain, false) end
      if #mirrored > 0 then xs[#xs + 1] = images_of(ds, mirrored, true) end
      local idx = mien.tensor(rows, { dtype = "int64" })
      local y = labels:index_select(1, idx)
      local x = #xs == 1 and xs[1] or mien.cat(xs, 1)
      local out = head(splice(feats:index_select(1, idx), adapted(x), offset))
      local loss = mien.F.cross_entropy(out, y)
      opt:zero_grad()
      loss:backward()
      opt:step()
      local m = #rows
      total, seen = total + loss:item() * m, seen + m
      local p, t = out:argmax(2):totable(), y:totable()
      for k = 1, m do
        if p[k] == t[k] then right = right + 1 end
      end
      if verbose and (b % every == 0 or b == nb) then
        local el = core.now() - t0
        print(string.format("finetune epoch %d/%d: batch %d/%d, loss %.4f, acc %.2f%%, %.1f img/s, ETA %.0f s", epoch,
          epochs, b, nb, total / seen, 100 * right / seen, seen / el, el / b * (nb - b)))
        io.stdout:flush()
      end
    end
    local row = { epoch = epoch, train_loss = total / seen, train_acc = right / seen }
    if o.test then
      local loss
      acc, preds, loss = finetune.evaluate { model = o.model, backbone = name, test = o.test, views = o.views or 2 }
      row.val_acc, row.val_loss = acc, loss
    end
    row.seconds = core.now() - t0
    history[#history + 1] = row
    if verbose then
      print(string.format("finetune epoch %d/%d: loss %.4f acc %.2f%%%s (%.0f s)", epoch, epochs, row.train_loss,
        100 * row.train_acc, row.val_acc and string.format(", val_loss %.4f val_acc %.2f%%", row.val_loss,
        100 * row.val_acc) or "", row.seconds))
      io.stdout:flush()
    end
  end
  o.model:eval()
  return { history = history, acc = acc, preds = preds, blocks = names, params = count }
end

return finetune
