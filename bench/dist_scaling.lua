-- Data-parallel scaling of FER CNN training (examples/fer_cnn.lua) over
-- mien.dist: images/s of the whole job and the share of each step spent in
-- the gradient all-reduce, at each process count. Random uint8 48x48 images
-- (throughput only), Adam, batch --batch per process (weak scaling, as DDP
-- is used), one warm-up epoch then --epochs timed ones; one OpenMP thread
-- per process unless --threads.
--
--   lua5.4 bench/dist_scaling.lua --launch 1,2          # runs mpirun -np 1 and -np 2, one JSON line each
--   mpirun -np 2 lua5.4 bench/dist_scaling.lua          # one process count (rank 0 prints)
-- Run from the repository root after building (libmien_mpi.so is needed above one process).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"
local json = require "mien.util.json"

local p = argparse("dist_scaling", "FER CNN data-parallel training images/s at several process counts")
p:option("--n", "training images per epoch (all processes together)", "1024", tonumber)
p:option("--epochs", "timed epochs (after one warm-up epoch)", "2", tonumber)
p:option("--batch", "batch size per process", "32", tonumber)
p:option("--width", "channel width multiplier of the CNN", "0.25", tonumber)
p:option("--threads", "OpenMP threads per process", "1", tonumber)
p:option("--bucket-mb", "gradient all-reduce bucket size (MB)", "25", tonumber)
p:option("--launch", "process counts to run through mpirun, e.g. 1,2")
local a = p:parse(arg)

if a.launch then
  for count in a.launch:gmatch("%d+") do
    local args = {}
    for _, s in ipairs(arg) do
      if s ~= "--launch" and s ~= a.launch then args[#args + 1] = s end
    end
    local command = string.format("mpirun --allow-run-as-root --oversubscribe -np %s -x OMP_NUM_THREADS=%d lua5.4 %s %s",
      count, a.threads, arg[0], table.concat(args, " "))
    if not os.execute(command) then error("failed: " .. command) end
  end
  return
end

local rank, world = mien.dist.init()
mien.set_num_threads(a.threads)
mien.manual_seed(0)
local images = (mien.rand({ a.n, 48, 48, 1 }) * 256):floor():clamp(0, 255):byte():contiguous()
local labels = (mien.rand({ a.n }) * 7):floor():long() + 1
local ds = setmetatable({ images = images, labels = labels }, { __len = function() return a.n end })

local model = dofile("examples/fer_cnn.lua") { classes = 7, width = a.width, dropout = 0.25 }
local optimizer = mien.optim.Adam(model:parameters(), { lr = 5e-4 })
local loader = mien.data.loader(ds, { batch = a.batch, augment = { flip = 0.5 }, drop_last = true, seed = 0 })
local dp = require("mien.train.dist").new { model = model, train = loader, dist = { bucket_mb = a.bucket_mb } }
dp:broadcast_model()

local function epoch(e)
  model:train()
  local n, t0 = 0, core.now()
  dp.reduce_seconds = 0
  for x, y in loader(e) do
    local loss = mien.F.cross_entropy(model(x), y)
    optimizer:zero_grad()
    loss:backward()
    dp:reduce_gradients()
    optimizer:step()
    n = n + x:size(1)
  end
  local images_all = dp:sum(n)
  mien.dist.barrier()
  return images_all, core.now() - t0, dp.reduce_seconds
end

epoch(1)
local best
for e = 1, a.epochs do
  local n, t, r = epoch(e + 1)
  if not best or t < best.t then best = { n = n, t = t, r = r } end
end
-- the slowest rank decides: the longest all-reduce time over the ranks
local reduce = mien.dist.all_reduce_numbers({ best.r }, "max")[1]
local params = 0
for _, q in ipairs(model:parameters()) do params = params + q:numel() end
if rank == 0 then
  print(json.encode {
    name = string.format("mien fercnn data-parallel cpu width %g", a.width), processes = world,
    backend = mien.dist.backend(), batch_per_process = a.batch, threads_per_process = a.threads,
    train_img_s = math.floor(best.n / best.t + 0.5), epoch_s = math.floor(best.t * 1000 + 0.5) / 1000,
    allreduce_share = math.floor(reduce / best.t * 1000 + 0.5) / 1000, buckets = #dp.buckets,
    gradient_mb = math.floor(params * 4 / 2 ^ 20 * 100 + 0.5) / 100, images = best.n,
  })
end
