-- Something to look at with `mien board`: a few short runs of the FER CNN on
-- synthetic faces (different learning rates, dropouts and optimizers) and a
-- small random and a small Bayesian sweep, all under one folder.
--   mien run examples/board_demo.lua --dir runs/demo && mien board runs/demo --out board.html
local mien = require "mien"
local argparse = require "argparse"

local p = argparse("board_demo", "Train a few small runs and two small sweeps for `mien board`.")
p:option("--dir", "Output folder.", "runs/demo")
p:option("--runs", "Plain runs.", "4", tonumber)
p:option("--trials", "Trials per sweep (0: no sweeps).", "4", tonumber)
p:option("--epochs", "Epochs per run.", "3", tonumber)
p:option("--faces", "Synthetic faces (a fifth for validation).", "420", tonumber)
p:option("--width", "CNN width multiplier.", "0.0625", tonumber)
local a = p:parse(arg)

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local fer_cnn = dofile(here .. "/fer_cnn.lua")
local faces = mien.data.synthetic_faces { n = a.faces, size = 48, seed = 11 }
local tr, va = mien.data.stratified_split(faces, { val = 0.2, seed = 11 })
local train_ds, val_ds = faces:subset(tr), faces:subset(va)

-- One run of the CNN in dir with the hyper-parameters cfg; returns its history.
local function train(dir, cfg)
  mien.manual_seed(cfg.seed or 1)
  local model_opts = { classes = #train_ds.classes, width = a.width, dropout = cfg.dropout }
  local model = fer_cnn(model_opts)
  local make = cfg.optimizer == "sgd" and mien.optim.SGD or mien.optim.Adam
  local optimizer = make(model:parameters(), cfg.optimizer == "sgd" and { lr = cfg.lr, momentum = 0.9 } or { lr = cfg.lr })
  local loader = mien.data.loader(train_ds, { batch = cfg.batch, augment = { flip = 0.5 }, seed = cfg.seed or 1 })
  return mien.train.fit {
    model = model, optimizer = optimizer, epochs = a.epochs, dir = dir, quiet = true, train = loader,
    val = mien.data.loader(val_ds, { batch = 128, shuffle = false }),
    schedule = mien.optim.CosineAnnealingLR(optimizer, { T_max = a.epochs }),
    config = { lr = cfg.lr, dropout = cfg.dropout, batch = cfg.batch, optimizer = cfg.optimizer or "adam",
      data = "synthetic faces" },
    recipe = { script = here .. "/fer_cnn.lua", opts = model_opts, classes = train_ds.classes,
      input = { size = 48, channels = 1 } },
  }
end

local plain = {
  { lr = 3e-3, dropout = 0.1, batch = 32 }, { lr = 1e-3, dropout = 0.1, batch = 32 },
  { lr = 1e-2, dropout = 0.3, batch = 64, optimizer = "sgd" }, { lr = 3e-4, dropout = 0.2, batch = 32 },
  { lr = 6e-3, dropout = 0.25, batch = 64 }, { lr = 2e-3, dropout = 0.05, batch = 16 },
}
for i = 1, a.runs do
  local cfg = plain[(i - 1) % #plain + 1]
  local name = string.format("%s/runs/%s-lr%g-d%g", a.dir, cfg.optimizer or "adam", cfg.lr, cfg.dropout)
  local h = train(i <= #plain and name or name .. "-" .. i, cfg)
  print(string.format("%-40s val_acc %.3f", name, h[#h].val_acc))
end

if a.trials > 0 then
  for _, method in ipairs { "random", "bayes" } do
    mien.sweep {
      space = { lr = mien.sweep.log_uniform(3e-4, 1e-2), dropout = mien.sweep.uniform(0.05, 0.4), batch = { 32, 64 } },
      method = method, trials = a.trials, init = math.min(2, a.trials), objective = "val_acc", mode = "max",
      dir = a.dir .. "/sweep-" .. method, seed = 1, quiet = true, title = method .. " search",
      run = function(cfg, ctx)
        local h = train(string.format("%s/runs/%s-s%d", ctx.dir, ctx.trial, cfg.seed), cfg)
        return { val_acc = h[#h].val_acc, val_loss = h[#h].val_loss }
      end,
    }
    print("sweep " .. method .. ": " .. a.dir .. "/sweep-" .. method)
  end
end
