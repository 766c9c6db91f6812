-- Binary expression tasks on CK+ with a frozen face backbone, as the tiny-data
-- studies run them: subject-wise k-fold cross-validation repeated over several
-- seeds to show run-to-run variance, ROC curves and AUC.
--   --task valence   positive (happy) vs negative (anger, contempt, disgust,
--                    fear, sadness); surprise, of no clear valence, is left out
--   --task CLASS     that CK+ class vs all the others (e.g. --task happy)
-- Features are computed once (cached); per seed, each fold trains a small head
-- with inverse-frequency class weights and scores its held-out subjects. The
-- scores are pooled over the folds into one ROC curve per seed. Prints AUC and
-- accuracy per seed and their mean +- std, and writes DIR/report.html with the
-- ROC curves.
--
--   mien run examples/ckplus_binary.lua                       # valence, 3 seeds
--   mien run examples/ckplus_binary.lua --task surprise --seeds 5
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local metrics = require "mien.metrics"
local features = require "mien.features"
local argparse = require "argparse"

local parser = argparse("ckplus_binary", "Binary CK+ tasks: subject-wise CV over several seeds, ROC and AUC")
parser:option("--data", "CK+ labels.csv", "../shared/data/ckplus48/labels.csv")
parser:option("--task", "'valence' or a CK+ class name (that class vs the rest)", "valence")
parser:option("--backbone", "a mien.models name", "faceapi_expression")
parser:option("--weights", "weights folder (face-api/, human-models/); default $MIEN_WEIGHTS or ../shared/weights")
parser:option("--cache", "folder for cached features", "cache")
parser:option("--folds", "subject-wise folds", "10"):convert(tonumber)
parser:option("--seeds", "repetitions with different folds and heads", "3"):convert(tonumber)
parser:option("--epochs", "head training epochs per fold", "30"):convert(tonumber)
parser:option("--lr", "AdamW learning rate", "1e-3"):convert(tonumber)
parser:option("--hidden", "hidden units of the head", "128"):convert(tonumber)
parser:option("--dropout", "dropout before and after the hidden layer", "0.5"):convert(tonumber)
parser:option("--dir", "output folder (report.html, roc.svg)", "runs/ckplus_binary")
local args = parser:parse(arg)

local t0 = mien.core.now()
local ds = mien.data.manifest(args.data)
local mapping
if args.task == "valence" then
  mapping = { happy = "positive", anger = "negative", contempt = "negative", disgust = "negative", fear = "negative",
    sadness = "negative" }
else
  local known = false
  for _, c in ipairs(ds.classes) do known = known or c == args.task end
  if not known then
    error(string.format("ckplus_binary: --task must be 'valence' or one of %s, got '%s'",
      table.concat(ds.classes, ", "), args.task))
  end
  mapping = {}
  for _, c in ipairs(ds.classes) do mapping[c] = c == args.task and args.task or "rest" end
end
local positive = args.task == "valence" and "positive" or args.task
local negative = args.task == "valence" and "negative" or "rest"
ds = ds:remap(mapping, { order = { negative, positive } }) -- class 2 is the positive one
local counts = ds:class_counts()
print(string.format("task %s: %d %s vs %d %s images", args.task, counts[2], positive, counts[1], negative))

local backbone = mien.models.load(args.backbone, { include_top = false, dir = args.weights }):freeze()
local feats, labels = features.extract(backbone, ds, { batch = 32, verbose = true,
  path = string.format("%s/ckplus_%s_%s.safetensors", args.cache, args.backbone, args.task) })
local weights = mien.data.class_weights(ds)
local function loss(out, y) return mien.F.cross_entropy(out, y, { weight = weights }) end

local aucs, accs, curves = {}, {}, {}
for seed = 1, args.seeds do
  local scores, targets, preds = {}, {}, {}
  for fold, tr, va in mien.data.group_kfold(ds, args.folds, { seed = seed }) do
    mien.manual_seed(seed * 1000 + fold)
    local xtr = feats:index_select(1, mien.tensor(tr, { dtype = "int64" }))
    local z = (feats - xtr:mean(1, true)) / (xtr:std(1, { keepdim = true }) + 1e-6)
    local head = nn.Sequential(nn.Dropout(args.dropout), nn.Linear(feats:size(2), args.hidden), nn.ReLU(),
      nn.Dropout(args.dropout), nn.Linear(args.hidden, 2))
    mien.train.fit { model = head, loss = loss, epochs = args.epochs, quiet = true,
      optimizer = optim.AdamW(head:parameters(), { lr = args.lr, weight_decay = 1e-4 }),
      train = features.loader(z, labels, { batch = 32, indices = tr, seed = seed * 1000 + fold }) }
    local r = mien.train.evaluate(head, features.loader(z, labels, { batch = 512, indices = va, shuffle = false }),
      { keep_predictions = true, loss = loss })
    for i = 1, #r.preds do
      scores[#scores + 1] = r.probs[i][2]
      targets[#targets + 1] = r.targets[i] == 2 and 1 or 0
      preds[#preds + 1] = r.preds[i]
    end
  end
  local fpr, tpr = metrics.roc_curve(scores, targets)
  local auc = metrics.roc_auc(scores, targets)
  local truth = {}
  for i, t in ipairs(targets) do truth[i] = t + 1 end
  aucs[seed], accs[seed] = auc, metrics.balanced_accuracy(preds, truth)
  curves[seed] = { name = "seed " .. seed, fpr = fpr, tpr = tpr, auc = auc }
  print(string.format("seed %d: %d-fold subject-wise CV, AUC %.4f, balanced accuracy %.2f%%", seed, args.folds, auc,
    100 * accs[seed]))
end

local auc_m, auc_s = metrics.mean_std(aucs)
local acc_m, acc_s = metrics.mean_std(accs)
print(string.format("%s vs %s over %d seeds: AUC %.4f +- %.4f, balanced accuracy %.2f%% +- %.2f%% (%.1f s)", positive,
  negative, args.seeds, auc_m, auc_s, 100 * acc_m, 100 * acc_s, mien.core.now() - t0))
local path = mien.report.run { dir = args.dir, title = string.format("CK+ %s vs %s", positive, negative),
  config = { task = args.task, backbone = args.backbone, folds = args.folds, seeds = args.seeds, epochs = args.epochs,
    lr = args.lr, hidden = args.hidden, dropout = args.dropout },
  metrics = { auc_mean = auc_m, auc_std = auc_s, balanced_accuracy_mean = acc_m, balanced_accuracy_std = acc_s },
  roc = { curves = curves } }
print("report: " .. path)
