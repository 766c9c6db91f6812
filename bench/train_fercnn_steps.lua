-- The --steps mode of bench/train_fercnn.lua (bench/cpu_vs_torch.sh's mien
-- side), measured as bench/torch_fercnn.py measures PyTorch: four fixed
-- random batches, zero_grad + forward + loss + backward + Adam step + the
-- loss on the host per step, the median and best of a.steps steps after
-- a.warmup; then inference on one batch of a.infer_batch (median of
-- max(3, steps // 4) passes after one), and with a.fuse again after
-- model:fuse() where it exists. Prints one JSON line with what ran.
local mien = require "mien"
local core = require "mien.core"
local json = require "mien.util.json"

local function median(ts)
  table.sort(ts)
  local n = #ts
  return n % 2 == 1 and ts[(n + 1) // 2] or (ts[n // 2] + ts[n // 2 + 1]) / 2
end

local function timed(fn, n, warm)
  for _ = 1, warm do fn() end
  local ts = {}
  for i = 1, n do
    local t0 = core.now()
    fn()
    ts[i] = core.now() - t0
  end
  local best = math.huge
  for _, t in ipairs(ts) do best = math.min(best, t) end
  return median(ts), best
end

-- The fields of mien.info() that say which kernels run (strings, numbers, booleans, one level of tables).
local function kernels()
  local out = {}
  for k, v in pairs(mien.info()) do
    if type(v) ~= "table" and type(v) ~= "function" then out[k] = v
    elseif type(v) == "table" then
      for k2, v2 in pairs(v) do
        if type(v2) ~= "table" and type(v2) ~= "function" then out[k .. "." .. k2] = v2 end
      end
    end
  end
  return out
end

return function(a, in_precision)
  local fer_cnn = dofile("examples/fer_cnn.lua")
  mien.manual_seed(0)
  local model = fer_cnn { classes = 7, width = a.width, dropout = 0.25 }
  local optimizer = mien.optim.Adam(model:parameters(), { lr = 5e-4 })
  local xs, ys = {}, {}
  for k = 1, 4 do
    xs[k] = mien.rand({ a.batch, 1, 48, 48 })
    ys[k] = (mien.rand({ a.batch }) * 7):floor():long() + 1
  end
  local i = 0
  local function train_step()
    local k = i % 4 + 1
    i = i + 1
    local loss = in_precision(function() return mien.F.cross_entropy(model(xs[k]), ys[k]) end)
    optimizer:zero_grad()
    loss:backward()
    optimizer:step()
    loss:item()
  end
  model:train()
  local med, best = timed(train_step, a.steps, a.warmup)

  model:eval()
  local x = mien.rand({ a.infer_batch, 1, 48, 48 })
  local function infer()
    mien.no_grad(function() in_precision(function() model(x):close() end) end)
  end
  local reps = math.max(3, a.steps // 4)
  local imed = timed(infer, reps, 1)
  local fused_med
  if a.fuse and model.fuse then
    model = model:fuse() or model
    fused_med = timed(infer, reps, 1)
  end
  print(json.encode {
    side = "mien", version = mien._VERSION, width = a.width, threads = core.num_threads(), precision = a.precision,
    train_batch = a.batch, train_img_s = math.floor(a.batch / med * 10 + 0.5) / 10,
    train_img_s_best = math.floor(a.batch / best * 10 + 0.5) / 10, infer_batch = a.infer_batch,
    infer_img_s = math.floor(a.infer_batch / imed * 10 + 0.5) / 10, kernels = kernels(),
    infer_fused_img_s = fused_med and math.floor(a.infer_batch / fused_med * 10 + 0.5) / 10 or nil,
  })
end
