-- Training and inference throughput of the FER CNN (examples/fer_cnn.lua),
-- the counterpart of ../shared/bench/torch_anchor.py: random uint8 48x48
-- grey images (throughput only), Adam lr 5e-4, random horizontal flips,
-- batch 64; one warm-up epoch, then the median of --epochs timed epochs
-- (forward, backward, Adam step and augmentation included), and inference
-- images/s on batches of 1024. Prints one JSON line like torch_anchor.py.
--
--   lua5.4 bench/train_fercnn.lua                  # 28,709 images, 2 epochs (minutes on a CPU)
--   lua5.4 bench/train_fercnn.lua --n 1280 --epochs 1 --infer-reps 2   # a quick CPU figure
--   lua5.4 bench/train_fercnn.lua --steps 20 --threads 2 --precision bf16   # bench/cpu_vs_torch.sh's mien side
--   lua5.4 bench/train_fercnn.lua --device cuda    # on a GPU: resident data set, augmentation on the GPU
-- --steps N measures like bench/torch_fercnn.py instead: four fixed batches,
-- the median (and best) of N training steps after --warmup, and inference on
-- one --infer-batch batch (with --fuse: also after model:fuse(), where it exists).
-- Run from the repository root after building (--device cuda uses
-- MIEN_BUILD's build, default build/, e.g. MIEN_BUILD=build-gpu).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MIEN_BUILD") or "build") .. "/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"
local json = require "mien.util.json"

local p = argparse("train_fercnn", "FER CNN training and inference images/s")
p:option("--n", "training images per epoch", "28709", tonumber)
p:option("--epochs", "timed epochs (after one warm-up epoch)", "2", tonumber)
p:option("--batch", "batch size", "64", tonumber)
p:option("--width", "channel width multiplier", "1", tonumber)
p:option("--infer-reps", "timed inference passes over a batch of 1024", "20", tonumber)
-- the step-timing mode of bench/cpu_vs_torch.sh
p:option("--steps", "time this many single training steps instead of epochs (0: epochs)", "0", tonumber)
p:option("--warmup", "untimed steps first (with --steps)", "3", tonumber)
p:option("--threads", "CPU threads (default: OpenMP's)", nil, tonumber)
p:option("--precision", "fp32, or bf16 (mien.autocast, where this build has it)", "fp32")
p:option("--infer-batch", "inference batch size", "1024", tonumber)
p:flag("--fuse", "with --steps: inference also after model:fuse(), where this build has it")
p:option("--device", "cpu or cuda (the data set resident there, augmented there)", "cpu"):choices { "cpu", "cuda" }
local a = p:parse(arg)
if a.threads then core.set_num_threads(a.threads) end
if a.precision ~= "fp32" and a.precision ~= "bf16" then error("--precision must be fp32 or bf16, got " .. a.precision) end
if a.precision == "bf16" and not mien.autocast then error("--precision bf16: this build has no mien.autocast") end

-- fn() under the chosen precision.
local function in_precision(fn)
  if a.precision == "bf16" then return mien.autocast("bf16", fn) end
  return fn()
end

if a.steps > 0 then
  dofile("bench/train_fercnn_steps.lua")(a, in_precision)
  return
end

mien.manual_seed(0)
local images = (mien.rand({ a.n, 48, 48, 1 }) * 256):floor():clamp(0, 255):byte():contiguous()
local labels = (mien.rand({ a.n }) * 7):floor():long() + 1
local ds = { images = images, labels = labels }
setmetatable(ds, { __len = function() return a.n end })

local fer_cnn = dofile("examples/fer_cnn.lua")
local model = fer_cnn { classes = 7, width = a.width, dropout = 0.25 }:to(a.device)
local optimizer = mien.optim.Adam(model:parameters(), { lr = 5e-4 })
local loader = mien.data.loader(ds, { batch = a.batch, augment = { flip = 0.5 }, drop_last = true, seed = 0,
  device = a.device ~= "cpu" and a.device or nil })
-- the time of queued device work is counted where it ends
local function sync() if a.device ~= "cpu" then mien.cuda.synchronize() end end

local function epoch(e)
  model:train()
  local n, t0 = 0, core.now()
  for x, y in loader(e) do
    local loss = mien.F.cross_entropy(in_precision(function() return model(x) end), y)
    optimizer:zero_grad()
    loss:backward()
    optimizer:step()
    n = n + x:size(1)
  end
  sync()
  return n, core.now() - t0
end

local _, warm = epoch(1)
local times, n = {}, 0
for e = 1, a.epochs do
  local k, t = epoch(e + 1)
  n, times[e] = k, t
end
table.sort(times)
local t = times[#times // 2 + 1]

model:eval()
local x = mien.rand({ math.min(a.infer_batch, a.n), 1, 48, 48 }):to(a.device)
local ti = mien.no_grad(function()
  in_precision(function() model(x):close() end)
  sync()
  local t0 = core.now()
  for _ = 1, a.infer_reps do in_precision(function() model(x):close() end) end
  sync()
  return (core.now() - t0) / a.infer_reps
end)

print(json.encode {
  name = string.format("mien fercnn %s %s bs%d width %g", a.precision, a.device, a.batch, a.width),
  train_img_s = math.floor(n / t + 0.5), epoch_s = math.floor(t * 1000 + 0.5) / 1000,
  first_epoch_s = math.floor(warm * 100 + 0.5) / 100, infer_img_s = math.floor(x:size(1) / ti + 0.5),
  threads = core.num_threads(), images = a.n,
})
