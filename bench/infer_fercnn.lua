-- Inference throughput of the FER CNN (examples/fer_cnn.lua) in eval mode, unfused or fused (model:fuse()),
-- on random 48x48 grey images: one warm-up pass, then the median of --reps passes over one batch, printed as
-- one JSON line. The convolution path follows MIEN_CONV_ALGO (direct, winograd, or unset: chosen per shape);
-- bench/infer_vs_torch.sh runs the modes interleaved with PyTorch.
--   lua5.4 bench/infer_fercnn.lua --width 1 --batch 1024 --fuse
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"
local json = require "mien.util.json"

local p = argparse("infer_fercnn", "FER CNN inference images/s")
p:option("--width", "channel width multiplier", "1", tonumber)
p:option("--batch", "images per pass", "1024", tonumber)
p:option("--reps", "timed passes", "3", tonumber)
p:flag("--fuse", "run model:fuse()")
local a = p:parse(arg)

mien.manual_seed(0)
local model = dofile("examples/fer_cnn.lua") { classes = 7, width = a.width }
model:eval()
local net = a.fuse and model:fuse() or model
local x = mien.rand({ a.batch, 1, 48, 48 })
-- wall time, and the process's CPU time (all threads): on a shared machine the latter says more about the
-- work done (images per CPU second), the former is what a user waits
local walls, cpus = {}, {}
mien.no_grad(function() return net(x) end) -- warm-up
for r = 1, a.reps do
  local t0, c0 = core.now(), os.clock()
  mien.no_grad(function() return net(x) end)
  walls[r], cpus[r] = core.now() - t0, os.clock() - c0
end
local function median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end
local function rate(t) return math.floor(a.batch / median(t) * 10 + 0.5) / 10 end
print(json.encode({ side = "mien", width = a.width, batch = a.batch, fuse = a.fuse, conv_algo =
  os.getenv("MIEN_CONV_ALGO") or "auto", threads = mien.info().threads, infer_img_s = rate(walls),
  infer_img_per_cpu_s = rate(cpus), load = core.loadavg and core.loadavg() or nil }))
