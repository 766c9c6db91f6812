-- Cross-data-set evaluation: train on FER2013 (or take a checkpoint) and
-- test on another data set in its owner's layout, with the classes matched
-- by name (FER2013 "angry" is CK+ "anger", FER+ "happiness" is "happy", ...);
-- classes only one side has are reported, and test images of a class the
-- model lacks are left out.
--
--   mien run examples/cross_dataset.lua --test ../shared/data/ckplus48/labels.csv
--   mien run examples/cross_dataset.lua --checkpoint runs/scratch_fer2013/best.ckpt --test jaffedbase
--   mien run examples/cross_dataset.lua --test CK+ --format ckplus          # the CK+ release layout
--   mien run examples/cross_dataset.lua --test fer2013.csv --votes fer2013new.csv --format ferplus
--   mien run examples/cross_dataset.lua --test validation.csv --images Manually_Annotated_Images --format affectnet
--
-- Without --checkpoint it trains the seed CNN (fer_cnn.lua, --width) on a
-- stratified --subset of FER2013's training images for a few epochs: a
-- quick model, not a good one (see scratch_fer2013.lua for that).
local mien = require "mien"
local recipe = require "mien.train.recipe"
local classes = require "mien.data.classes"
local argparse = require "argparse"

local p = argparse("cross_dataset", "Train on FER2013 (or load a checkpoint), test on another data set.")
p:option("--train", "FER2013 folder with train/ and publictest/.", "../shared/data/fer2013")
p:option("--checkpoint", "A checkpoint to test instead of training one.")
p:option("--test", "The test data set: a folder or file in the layout --format names."):count(1)
p:option("--format", "auto, folder, manifest, jaffe, ckplus, ferplus, rafdb or affectnet.", "auto")
p:option("--votes", "ferplus: fer2013new.csv.")
p:option("--images", "affectnet: the images folder.")
p:option("--split", "Which part of a data set that comes in parts (ferplus: PublicTest; rafdb: test).")
p:option("--subset", "FER2013 training images to train on (0 = all).", "3000", tonumber)
p:option("--val-subset", "PublicTest images to validate on each epoch (0 = all).", "1000", tonumber)
p:option("--epochs", "Training epochs.", "3", tonumber)
p:option("--width", "Width of the CNN (1 = the seed report's).", "0.125", tonumber)
p:option("--batch", "Batch size.", "64", tonumber)
p:option("--lr", "Peak learning rate (one cycle).", "3e-3", tonumber)
p:option("--dir", "Output folder of the training run.", "runs/cross_dataset")
p:option("--seed", "Random seed.", "1", tonumber)
local a = p:parse(arg)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local t0 = mien.core.now()

-- 1. the model: a checkpoint, or a short training run on FER2013
local ckpt = a.checkpoint
if not ckpt then
  mien.manual_seed(a.seed)
  local train_ds = mien.data.image_folder(a.train .. "/train", { size = 48, cache = true })
  local val_ds = mien.data.image_folder(a.train .. "/publictest", { size = 48, cache = true })
  local function take(ds, n)
    if n <= 0 or n >= #ds then return ds end
    local _, keep = mien.data.stratified_split(ds, { val = n / #ds, seed = a.seed })
    return ds:subset(keep)
  end
  train_ds, val_ds = take(train_ds, a.subset), take(val_ds, a.val_subset)
  print("FER2013 train: " .. tostring(train_ds))
  local model_opts = { classes = #train_ds.classes, width = a.width }
  local model = dofile(here .. "/fer_cnn.lua")(model_opts)
  local optimizer = mien.optim.AdamW(model:parameters(), { lr = a.lr, weight_decay = 1e-4 })
  local loader = mien.data.loader(train_ds, { batch = a.batch, seed = a.seed,
    augment = { flip = 0.5, rotation = 10, shift = 0.05, zoom = { 0.95, 1.05 } } })
  mien.train.fit { model = model, optimizer = optimizer, epochs = a.epochs, dir = a.dir, train = loader,
    schedule = mien.optim.OneCycle(optimizer, { max_lr = a.lr, epochs = a.epochs, steps_per_epoch = #loader }),
    val = mien.data.loader(val_ds, { batch = 256, shuffle = false }),
    recipe = { script = here .. "/fer_cnn.lua", opts = model_opts, classes = train_ds.classes,
      input = { size = 48, channels = 1 } } }
  ckpt = a.dir .. "/best.ckpt"
end
local model, r = recipe.load_model(ckpt)
if not r.classes then error(ckpt .. ": the checkpoint names no classes; cannot match them by name") end

-- 2. the test data set, read as the model's training images were
local fmt = recipe.data_format(r)
local read = { size = fmt.size or 48, channels = fmt.channels }
local format = a.format
if format == "auto" then
  local t = a.test
  if a.votes then format = "ferplus"
  elseif a.images then format = "affectnet"
  elseif t:lower():match("%.csv$") then format = "manifest"
  elseif mien.core.is_dir(t .. "/Emotion") then format = "ckplus"
  elseif mien.core.is_dir(t .. "/EmoLabel") then format = "rafdb"
  else
    format = "folder"
    for _, name in ipairs(mien.core.listdir(t)) do
      if name:lower():match("%.tiff?$") then format = "jaffe"; break end
    end
  end
end
local D = mien.data
local loaders = {
  folder = function() return D.image_folder(a.test, read) end,
  manifest = function() return D.manifest(a.test, read) end,
  jaffe = function() return D.jaffe(a.test, read) end,
  ckplus = function() return D.ckplus(a.test, read) end,
  ferplus = function() return D.ferplus(a.test, assert(a.votes, "--votes is required"), read)[a.split or "PublicTest"] end,
  rafdb = function() return D.rafdb(a.test, read)[a.split or "test"] end,
  affectnet = function()
    return D.affectnet(a.test, assert(a.images, "--images is required"), { size = read.size, channels = read.channels })
  end,
}
if not loaders[format] then error("--format: unknown format '" .. format .. "'") end
local test_ds = loaders[format]()
if not test_ds then error(string.format("%s has no part '%s'", a.test, tostring(a.split))) end
print(string.format("test (%s): %s", format, tostring(test_ds)))

-- 3. classes matched by name, then the scores
local aligned, match = classes.align(test_ds, r.classes)
print("classes: " .. (classes.describe(match) or "the same on both sides"))
local result = mien.train.evaluate(model, mien.data.loader(aligned, { batch = 256, shuffle = false,
  augment = recipe.input_spec(r) }), { keep_predictions = true })
-- rows: the classes the test set has; columns: every class the model predicts
local cm = mien.metrics.confusion_matrix(result.preds, result.targets, #r.classes)
print()
print(mien.metrics.format_confusion(cm, r.classes))
print(string.format("%s -> %s: accuracy %.2f%% on %d images (balanced over the %d shared classes %.2f%%); %.1f s",
  ckpt, a.test, 100 * result.acc, result.n, #r.classes - #match.only_model,
  100 * mien.metrics.balanced_accuracy(result.preds, result.targets), mien.core.now() - t0))
