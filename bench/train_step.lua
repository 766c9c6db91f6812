-- CPU time of one training step of the FER CNN (examples/fer_cnn.lua) with
-- Adam at batch 64 on synthetic faces, split into forward (model + loss),
-- backward and optimizer step (zero_grad + step), for width 1 and 0.125.
-- Run: lua5.4 bench/train_step.lua [reps] [warm-up seconds] [precisions]   (from the repository root, after building)
-- precisions: a comma list of float32 (the default) and bf16 (mien.autocast, mixed precision).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"

local reps = tonumber(arg[1]) or 10
local warmup_s = tonumber(arg[2]) or 3
local precisions = {}
for p in (arg[3] or "float32"):gmatch("[^,]+") do precisions[#precisions + 1] = p end
local batch = 64
local fer_cnn = dofile("examples/fer_cnn.lua")

-- Best-of-reps per phase and for the whole step, over consecutive batches.
-- Warm-up steps run first for warmup_s seconds (and at least three): until
-- the collector's first full collections, dead activations pile up and every
-- step maps fresh memory, which a long training run no longer does.
local function time_steps(width, precision)
  mien.manual_seed(1)
  local faces = mien.data.synthetic_faces { n = batch * 4, size = 48, seed = 1 }
  local loader = mien.data.loader(faces, { batch = batch, augment = { flip = 0.5 }, seed = 1 })
  local model = fer_cnn { classes = #faces.classes, width = width, dropout = 0.25 }
  local optimizer = mien.optim.Adam(model:parameters(), { lr = 1e-3 })
  model:train()
  local batches = {}
  for x, y in loader(1) do batches[#batches + 1] = { x, y } end
  local best = { forward = math.huge, backward = math.huge, step = math.huge, total = math.huge }
  local warm_until, i, timed = core.now() + warmup_s, 0, 0
  while timed < reps do
    i = i + 1
    local x, y = table.unpack(batches[(i - 1) % #batches + 1])
    local t0 = core.now()
    local loss = mien.F.cross_entropy(mien.autocast(precision, model, x), y)
    loss:item() -- forward ends with the loss on the host
    local t1 = core.now()
    loss:backward()
    local t2 = core.now()
    optimizer:step()
    optimizer:zero_grad()
    local t3 = core.now()
    if i > 3 and t0 > warm_until then
      timed = timed + 1
      best.forward = math.min(best.forward, t1 - t0)
      best.backward = math.min(best.backward, t2 - t1)
      best.step = math.min(best.step, t3 - t2)
      best.total = math.min(best.total, t3 - t0)
    end
  end
  return best
end

print(string.format("mien %s, BLAS %s, %d threads, batch %d, best of %d after %gs warm-up", mien._VERSION,
  mien.info().blas, mien.info().threads, batch, reps, warmup_s))
local f = io.open("/proc/loadavg")
if f then
  print("load average: " .. f:read("l"):match("^(%S+ %S+ %S+)"))
  f:close()
end
if precisions[2] or precisions[1] ~= "float32" then print("bf16 path: " .. mien.info().bf16) end
for _, width in ipairs { 1, 0.125 } do
  for _, precision in ipairs(precisions) do
    local b = time_steps(width, precision)
    print(string.format("width %-5g fwd %7.1f ms  bwd %7.1f ms  step %6.1f ms  total %7.1f ms  %7.1f images/s%s", width,
      1e3 * b.forward, 1e3 * b.backward, 1e3 * b.step, 1e3 * b.total, batch / b.total,
      precision == "float32" and "" or ("  " .. precision)))
  end
end
