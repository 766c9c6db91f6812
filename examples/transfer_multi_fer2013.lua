-- FER2013 with several pretrained face backbones at once (transfer learning).
--   1. each frozen backbone turns every 48x48 grey face (in 0..1; each
--      backbone resizes and normalises it as it expects) and, with --flip,
--      its mirror image into features, once; every backbone's features of
--      each view are cached on their own under --cache (default
--      $MIEN_CACHE/features or ~/.cache/mien/features, never next to the data),
--      with a progress line every --progress-every images (rate, ETA);
--   2. with --each, a head is trained on each backbone's features alone
--      (with and without flip), for the per-backbone figures;
--   3. a head (standardisation, dropout / dense / relu / dropout, dense) trains
--      on the concatenated features; with --flip the mirrored rows are extra
--      training rows and at test time the logits of both views are averaged;
--   4. optionally (--finetune-epochs N) the top --finetune-blocks blocks of
--      --finetune-backbone are unfrozen and trained with the head at a lower
--      learning rate, the other backbones' features coming from the cache
--      (mien.transfer.finetune: flip is the only augmentation; BatchNorm
--      statistics stay as trained);
--   5. the checkpoints (--dir) name the backbones, their cuts, the head and
--      the TTA, so `mien eval DIR/head.ckpt --data .../publictest` and
--      `mien predict DIR/head.ckpt face.png` rebuild the whole model.
--
--   mien run examples/transfer_multi_fer2013.lua --subset 3000 --test-subset 1000 --flip --each --dir runs/multi
--   mien run examples/transfer_multi_fer2013.lua --flip --dir runs/multi_full          # all data (hours on 2 cores)
--   mien run examples/transfer_multi_fer2013.lua --subset 3000 --test-subset 1000 --flip --dir runs/multi \
--     --finetune-backbone faceapi_expression --finetune-blocks 1 --finetune-epochs 1
--
-- Never use emotion_xception here: it was probably trained on a split of the
-- whole FER2013 CSV and may have seen the PublicTest images.
-- Data: ../shared/data/fer2013/{train,publictest} (image folders; --data).
-- Weights: $MIEN_WEIGHTS or ../shared/weights (--weights).
local mien = require "mien"
local optim = require "mien.optim"
local metrics = require "mien.metrics"
local features = require "mien.features"
local models = require "mien.models"
local transfer = require "mien.transfer"
local argparse = require "argparse"

local p = argparse("transfer_multi_fer2013", "FER2013 with several face backbones: cached features (flip TTA), "
  .. "a head on their concatenation, fine-tuning")
p:option("--data", "FER2013 folder with train/ and publictest/", "../shared/data/fer2013")
p:option("--backbones", "mien.models names, comma separated",
  "faceres,mobilefacenet,faceapi_recognition,faceapi_expression")
p:option("--weights", "weights folder (face-api/, human-models/)")
p:option("--cache", "folder of the cached features (default: mien.data.cache_dir()/features)")
p:flag("--flip", "cache mirrored images' features too: extra training rows, and flip TTA at test time")
p:flag("--each", "also train a head on each backbone alone (with and without flip) and report each figure")
p:option("--lr", "head learning rate (Adam)", "1e-3", tonumber)
p:option("--batch", "head batch size", "256", tonumber)
p:option("--epochs", "head epochs", "30", tonumber)
p:option("--hidden", "hidden layer sizes, comma separated ('' for a linear head)", "512")
p:option("--dropout", "dropout before and after each dense layer", "0.5", tonumber)
p:option("--weight-decay", "Adam weight decay", "0", tonumber)
p:option("--subset", "use this many training images (stratified; 0 = all)", "0", tonumber)
p:option("--test-subset", "use this many PublicTest images (stratified; 0 = all)", "0", tonumber)
p:option("--extract-batch", "images per backbone pass while caching features", "32", tonumber)
p:option("--progress-every", "a progress line every this many images while extracting", "500", tonumber)
p:option("--finetune-backbone", "the backbone whose top blocks are fine-tuned (one of --backbones)")
p:option("--finetune-blocks", "the top k blocks to unfreeze, or block names, comma separated", "1")
p:option("--finetune-epochs", "epochs of fine-tuning (0 = none)", "0", tonumber)
p:option("--finetune-lr", "learning rate of the unfrozen blocks", "1e-4", tonumber)
p:option("--finetune-head-lr", "learning rate of the head while fine-tuning", "1e-4", tonumber)
p:option("--finetune-batch", "batch size while fine-tuning", "32", tonumber)
p:option("--dir", "output folder: head.ckpt (and finetune.ckpt) for `mien eval` / `mien predict`")
p:option("--seed", "random seed", "1", tonumber)
local a = p:parse(arg)

mien.manual_seed(a.seed)
local t0 = mien.core.now()
local function stamp() return string.format("[%.0f s]", mien.core.now() - t0) end

-- data
local train_ds = mien.data.image_folder(a.data .. "/train", { size = 48, cache = true })
local test_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48, cache = true })
local function take(ds, n, seed)
  if n <= 0 or n >= #ds then return ds end
  local _, keep = mien.data.stratified_split(ds, { val = n / #ds, seed = seed })
  return ds:subset(keep)
end
local test_all = #test_ds
train_ds = take(train_ds, a.subset, a.seed)
test_ds = take(test_ds, a.test_subset, a.seed + 1)
local classes = train_ds.classes
print("train: " .. tostring(train_ds))
print("test:  " .. tostring(test_ds))

-- 1. the frozen backbones and their cached features (plain rows, then mirrored rows)
local list = {}
for name in a.backbones:gmatch("[^,%s]+") do
  if name == "emotion_xception" then
    error("emotion_xception may have seen the FER2013 test images; it is not a backbone for FER2013 figures")
  end
  local bb = models.load(name, { include_top = false, dir = a.weights }):freeze()
  print(string.format("backbone %s: input %dx%d x%d (%s), %d-d features", name, bb.input.size[1], bb.input.size[2],
    bb.input.channels, bb.normalization, bb.feature_dim))
  list[#list + 1] = bb
end
local backbones = transfer.Backbones(list)
local cache = a.cache or ((mien.data.cache_dir() or os.getenv("TMPDIR") or "/tmp") .. "/features")
local views = a.flip and 2 or 1
local fopts = { dir = cache, flip = a.flip, batch = a.extract_batch, verbose = true, progress_every = a.progress_every }
fopts.tag = string.format("fer2013_train_%d_s%d", #train_ds, a.seed)
local ftr, ytr, secs_tr = transfer.features(backbones, train_ds, fopts)
fopts.tag = string.format("fer2013_publictest_%d_s%d", #test_ds, a.seed + 1)
local fte, yte, secs_te = transfer.features(backbones, test_ds, fopts)
for _, name in ipairs(backbones.names) do
  print(string.format("features %s: %.0f s train, %.0f s test (0: cached in %s)", name, secs_tr[name], secs_te[name],
    cache))
end
print(string.format("%s features: train [%d, %d], publictest [%d, %d]", stamp(), ftr:size(1), ftr:size(2),
  fte:size(1), fte:size(2)))

local hidden = {}
for h in a.hidden:gmatch("%d+") do hidden[#hidden + 1] = math.tointeger(tonumber(h)) end

-- 2./3. a head on features (all rows of train_rows views), its accuracy on the test
-- features without and with flip TTA
local n_tr, n_te = #train_ds, #test_ds
local function train_head(xtr, train_views, xte, quiet)
  xtr = xtr:narrow(1, 1, n_tr * train_views):contiguous()
  local y = ytr:narrow(1, 1, n_tr * train_views)
  local head_opts = { dim = xtr:size(2), hidden = hidden, classes = #classes, dropout = a.dropout,
    mean = xtr:mean(1, true), std = xtr:std(1, { keepdim = true }) + 1e-6 }
  local head = transfer.head(head_opts)
  local opt = optim.Adam(head:parameters(), { lr = a.lr, weight_decay = a.weight_decay })
  local history = mien.train.fit { model = head, optimizer = opt, epochs = a.epochs, quiet = quiet,
    train = features.loader(xtr, y, { batch = a.batch, seed = a.seed }),
    val = features.loader(xte:narrow(1, 1, n_te), yte:narrow(1, 1, n_te), { batch = 1024, shuffle = false }) }
  local plain = transfer.evaluate_views(head, xte:narrow(1, 1, n_te), yte, 1)
  local tta, preds, loss
  if views == 2 then tta, preds, loss = transfer.evaluate_views(head, xte, yte, 2) end
  return head, head_opts, { plain = plain, tta = tta, preds = preds, loss = loss, history = history }
end

if a.each then
  for j, name in ipairs(backbones.names) do
    local cols_tr = ftr:narrow(2, backbones.offsets[j] + 1, backbones.dims[j])
    local cols_te = fte:narrow(2, backbones.offsets[j] + 1, backbones.dims[j])
    local _, _, r1 = train_head(cols_tr, 1, cols_te, true)
    local line = string.format("%s %-20s head on plain features: %.2f%%", stamp(), name, 100 * r1.plain)
    if views == 2 then
      local _, _, r2 = train_head(cols_tr, 2, cols_te, true)
      line = line .. string.format("; flip-augmented head: %.2f%%, with flip TTA %.2f%%", 100 * r2.plain, 100 * r2.tta)
    end
    print(line)
    io.stdout:flush()
  end
  if views == 2 then
    local _, _, r = train_head(ftr, 1, fte, true)
    print(string.format("%s %-20s head on plain features: %.2f%%", stamp(), "concatenation", 100 * r.plain))
  end
end

local head, head_opts, result = train_head(ftr, views, fte, false)
print(head)
print(string.format("%s concatenation (%s): PublicTest %.2f%% plain%s", stamp(), table.concat(backbones.names, "+"),
  100 * result.plain, views == 2 and string.format(", %.2f%% with flip TTA", 100 * result.tta) or ""))
local acc, preds = result.tta or result.plain, result.preds
if not preds then acc, preds = transfer.evaluate_views(head, fte, yte, 1) end
local tta = views == 2 and "flip" or nil
local model = transfer.model(backbones, head, tta)
-- `mien eval` on a test subset needs it as a folder: copies of its images under DIR/publictest_subset
local eval_data = a.data .. "/publictest"
local function write_subset(ds, dir)
  local fs = require "mien.util.fs"
  for i, file in ipairs(assert(ds.files, "the test set has no file names")) do
    local class = ds.classes[ds.labels[i]]
    fs.mkdir_p(dir .. "/" .. class)
    local src = assert(io.open(file, "rb"))
    local bytes = src:read("a")
    src:close()
    fs.write_atomic(dir .. "/" .. class .. "/" .. file:match("([^/]+)$"), bytes)
  end
  return dir
end
if a.dir then
  local path = a.dir .. "/head.ckpt"
  require("mien.util.fs").mkdir_p(a.dir)
  if #test_ds < test_all then eval_data = write_subset(test_ds, a.dir .. "/publictest_subset") end
  mien.io.save_checkpoint(path, { model = head, epoch = a.epochs, history = result.history,
    extra = { recipe = transfer.multi_recipe(backbones, head_opts, classes, { tta = tta }) } })
  print(string.format("saved %s (PublicTest %.2f%%): mien eval %s --data %s", path, 100 * acc, path, eval_data))
end

-- 4. fine-tuning the top blocks of one backbone
if a.finetune_epochs > 0 then
  local finetune = require "mien.transfer.finetune"
  local name = assert(a.finetune_backbone, "--finetune-epochs needs --finetune-backbone")
  if views ~= 2 then error("fine-tuning takes the other backbones' features of both views from the cache: give --flip") end
  local blocks = math.tointeger(tonumber(a.finetune_blocks))
  if not blocks then
    blocks = {}
    for b in a.finetune_blocks:gmatch("[^,%s]+") do blocks[#blocks + 1] = b end
  end
  local r = finetune.run { model = model, backbone = name, blocks = blocks, epochs = a.finetune_epochs,
    lr = a.finetune_lr, head_lr = a.finetune_head_lr, batch = a.finetune_batch, seed = a.seed,
    train = { ds = train_ds, feats = ftr, labels = ytr }, test = { ds = test_ds, feats = fte, labels = yte } }
  print(string.format("%s fine-tuned %s blocks %s (%d parameters): PublicTest %.2f%% with flip TTA", stamp(), name,
    table.concat(r.blocks, ", "), r.params, 100 * r.acc))
  acc, preds = r.acc, r.preds
  if a.dir then
    local path = a.dir .. "/finetune.ckpt"
    mien.io.save_checkpoint(path, { model = model, epoch = a.finetune_epochs, history = r.history,
      extra = { recipe = transfer.multi_recipe(backbones, head_opts, classes, { tta = tta, holds = "model" }) } })
    print(string.format("saved %s (PublicTest %.2f%%): mien eval %s --data %s", path, 100 * acc, path, eval_data))
  end
end

-- 5. the final PublicTest figures
local targets = yte:narrow(1, 1, n_te):totable()
local cm = metrics.confusion_matrix(preds, targets, #classes)
print()
print(metrics.format_confusion(cm, classes))
print()
print(metrics.classification_report(cm, classes))
print(string.format("PublicTest accuracy %.2f%% (%d images), balanced %.2f%%; %.1f s in all", 100 * acc, n_te,
  100 * metrics.balanced_accuracy(preds, targets), mien.core.now() - t0))
