-- FER2013 with a pretrained face backbone (transfer learning).
--   1. the frozen backbone turns every 48x48 grey face (upscaled, grey copied to
--      RGB, normalised as the backbone expects) into a feature vector, once;
--      the features are cached as safetensors under --cache (default
--      $MIEN_CACHE/features or ~/.cache/mien/features) for later runs, with a
--      progress line (rate, ETA) every 1000 images in logs;
--   2. a head of dense layers, with dropout before and after each, trains on
--      the cached features (Adam, --lr, --batch), validated on PublicTest;
--   3. optionally (--finetune-epochs N) the top --finetune-blocks blocks of
--      the backbone are unfrozen and trained with the head on augmented
--      images at a lower learning rate (parameter groups: backbone
--      --finetune-lr, head --finetune-lr * --head-lr-factor);
--   4. PublicTest accuracy, the confusion matrix and a per-class report.
--
--   mien run examples/transfer_fer2013.lua                          # full data, cached features
--   mien run examples/transfer_fer2013.lua --subset 2000 --test-subset 500 --epochs 5   # a quick CPU check
--   mien run examples/transfer_fer2013.lua --finetune-epochs 3 --finetune-blocks 2 --finetune-lr 1e-4
--
-- Data: ../shared/data/fer2013/{train,publictest} (image folders; --data).
-- Weights: $MIEN_WEIGHTS or ../shared/weights (--weights).
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local metrics = require "mien.metrics"
local features = require "mien.features"
local models = require "mien.models"
local transfer = require "mien.transfer"
local argparse = require "argparse"

local p = argparse("transfer_fer2013", "FER2013 with a pretrained face backbone: cached features, head, fine-tuning")
p:option("--data", "FER2013 folder with train/ and publictest/", "../shared/data/fer2013")
p:option("--backbone", "a mien.models name (models.list())", "faceapi_expression")
p:option("--weights", "weights folder (face-api/, human-models/)")
p:option("--cache", "folder for cached features (default: mien.data.cache_dir()/features, never next to the data)")
p:option("--lr", "head learning rate (Adam)", "1e-3", tonumber)
p:option("--batch", "head batch size", "256", tonumber)
p:option("--epochs", "head epochs", "30", tonumber)
p:option("--hidden", "hidden layer sizes, comma separated ('' for a linear head)", "512")
p:option("--dropout", "dropout before and after each dense layer", "0.5", tonumber)
p:option("--weight-decay", "Adam weight decay", "0", tonumber)
p:option("--views", "feature views per training image (> 1: augmented views, view 1 plain)", "1", tonumber)
p:option("--subset", "use this many training images (stratified; 0 = all)", "0", tonumber)
p:option("--test-subset", "use this many PublicTest images (stratified; 0 = all)", "0", tonumber)
p:option("--extract-batch", "images per backbone pass while caching features", "32", tonumber)
p:option("--finetune-epochs", "epochs of fine-tuning the top blocks with the head (0 = none)", "0", tonumber)
p:option("--finetune-blocks", "top backbone blocks to unfreeze", "2", tonumber)
p:option("--finetune-lr", "learning rate of the unfrozen backbone blocks", "1e-4", tonumber)
p:option("--head-lr-factor", "head learning rate = finetune-lr * this while fine-tuning", "10", tonumber)
p:option("--finetune-batch", "batch size while fine-tuning", "64", tonumber)
p:option("--dir", "output folder of the runs (checkpoints, history; `mien eval DIR/head/best.ckpt --data ...`)")
p:option("--seed", "random seed", "1", tonumber)
local a = p:parse(arg)

mien.manual_seed(a.seed)
local t0 = mien.core.now()

-- data
local train_ds = mien.data.image_folder(a.data .. "/train", { size = 48 })
local test_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48 })
local function take(ds, n, seed)
  if n <= 0 or n >= #ds then return ds end
  local _, keep = mien.data.stratified_split(ds, { val = n / #ds, seed = seed })
  return ds:subset(keep)
end
train_ds = take(train_ds, a.subset, a.seed)
test_ds = take(test_ds, a.test_subset, a.seed + 1)
local classes = train_ds.classes
print("train: " .. tostring(train_ds))
print("test:  " .. tostring(test_ds))

-- 1. cached features of the frozen backbone
local backbone = models.load(a.backbone, { include_top = false, dir = a.weights }):freeze()
print(string.format("backbone %s: input %dx%d x%d (%s), %d-d features", a.backbone, backbone.input.size[1],
  backbone.input.size[2], backbone.input.channels, backbone.normalization, backbone.feature_dim))
local augment = { rotation = 10, zoom = { 0.9, 1.1 }, shift = 0.08, flip = 0.5, brightness = 0.1,
  contrast = { 0.8, 1.2 } }
local cache = a.cache or ((mien.data.cache_dir() or os.getenv("TMPDIR") or "/tmp") .. "/features")
local tag = string.format("%s_%d", a.backbone, #train_ds)
local ftr, ytr = features.extract(backbone, train_ds, { batch = a.extract_batch, views = a.views,
  augment = a.views > 1 and augment or nil, seed = a.seed, verbose = true,
  path = string.format("%s/fer2013_train_%s_v%d.safetensors", cache, tag, a.views) })
local fte, yte = features.extract(backbone, test_ds, { batch = a.extract_batch, verbose = true,
  path = string.format("%s/fer2013_publictest_%s_%d.safetensors", cache, a.backbone, #test_ds) })
print(string.format("features: train [%d, %d], publictest [%d, %d] (%.1f s so far)", ftr:size(1), ftr:size(2),
  fte:size(1), fte:size(2), mien.core.now() - t0))

-- 2. the head: standardisation (training statistics), then dropout / dense / relu / dropout ... / dense
local hidden = {}
for h in a.hidden:gmatch("%d+") do hidden[#hidden + 1] = math.tointeger(tonumber(h)) end
local head_opts = { dim = ftr:size(2), hidden = hidden, classes = #classes, dropout = a.dropout,
  mean = ftr:mean(1, true), std = ftr:std(1, { keepdim = true }) + 1e-6 }
local head = transfer.head(head_opts)
print(head)
-- the checkpoints name the backbone, its cut and the head, so `mien eval` and
-- `mien predict` rebuild the whole model (images read as 48x48 grey, as here)
local data_format = { size = 48, channels = 1 }

local opt = optim.Adam(head:parameters(), { lr = a.lr, weight_decay = a.weight_decay })
local train_loader = features.loader(ftr, ytr, { batch = a.batch, seed = a.seed })
local test_loader = features.loader(fte, yte, { batch = 1024, shuffle = false })
mien.train.fit { model = head, optimizer = opt, epochs = a.epochs, train = train_loader, val = test_loader,
  dir = a.dir and (a.dir .. "/head") or nil, recipe = transfer.recipe(backbone, head_opts, classes, data_format) }
local result = mien.train.evaluate(head, test_loader, { keep_predictions = true })
print(string.format("head on cached features: PublicTest accuracy %.2f%%", 100 * result.acc))

-- 3. fine-tuning the top blocks with augmentation
if a.finetune_epochs > 0 then
  local top, names = models.top_blocks(backbone, a.finetune_blocks)
  for _, prm in ipairs(top) do prm.requires_grad = true end
  local n = 0
  for _, prm in ipairs(top) do n = n + prm:numel() end
  print(string.format("fine-tuning %d blocks (%s): %d parameters, lr %g (head %g)", #names, table.concat(names, ", "),
    n, a.finetune_lr, a.finetune_lr * a.head_lr_factor))
  local model = nn.Sequential(backbone, head)
  local ft_opt = optim.Adam({ { params = top, lr = a.finetune_lr },
    { params = head:parameters(), lr = a.finetune_lr * a.head_lr_factor } })
  local aug = {}
  for k, v in pairs(backbone.input) do aug[k] = v end
  for k, v in pairs(augment) do aug[k] = v end
  local img_train = mien.data.loader(train_ds, { batch = a.finetune_batch, augment = aug, seed = a.seed })
  local img_test = mien.data.loader(test_ds, { batch = a.finetune_batch, augment = backbone.input, shuffle = false })
  mien.train.fit { model = model, optimizer = ft_opt, epochs = a.finetune_epochs, train = img_train, val = img_test,
    dir = a.dir and (a.dir .. "/finetune") or nil,
    recipe = transfer.recipe(backbone, head_opts, classes, data_format, "model") }
  result = mien.train.evaluate(model, img_test, { keep_predictions = true })
  print(string.format("after fine-tuning: PublicTest accuracy %.2f%%", 100 * result.acc))
end

-- 4. the final PublicTest figures
local cm = metrics.confusion_matrix(result.preds, result.targets, #classes)
print()
print(metrics.format_confusion(cm, classes))
print()
print(metrics.classification_report(cm, classes))
print(string.format("PublicTest accuracy %.2f%% (%d images), balanced %.2f%%; %.1f s in all", 100 * result.acc,
  result.n, 100 * metrics.balanced_accuracy(result.preds, result.targets), mien.core.now() - t0))
