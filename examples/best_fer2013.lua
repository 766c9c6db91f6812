-- The best FER2013 model a 2-core CPU trains in an hour (README "The best
-- FER2013 recipe on a CPU budget"): a small residual network with
-- squeeze-excitation (examples/fer_resnet.lua) trained within a TIME BUDGET.
-- Random crops (zoom + shift), flips, small rotations and random erasing in
-- the loader; mixup/cutmix with label smoothing; SGD with Nesterov momentum
-- on a one-cycle schedule that follows the wall clock (mien.optim.TimeBudgetLR);
-- an exponential moving average of the weights (mien.optim.EMA) for
-- validation and the checkpoint; flip test-time augmentation at the end.
--   scripts/mien run examples/best_fer2013.lua --data ../shared/data/fer2013 --minutes 55
--   mien eval runs/best_fer2013/last.ckpt --data ../shared/data/fer2013/publictest
-- --minutes is the whole wall-clock budget: data loading, training, the per-epoch
-- PublicTest evaluations and the final TTA evaluation all fit inside it.
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"
local prng = require "mien.util.prng"

local t_start = core.now()
local p = argparse("best_fer2013", "Train the time-budgeted FER2013 recipe.")
p:option("--data", "FER2013 folder with train/ and publictest/.", "../shared/data/fer2013")
p:option("--minutes", "Wall-clock budget for the whole run.", "55", tonumber)
p:option("--reserve", "Seconds kept for the last epoch's evaluation, the final TTA evaluation and saving.", "180", tonumber)
p:option("--epochs", "At most this many epochs (the time budget usually stops it first).", "1000", tonumber)
p:option("--size", "Training crop side (random crops of the 48x48 faces); eval sees the whole 48x48 face.", "40",
  tonumber)
p:option("--batch", "Batch size.", "64", tonumber)
p:option("--lr", "Peak learning rate (SGD, Nesterov).", "0.1", tonumber)
p:option("--wd", "Weight decay.", "5e-4", tonumber)
p:option("--smoothing", "Label smoothing.", "0.1", tonumber)
p:option("--mixup", "Mixup alpha (0: off).", "0.2", tonumber)
p:option("--cutmix", "Cutmix alpha (0: off).", "1.0", tonumber)
p:option("--mix-prob", "Share of batches mixed.", "0.25", tonumber)
p:option("--erase", "Random-erasing probability.", "0.25", tonumber)
p:option("--rotation", "Random rotation, degrees.", "10", tonumber)
p:option("--ema", "EMA decay of the weights (0: off).", "0.998", tonumber)
p:option("--widths", "Stage widths.", "32,64,128,256")
p:option("--depths", "Blocks per stage.", "1,1,1,1")
p:option("--block", "res or sep.", "res")
p:option("--se", "Squeeze-excitation reduction (0: off).", "4", tonumber)
p:option("--dropout", "Dropout before the classifier.", "0.2", tonumber)
p:option("--stem-pool", "Max-pool after the stem (halves every later map).", "false")
p:option("--tta", "Final test-time augmentation: none, flip or tencrop.", "flip")
p:option("--subset", "Train on this many images only (short runs).", nil, tonumber)
p:option("--val-subset", "Validate on this many PublicTest images only (short runs).", nil, tonumber)
p:option("--dir", "Output folder.", "runs/best_fer2013")
p:option("--seed", "Random seed.", "1", tonumber)
local a = p:parse(arg)

local function list(s)
  local out = {}
  for v in s:gmatch("[^,]+") do out[#out + 1] = math.tointeger(tonumber(v)) end
  return out
end
local function log(fmt, ...)
  io.stdout:write(string.format("[%6.0fs] " .. fmt .. "\n", core.now() - t_start, ...))
  io.stdout:flush()
end

mien.manual_seed(a.seed)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local train_ds = mien.data.image_folder(a.data .. "/train", { size = 48, cache = true })
local test_ds = mien.data.image_folder(a.data .. "/publictest", { size = 48, cache = true })
log("train %d, publictest %d images, classes %s", #train_ds, #test_ds, table.concat(train_ds.classes, ","))
-- the first n of a seeded shuffle of 1..#ds (nil: all of them)
local function some(ds, n, stream)
  if not n or n >= #ds then return nil end
  local order = prng.range(#ds)
  prng.new(a.seed, stream):shuffle(order)
  return table.move(order, 1, n, 1, {})
end
local indices, val_indices = some(train_ds, a.subset, 7), some(test_ds, a.val_subset, 8)
if indices or val_indices then
  log("short run: %d training, %d PublicTest images", indices and #indices or #train_ds,
    val_indices and #val_indices or #test_ds)
end

local model_opts = { classes = #train_ds.classes, widths = list(a.widths), depths = list(a.depths), block = a.block,
  se = a.se, dropout = a.dropout, stem_pool = a.stem_pool == "true" }
local model = dofile(here .. "/fer_resnet.lua")(model_opts)
local n_params = 0
for _, t in ipairs(model:parameters()) do n_params = n_params + t:numel() end
log("model %s, %d parameters", a.block, n_params)

-- weight decay on convolution and linear weights only, not on BatchNorm and biases
local decay, no_decay = {}, {}
for _, t in model:named_parameters() do
  if t:dim() > 1 then decay[#decay + 1] = t else no_decay[#no_decay + 1] = t end
end
local optimizer = mien.optim.SGD({ { params = decay, weight_decay = a.wd }, { params = no_decay, weight_decay = 0 } },
  { lr = a.lr, momentum = 0.9, nesterov = true })

-- random crops: a crop of a.size/48 of the face (zoom 48/size at a.size output) shifted anywhere inside it
local zoom = 48 / a.size
local augment = { size = a.size, flip = 0.5, zoom = { zoom * 0.95, zoom * 1.05 }, shift = (1 - 1 / zoom) / 2,
  rotation = a.rotation, erase = a.erase > 0 and a.erase or nil }
local mix = (a.mixup > 0 or a.cutmix > 0) and a.mix_prob > 0
  and mien.data.mix { classes = #train_ds.classes, mixup = a.mixup, cutmix = a.cutmix, prob = a.mix_prob,
    seed = a.seed } or nil
local ema = a.ema > 0 and mien.optim.EMA(model, { decay = a.ema }) or nil
local function loss_fn(out, y) return mien.F.cross_entropy(out, y, { label_smoothing = a.smoothing }) end

local budget = a.minutes * 60 - a.reserve - (core.now() - t_start)
assert(budget > 0, "the time budget is used up before training starts")
local schedule = mien.optim.TimeBudgetLR(optimizer, { seconds = budget, shape = "onecycle", max_lr = a.lr,
  warmup = 0.15 })
log("training for %.0f s (budget %.0f min, %d s reserved for the final evaluation)", budget, a.minutes, a.reserve)

local recipe = { script = here .. "/fer_resnet.lua", opts = model_opts, classes = train_ds.classes,
  input = { size = 48, channels = 1 } }
local val = mien.data.loader(test_ds, { batch = 256, shuffle = false, indices = val_indices })
local history, result = mien.train.fit {
  model = model, optimizer = optimizer, schedule = schedule, epochs = a.epochs, dir = a.dir, resume = false,
  loss = loss_fn, mix = mix, ema = ema, time_limit = budget, errors = false,
  train = mien.data.loader(train_ds, { batch = a.batch, augment = augment, seed = a.seed, indices = indices,
    drop_last = true }),
  val = val,
  recipe = recipe,
  config = { minutes = a.minutes, size = a.size, batch = a.batch, lr = a.lr, wd = a.wd, smoothing = a.smoothing,
    mixup = a.mixup, cutmix = a.cutmix, mix_prob = a.mix_prob, erase = a.erase, ema = a.ema, widths = a.widths,
    depths = a.depths, block = a.block, se = a.se, seed = a.seed, subset = a.subset },
  callbacks = { on_epoch_end = function(row)
    log("epoch %d  train_loss %.4f  publictest_acc %.2f%%  lr %.4f  epoch %.0f s  %.1f img/s", row.epoch,
      row.train_loss, 100 * row.val_acc, row.lr, row.seconds, row.images_per_s)
  end },
}
log("training done: %d epochs, %d steps%s", #history, result.step,
  result.stopped_by_time and " (stopped by the time budget)" or "")

-- the final weights: the moving average when there is one
if ema then ema:copy_to(model) end
log("publictest accuracy (last epoch%s): %.2f%%", ema and ", EMA weights" or "", 100 * history[#history].val_acc)
local tta_opts = ({ none = false, flip = { flip = true }, tencrop = { flip = true, crop = a.size, ten_crop = true } })[a.tta]
if tta_opts then
  local r = mien.tta.evaluate(model, val, tta_opts)
  log("publictest accuracy with %s TTA: %.2f%%", a.tta, 100 * r.acc)
end
log("checkpoint for mien eval / mien predict: %s/last.ckpt (EMA weights used when present)", a.dir)
log("total wall time %.1f min", (core.now() - t_start) / 60)
