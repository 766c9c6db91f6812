-- Random against Bayesian search over lr, dropout and batch size on a short
-- budget, with the best-so-far comparison plot.
--   mien sweep examples/sweep_fer2013.lua [--data ../shared/data/fer2013] [--trials 12]
-- Without --data it sweeps on synthetic faces (quick on a CPU).
local mien = require "mien"
local argparse = require "argparse"

local p = argparse("sweep_fer2013", "Compare random and Bayesian hyper-parameter search.")
p:option("--data", "FER2013 folder with train/ and publictest/ (default: synthetic faces).")
p:option("--trials", "Trials per method.", "12", tonumber)
p:option("--epochs", "Epochs per trial.", "2", tonumber)
p:option("--subset", "Training images per trial (0 = all).", "3000", tonumber)
p:option("--width", "CNN width multiplier.", "0.125", tonumber)
p:option("--dir", "Output folder.", "runs/sweep_fer2013")
local a = p:parse(arg)

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local fer_cnn = dofile(here .. "/fer_cnn.lua")
local train_ds, val_ds
if a.data then
  train_ds = mien.data.image_folder(a.data .. "/train", { size = 48, cache = true })
  val_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48, cache = true })
else
  local faces = mien.data.synthetic_faces { n = 5000, seed = 7 }
  local tr, va = mien.data.stratified_split(faces, { val = 0.2, seed = 7 })
  train_ds, val_ds = faces:subset(tr), faces:subset(va)
end
if a.subset > 0 and a.subset < #train_ds then
  local tr = mien.data.stratified_split(train_ds, { val = 1 - a.subset / #train_ds, seed = 1 })
  train_ds = train_ds:subset(tr)
end

local function run(cfg)
  mien.manual_seed(cfg.seed)
  local model = fer_cnn { classes = #train_ds.classes, width = a.width, dropout = cfg.dropout }
  local history = mien.train.fit {
    model = model, epochs = a.epochs, quiet = true,
    optimizer = mien.optim.Adam(model:parameters(), { lr = cfg.lr }),
    train = mien.data.loader(train_ds, { batch = cfg.batch, augment = { flip = 0.5 }, seed = cfg.seed }),
    val = mien.data.loader(val_ds, { batch = 512, shuffle = false }),
  }
  return { val_acc = history[#history].val_acc, val_loss = history[#history].val_loss }
end

local space = {
  lr = mien.sweep.log_uniform(1e-4, 1e-2),
  dropout = mien.sweep.uniform(0.1, 0.5),
  batch = { 32, 64, 128 },
}
local curves = {}
for _, method in ipairs { "random", "bayes" } do
  local result = mien.sweep { space = space, method = method, trials = a.trials, objective = "val_acc",
    mode = "max", run = run, dir = a.dir .. "/" .. method, seed = 1 }
  local best, x, y = -math.huge, {}, {}
  for i = 1, a.trials do
    local t = result.trials[i]
    if t and t.objective then best = math.max(best, t.objective) end
    x[#x + 1], y[#y + 1] = i, best
  end
  curves[#curves + 1] = { name = method, x = x, y = y }
end
local path = a.dir .. "/random_vs_bayes.svg"
mien.plot.save(mien.plot.lines { title = "Best validation accuracy so far", xlabel = "trial",
  ylabel = "val_acc", series = curves }, path)
print("comparison plot: " .. path)
