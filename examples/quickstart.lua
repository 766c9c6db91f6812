-- The main example: train the FER CNN, print the confusion matrix, write a report.
--   mien train examples/quickstart.lua                 synthetic faces (no data needed)
--   mien train examples/quickstart.lua --data DIR      FER2013 image folders DIR/train, DIR/publictest
--   mien train examples/quickstart.lua --data auto     ../shared/data/fer2013 when it is there
--   mpirun -np 4 mien train examples/quickstart.lua --dist    data-parallel (or srun -n 4 ...):
--                                                      --batch per process, rank 0 writes the files
local mien = require "mien"
local argparse = require "argparse"

local p = argparse("quickstart", "Train the FER2013 CNN and write its report.")
p:option("--data", "FER2013 folder with train/ and publictest/, or 'auto'.")
p:option("--epochs", "Epochs.", "6", tonumber)
p:option("--batch", "Batch size.", "64", tonumber)
p:option("--lr", "Initial learning rate (Adam).", "3e-3", tonumber)
p:option("--width", "Channel width multiplier of the CNN (1 = the seed report's).", nil, tonumber)
p:option("--faces", "Synthetic faces to generate.", "6000", tonumber)
p:option("--dropout", "Dropout after each block.", nil, tonumber)
p:option("--dir", "Output folder (checkpoints, history, report).", "runs/quickstart")
p:option("--seed", "Random seed.", "1", tonumber)
p:flag("--dist", "Data-parallel over the processes of mpirun/srun (mien.dist).")
local a = p:parse(arg)
-- --dist: start the collectives (rank and world size from mpirun/srun); rank 0 prints and writes
if a.dist then mien.dist.init() end
local main = not a.dist or mien.dist.is_main()

mien.manual_seed(a.seed)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local fer_cnn = dofile(here .. "/fer_cnn.lua")

local train_ds, val_ds, width, dropout
if a.data == "auto" then
  a.data = (here .. "/../../shared/data/fer2013")
  if not mien.core.is_dir(a.data) then error("--data auto: no FER2013 at " .. a.data) end
end
if a.data then
  train_ds = mien.data.image_folder(a.data .. "/train", { size = 48 })
  val_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48 })
  width = a.width or 1
  dropout = a.dropout or 0.25
else
  -- 2 idle cores train the eighth-width CNN on 4,800 synthetic faces in about 20 s an epoch
  -- (about 2 minutes for the 6 epochs; several times that on a busy machine)
  local faces = mien.data.synthetic_faces { n = a.faces, size = 48, seed = a.seed }
  local tr, va = mien.data.stratified_split(faces, { val = 0.2, seed = a.seed })
  train_ds, val_ds = faces:subset(tr), faces:subset(va)
  width = a.width or 0.125
  dropout = a.dropout or 0.1
end
if main then print(string.format("train: %s\nval:   %s", train_ds, val_ds)) end

local model_opts = { classes = #train_ds.classes, width = width, dropout = dropout }
local model = fer_cnn(model_opts)
local optimizer = mien.optim.Adam(model:parameters(), { lr = a.lr })
local augment = a.data and { flip = 0.5, rotation = 10, shift = 0.05, zoom = { 0.95, 1.05 } } or { flip = 0.5 }
-- --dist: this process's shard of each epoch (before the schedule counts the batches)
local sampler = a.dist and mien.dist.sampler() or nil
local train_loader = mien.data.loader(train_ds, { batch = a.batch, augment = augment, seed = a.seed, sampler = sampler })
-- one cycle: warm up to the peak LR, then anneal; converges in few epochs
local schedule = mien.optim.OneCycle(optimizer, { max_lr = a.lr, epochs = a.epochs, steps_per_epoch = #train_loader })
print(string.format("training %d epochs of %d images; each epoch's line ends with the ETA", a.epochs, #train_ds))
local history = mien.train.fit {
  model = model, optimizer = optimizer, schedule = schedule, epochs = a.epochs, dir = a.dir, dist = a.dist,
  recipe = { script = here .. "/fer_cnn.lua", opts = model_opts, classes = train_ds.classes,
    input = { size = 48, channels = 1 } },
  train = train_loader,
  val = mien.data.loader(val_ds, { batch = 256, shuffle = false }),
}
if not main then return end -- rank 0 evaluates and writes the report

local result = mien.train.evaluate(model, mien.data.loader(val_ds, { batch = 256, shuffle = false }),
  { keep_predictions = true })
local cm = mien.metrics.confusion_matrix(result.preds, result.targets, #val_ds.classes)
print(string.format("\nvalidation accuracy %.2f%%", 100 * result.acc))
print(mien.metrics.format_confusion(cm, val_ds.classes))
local path = mien.report.run {
  dir = a.dir, title = "mien quickstart: FER CNN", history = history,
  config = { data = a.data or "synthetic faces", epochs = a.epochs, batch = a.batch, lr = a.lr, width = width },
  metrics = { val_acc = result.acc, val_loss = result.loss },
  confusion = { matrix = cm, classes = val_ds.classes },
}
print("report: " .. path)
