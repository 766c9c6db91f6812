-- CK+ expressions in two stages, as in the seed blog: first facial action
-- units from the 68 landmarks (mien.au: geometric measures in inter-ocular
-- units -> AU intensities; no AU training data), then a small classifier on
-- the AUs, under a subject-wise 10-fold cross-validation (no subject in both
-- parts). Also prints the zero-shot EMFACS answer (mien.au.to_emotion, no
-- training at all) and what the classifier gets from the raw measures.
--
--   mien run examples/ckplus_aus.lua                    # AUs -> MLP, 10 folds
--   mien run examples/ckplus_aus.lua --input measures   # the 11 measures instead of the 14 AUs
--   mien run examples/ckplus_aus.lua --upscale 224      # landmarks on 224x224 upscales (default 112)
--
-- CK+ here is 48x48 grey: the landmark net (face-api's, 112x112 input) sees
-- each whole image upscaled (--upscale; the face fills the crop, as the
-- detector's box would); --detect instead pads the upscale into a larger
-- canvas and lets the face detector find the box first.
-- The data: ../shared/data/ckplus48 (981 PNGs of 118 subjects, labels.csv).
--
-- Measured (7 classes, 10 subject-wise folds, defaults, CPU): AUs -> MLP 74.11% +- 5.65%
-- (pooled 74.11%, balanced 63.20%); --input measures 77.27% +- 3.72%; --input both 76.76% +- 5.51%;
-- --upscale 224 75.12% +- 5.75%; --detect 72.33% +- 6.09% (the detector finds 893 of the 981 padded
-- upscales); zero-shot EMFACS 49.85% (59.43% with --detect). For comparison, ckplus_transfer.lua
-- (frozen faceapi_expression CNN features) gives 95.48% +- 3.10%.
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local metrics = require "mien.metrics"
local features = require "mien.features"
local image = require "mien.image"
local face = require "mien.face"
local au = require "mien.au"
local argparse = require "argparse"

local parser = argparse("ckplus_aus", "CK+ from landmark action units, subject-wise k-fold CV")
parser:option("--data", "CK+ labels.csv", "../shared/data/ckplus48/labels.csv")
parser:option("--weights", "weights folder (face-api/); default $MIEN_WEIGHTS or ../shared/weights")
parser:option("--input", "classifier input: aus, measures or both", "aus")
parser:option("--upscale", "side of the upscaled image the landmark net sees", "112"):convert(tonumber)
parser:flag("--detect", "pad the upscale and detect the face box (else the whole image is the box)")
parser:option("--folds", "number of subject-wise folds", "10"):convert(tonumber)
parser:option("--epochs", "training epochs per fold", "150"):convert(tonumber)
parser:option("--lr", "Adam learning rate", "3e-3"):convert(tonumber)
parser:option("--hidden", "hidden units (0: logistic regression)", "64"):convert(tonumber)
parser:option("--seed", "seed of the folds and the classifier", "1"):convert(tonumber)
local args = parser:parse(arg)
if args.input ~= "aus" and args.input ~= "measures" and args.input ~= "both" then
  error("--input must be aus, measures or both")
end

local t_start = mien.core.now()
local ds = mien.data.manifest(args.data, { channels = 3 })
local classes = ds.classes
print(tostring(ds))

-- 1. landmarks -> AUs (and measures) per image
local S = args.upscale
local rows, found = {}, 0
local emfacs_hits = 0
-- CK+ class names -> the EMFACS emotions of mien.au
local EMOTION_OF = { anger = "anger", contempt = "contempt", disgust = "disgust", fear = "fear", happy = "happiness",
  sadness = "sadness", surprise = "surprise" }
for i = 1, #ds do
  local img = image.resize(ds.images[i], S, S, "bilinear")
  local box = { x = 0, y = 0, w = S, h = S, score = 1 }
  if args.detect then
    local pad = S // 2
    local canvas = mien.full({ S + 2 * pad, S + 2 * pad, 3 }, 128, { dtype = "uint8" })
    canvas:narrow(1, pad + 1, S):narrow(2, pad + 1, S):copy_(img)
    img = canvas
    box = face.detect(img, { dir = args.weights })[1] or { x = pad, y = pad, w = S, h = S, score = 0 }
    if box.score > 0 then found = found + 1 end
  end
  local f = face.landmarks(img, { box }, { dir = args.weights })[1]
  local aus, m = au.from_landmarks(f.landmarks)
  local row = {}
  if args.input ~= "measures" then for _, v in ipairs(au.vector(aus)) do row[#row + 1] = v end end
  if args.input ~= "aus" then for _, name in ipairs(au.MEASURES) do row[#row + 1] = m[name] end end
  rows[i] = row
  if au.to_emotion(aus)[1].emotion == EMOTION_OF[classes[ds.labels[i]]] then emfacs_hits = emfacs_hits + 1 end
end
if args.detect then print(string.format("detector found %d of %d faces (the rest: the whole image)", found, #ds)) end
local t_landmarks = mien.core.now()
print(string.format("landmarks and AUs of %d images: %.1f s; classifier input: %s (%d values)", #ds,
  t_landmarks - t_start, args.input, #rows[1]))
print(string.format("zero-shot EMFACS prototypes (no training): %.2f%% of %d images", 100 * emfacs_hits / #ds, #ds))

-- 2. a small classifier per fold
local X = mien.tensor(rows)
local labels = mien.tensor(ds:labels_table(), { dtype = "int64" })
local function make_model(d, c)
  if args.hidden == 0 then return nn.Sequential(nn.Linear(d, c)) end
  return nn.Sequential(nn.Linear(d, args.hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(args.hidden, c))
end
local accs, all_pred, all_true = {}, {}, {}
for fold, tr, va in mien.data.group_kfold(ds, args.folds, { seed = args.seed }) do
  mien.manual_seed(args.seed * 100 + fold)
  local xtr = X:index_select(1, mien.tensor(tr, { dtype = "int64" }))
  local mean, std = xtr:mean(1, true), xtr:std(1, { keepdim = true }) + 1e-6
  local z = (X - mean) / std
  local model = make_model(X:size(2), #classes)
  local opt = optim.AdamW(model:parameters(), { lr = args.lr, weight_decay = 1e-3 })
  mien.train.fit { model = model, optimizer = opt, epochs = args.epochs, quiet = true,
    train = features.loader(z, labels, { batch = 64, indices = tr, seed = args.seed + fold }) }
  local val = mien.train.evaluate(model, features.loader(z, labels, { batch = 512, indices = va, shuffle = false }),
    { keep_predictions = true })
  accs[fold] = val.acc
  for i = 1, #val.preds do
    all_pred[#all_pred + 1] = val.preds[i]
    all_true[#all_true + 1] = val.targets[i]
  end
  print(string.format("fold %2d: %3d train / %3d val images, val acc %.2f%%", fold, #tr, #va, 100 * val.acc))
end

local mean, std = metrics.mean_std(accs)
print()
print(metrics.format_confusion(metrics.confusion_matrix(all_pred, all_true, #classes), classes))
print(string.format("pooled accuracy %.2f%%, balanced %.2f%%", 100 * metrics.accuracy(all_pred, all_true),
  100 * metrics.balanced_accuracy(all_pred, all_true)))
print(string.format("landmark %s -> %s, %d-fold subject-wise CV: %.2f%% +- %.2f%% (mean +- std over folds)",
  args.input, args.hidden == 0 and "logistic regression" or ("MLP " .. args.hidden), #accs, 100 * mean, 100 * std))
print("for comparison: ckplus_transfer.lua (frozen faceapi_expression CNN features) 95.48% +- 3.10%")
print(string.format("time: %.1f s", mien.core.now() - t_start))
