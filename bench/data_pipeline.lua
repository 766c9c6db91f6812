-- Data-pipeline throughput in images/s:
--   (a) decoding FER2013 train from its JPEG folders (../shared/data/fer2013;
--       without it, generating as many synthetic faces), and loading the
--       same data set back from a safetensors cache;
--   (b) a CPU loader epoch with augmentation (flip, rotation, shift, zoom),
--       48x48 grey, batch 64;
--   (c) the same epoch resized to 112x112 RGB with mean/std normalisation.
-- Run: lua5.4 bench/data_pipeline.lua [--epochs N]   (from the repository root, after building)
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local data = require "mien.data"

local epochs = 2
for i = 1, #arg do
  if arg[i] == "--epochs" then epochs = assert(tonumber(arg[i + 1]), "--epochs N") end
end

local info = mien.info()
local f = io.open("/proc/loadavg")
local load = f and f:read("l"):match("^(%S+)") or "?"
if f then f:close() end
print(string.format("mien %s, %d threads, OMP_WAIT_POLICY=%s, load average %s; best of %d epochs for (b) and (c)",
  info.version, info.threads, os.getenv("OMP_WAIT_POLICY") or "(default)", load, epochs))
-- On a machine shared with other busy processes, libgomp's default spin-wait
-- can make the short parallel regions of augment_batch several times slower;
-- compare with OMP_WAIT_POLICY=passive or OMP_NUM_THREADS=1.

local FER = "../shared/data/fer2013/train"
local ds
if core.is_dir(FER) then
  data.image_folder(FER) -- once to warm the page cache, so (a) measures decoding
  local t0 = core.now()
  ds = data.image_folder(FER)
  local dt = core.now() - t0
  print(string.format("(a) decode FER2013 train (%d JPEG, 48x48 grey): %.0f images/s (%.2f s)", #ds, #ds / dt, dt))
  local cache = os.tmpname()
  os.remove(cache)
  cache = cache .. ".safetensors"
  data.image_folder(FER, { cache = cache })
  t0 = core.now()
  local cached = data.image_folder(FER, { cache = cache })
  dt = core.now() - t0
  assert(cached.cache_hit, "the cache was not used")
  print(string.format("    the same from a safetensors cache: %.0f images/s (%.2f s)", #cached / dt, dt))
  os.remove(cache)
else
  local t0 = core.now()
  ds = data.synthetic_faces { n = 28709, size = 48, seed = 1 }
  local dt = core.now() - t0
  print(string.format("(a) ../shared not found; synthetic faces (%d, 48x48): %.0f images/s (%.2f s)", #ds, #ds / dt, dt))
end

-- Best epoch of `epochs` through the loader, the batches dropped as a
-- training loop would drop them.
local function epoch_rate(spec)
  local ld = data.loader(ds, { batch = 64, seed = 1, augment = spec })
  local best, shape = math.huge, nil
  for e = 1, epochs do
    collectgarbage()
    local t0, n = core.now(), 0
    for x in ld(e) do
      n = n + x:size(1)
      shape = shape or x:shape()
    end
    best = math.min(best, core.now() - t0)
    assert(n == #ds)
  end
  return #ds / best, best, shape
end

local geometry = { flip = 0.5, rotation = 10, shift = 0.1, zoom = { 0.9, 1.1 } }
local rate, t, shape = epoch_rate(geometry)
print(string.format("(b) loader + augmentation, 48x48 grey, batch 64 -> [%s]: %.0f images/s (epoch %.2f s; target >= 5000)",
  table.concat(shape, ","), rate, t))

local rgb = { flip = 0.5, rotation = 10, shift = 0.1, zoom = { 0.9, 1.1 }, size = { 112, 112 }, channels = 3,
  mean = { 0.485, 0.456, 0.406 }, std = { 0.229, 0.224, 0.225 } }
rate, t, shape = epoch_rate(rgb)
print(string.format("(c) loader + augmentation, 48 -> 112x112 RGB normalised -> [%s]: %.0f images/s (epoch %.2f s)",
  table.concat(shape, ","), rate, t))

-- (d) the (c) loader while a training step runs on each batch, simulated by
-- a fixed number of 512x512 matmuls: without prefetch each batch is made
-- between steps; with it the next batch is augmented on a background thread
-- during the step. Over 100 batches (6400 images), best of `epochs`. When
-- both halves already use every core, the best to hope for is the rate of
-- the two run back to back at their own speeds ("serial"); with default
-- spin-waiting, alternating OpenBLAS and OpenMP thread pools falls well short
-- of it without prefetch.
local A = mien.randn({ 512, 512 })
local STEP_MATMULS = 3
local function step() for _ = 1, STEP_MATMULS do A:matmul(A) end end
local subset = {}
for i = 1, math.min(6400, #ds) do subset[i] = i end
local function overlap_rate(opts)
  local ld = data.loader(ds, { batch = 64, seed = 1, augment = rgb, indices = subset, prefetch = opts.prefetch,
    threads = opts.threads })
  local best = math.huge
  for e = 1, epochs do
    collectgarbage()
    local t0 = core.now()
    for x in ld(e) do
      if opts.train ~= false then step() end
      x:close()
    end
    best = math.min(best, core.now() - t0)
  end
  return #subset / best
end
local function step_rate()
  local best = math.huge
  for _ = 1, epochs do
    local t0 = core.now()
    for _ = 1, #subset // 64 do step() end
    best = math.min(best, core.now() - t0)
  end
  return #subset / best
end
local augment_only = overlap_rate { prefetch = false, train = false }
local step_only = step_rate()
print(string.format("(d) (c) with a simulated training step (%d matmuls 512x512 per batch of 64); alone: augmentation %.0f, step %.0f images/s",
  STEP_MATMULS, augment_only, step_only))
print(string.format("    loader + step: without prefetch %.0f images/s, with prefetch %.0f images/s, prefetch on 1 worker thread %.0f images/s (serial: %.0f)",
  overlap_rate { prefetch = false }, overlap_rate { prefetch = true }, overlap_rate { prefetch = true, threads = 1 },
  1 / (1 / augment_only + 1 / step_only)))
