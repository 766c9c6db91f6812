-- CK+ expressions with a frozen pretrained face backbone: features are
-- computed once (and cached as safetensors), then a small head is trained per
-- fold of a subject-wise 10-fold cross-validation (no subject is ever in both
-- the training and the validation part). Prints per-fold accuracy, the mean
-- +- std, and the confusion matrix pooled over the folds.
--
--   mien run examples/ckplus_transfer.lua                              # defaults below
--   mien run examples/ckplus_transfer.lua --backbone faceres --epochs 80 --lr 3e-4
--   mien run examples/ckplus_transfer.lua --views 4                    # + 3 augmented views per training image
--
-- From a checkout: scripts/mien run examples/ckplus_transfer.lua [options]
-- The heads are tiny: on a busy CPU, OMP_NUM_THREADS=1 makes their training
-- several times faster (thread start-up costs more than these small ops).
--
-- Backbones on CK+ (7 classes, 10 subject-wise folds, this script's defaults, CPU):
-- faceapi_expression 95.6%, emotion_xception 89.3%, faceres 88.1%,
-- faceapi_recognition 86.4%, faceapi_landmarks68 80.0%, mobilefacenet 73.3%.
-- (face-api's expression net was trained on expression data whose sources
-- are not documented; CK+ may have been among them.)
-- The data: ../shared/data/ckplus48 (981 48x48 grey PNGs, labels.csv with subjects).
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local metrics = require "mien.metrics"
local features = require "mien.features"
local argparse = require "argparse"

local parser = argparse("ckplus_transfer", "CK+ with a frozen face backbone, subject-wise k-fold CV")
parser:option("--data", "CK+ labels.csv", "../shared/data/ckplus48/labels.csv")
parser:option("--backbone", "a mien.models name, or several joined by commas", "faceapi_expression")
parser:option("--weights", "weights folder (face-api/, human-models/); default $MIEN_WEIGHTS or ../shared/weights")
parser:option("--cache", "folder for cached features", "cache")
parser:option("--folds", "number of subject-wise folds", "10"):convert(tonumber)
parser:option("--epochs", "head training epochs per fold", "40"):convert(tonumber)
parser:option("--lr", "Adam learning rate", "1e-3"):convert(tonumber)
parser:option("--batch", "head batch size", "64"):convert(tonumber)
parser:option("--hidden", "hidden units of the head (0: a linear head)", "256"):convert(tonumber)
parser:option("--dropout", "dropout before and after the hidden layer", "0.5"):convert(tonumber)
parser:option("--weight-decay", "AdamW weight decay", "1e-4"):convert(tonumber)
parser:option("--views", "views per image (views > 1 adds augmented training views)", "1"):convert(tonumber)
parser:option("--extract-batch", "images per backbone pass", "32"):convert(tonumber)
parser:option("--seed", "seed of the folds and the head", "1"):convert(tonumber)
parser:flag("--no-contempt", "drop the contempt class (7 -> 6 classes)")
parser:flag("--verbose", "per-epoch lines of every fold")
local args = parser:parse(arg)

local t_start = mien.core.now()
local ds = mien.data.manifest(args.data)
if args.no_contempt then
  local map, order = {}, {}
  for _, c in ipairs(ds.classes) do
    if c ~= "contempt" then map[c] = c; order[#order + 1] = c end
  end
  ds = ds:remap(map, { order = order }) -- subset() keeps the subjects (groups)
end
local n, classes = #ds, ds.classes
print(string.format("%s (%d subjects)", tostring(ds), (function()
  local s, k = {}, 0
  for _, g in ipairs(ds.groups) do if not s[g] then s[g] = true; k = k + 1 end end
  return k
end)()))

-- 1. features of the frozen backbone(s), once (cached); several backbones
-- (--backbone a,b) give their features side by side
local augment = args.views > 1 and { rotation = 10, zoom = { 0.9, 1.1 }, shift = 0.08, flip = 0.5,
  brightness = 0.1, contrast = { 0.8, 1.2 } } or nil
local parts, labels = {}, nil
for name in args.backbone:gmatch("[^,%s]+") do
  local backbone = mien.models.load(name, { include_top = false, dir = args.weights }):freeze()
  local cache = string.format("%s/ckplus_%s_%s%s.safetensors", args.cache, name, args.no_contempt and "6" or "7",
    args.views > 1 and ("_v" .. args.views) or "")
  local f, y, info = features.extract(backbone, ds, { batch = args.extract_batch, views = args.views,
    augment = augment, path = cache, verbose = true, seed = args.seed })
  print(string.format("features %s: [%d, %d] from %s (%s, %.1f s)", cache, f:size(1), f:size(2), name,
    info.cached and "cached" or "computed", info.seconds))
  parts[#parts + 1], labels = f, y
end
local feats = #parts == 1 and parts[1] or mien.cat(parts, 2)
local t_features = mien.core.now()

-- 2. a small head per fold
local function make_head(d, c)
  if args.hidden == 0 then return nn.Sequential(nn.Dropout(args.dropout), nn.Linear(d, c)) end
  return nn.Sequential(nn.Dropout(args.dropout), nn.Linear(d, args.hidden), nn.ReLU(), nn.Dropout(args.dropout),
    nn.Linear(args.hidden, c))
end

local accs, all_pred, all_true = {}, {}, {}
for fold, tr, va in mien.data.group_kfold(ds, args.folds, { seed = args.seed }) do
  mien.manual_seed(args.seed * 100 + fold)
  -- standardise with the training rows' statistics (all views of the training images)
  local tr_rows = features.rows(n, args.views, tr)
  local xtr = feats:index_select(1, mien.tensor(tr_rows, { dtype = "int64" }))
  local mean, std = xtr:mean(1, true), xtr:std(1, { keepdim = true }) + 1e-6
  local z = (feats - mean) / std
  local head = make_head(feats:size(2), #classes)
  local opt = optim.AdamW(head:parameters(), { lr = args.lr, weight_decay = args.weight_decay })
  local history = mien.train.fit {
    model = head, optimizer = opt, epochs = args.epochs, quiet = not args.verbose,
    train = features.loader(z, labels, { batch = args.batch, indices = tr_rows, seed = args.seed + fold }),
  }
  local val = mien.train.evaluate(head, features.loader(z, labels, { batch = 512, indices = va, shuffle = false }),
    { keep_predictions = true })
  accs[fold] = val.acc
  for i = 1, #val.preds do
    all_pred[#all_pred + 1] = val.preds[i]
    all_true[#all_true + 1] = val.targets[i]
  end
  print(string.format("fold %2d: %3d train / %3d val images, train loss %.3f, val acc %.2f%%", fold, #tr, #va,
    history[#history].train_loss, 100 * val.acc))
end

local mean, std = metrics.mean_std(accs)
local cm = metrics.confusion_matrix(all_pred, all_true, #classes)
print()
print(metrics.format_confusion(cm, classes))
print(string.format("pooled accuracy %.2f%%, balanced %.2f%%", 100 * metrics.accuracy(all_pred, all_true),
  100 * metrics.balanced_accuracy(all_pred, all_true)))
print(string.format("%s, %d-fold subject-wise CV: %.2f%% +- %.2f%% (mean +- std over folds)", args.backbone, #accs,
  100 * mean, 100 * std))
print(string.format("time: %.1f s (features %.1f s, heads %.1f s)", mien.core.now() - t_start, t_features - t_start,
  mien.core.now() - t_features))
