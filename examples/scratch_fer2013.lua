-- The seed report's CNN trained from scratch on FER2013: Adam 5e-4,
-- ReduceLROnPlateau (factor 0.1, patience 2), horizontal flips, batch 64.
--   mien train examples/scratch_fer2013.lua --data ../shared/data/fer2013 [--epochs 30]
local mien = require "mien"
local argparse = require "argparse"

local p = argparse("scratch_fer2013", "Train the FER2013 CNN from scratch.")
p:option("--data", "FER2013 folder with train/ and publictest/.", "../shared/data/fer2013")
p:option("--epochs", "Epochs.", "30", tonumber)
p:option("--batch", "Batch size.", "64", tonumber)
p:option("--lr", "Initial learning rate.", "5e-4", tonumber)
p:option("--dir", "Output folder.", "runs/scratch_fer2013")
p:option("--seed", "Random seed.", "1", tonumber)
p:option("--precision", "float32, or bf16 (mixed precision: mien.autocast).", "float32")
p:option("--width", "Channel width multiplier of the CNN.", "1", tonumber)
p:option("--subset", "Train on this many images (a stratified share; 0: all).", "0", tonumber)
local a = p:parse(arg)

mien.manual_seed(a.seed)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local train_ds = mien.data.image_folder(a.data .. "/train", { size = 48, cache = true })
local test_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48, cache = true })
print(train_ds)

if a.subset > 0 and a.subset < #train_ds then
  train_ds = train_ds:subset((mien.data.stratified_split(train_ds, { val = 1 - a.subset / #train_ds, seed = a.seed })))
end
local model_opts = { classes = #train_ds.classes, width = a.width }
local model = dofile(here .. "/fer_cnn.lua")(model_opts)
local optimizer = mien.optim.Adam(model:parameters(), { lr = a.lr })
local schedule = mien.optim.ReduceLROnPlateau(optimizer, { mode = "max", factor = 0.1, patience = 2 })
local history = mien.train.fit {
  model = model, optimizer = optimizer, schedule = schedule, epochs = a.epochs, dir = a.dir, precision = a.precision,
  train = mien.data.loader(train_ds, { batch = a.batch, augment = { flip = 0.5 }, seed = a.seed }),
  val = mien.data.loader(test_ds, { batch = 512, shuffle = false }),
  early_stopping = { monitor = "val_acc", patience = 6 },
  -- how `mien eval` / `mien predict` rebuild the model from the checkpoint
  recipe = { script = here .. "/fer_cnn.lua", opts = model_opts, classes = train_ds.classes,
    input = { size = 48, channels = 1 } },
}

local r = mien.train.evaluate(model, mien.data.loader(test_ds, { batch = 512, shuffle = false }), { keep_predictions = true })
local cm = mien.metrics.confusion_matrix(r.preds, r.targets, #test_ds.classes)
print(string.format("publictest accuracy %.2f%%", 100 * r.acc))
print(mien.metrics.classification_report(cm, test_ds.classes))
print(mien.metrics.format_confusion(cm, test_ds.classes, { normalize = true }))
mien.report.run { dir = a.dir, title = "FER2013 CNN from scratch", history = history,
  config = { epochs = a.epochs, batch = a.batch, lr = a.lr, seed = a.seed, precision = a.precision, width = a.width },
  metrics = { publictest_acc = r.acc }, confusion = { matrix = cm, classes = test_ds.classes } }
