-- Forward and input-gradient GFLOP/s of one convolution path (MIEN_CONV_ALGO=direct|winograd2|winograd4 in
-- the environment, read by the core per call) on the FER CNN's stride-1 3x3 and 5x5 shapes at batch 64.
-- GFLOP/s are effective: the direct convolution's 2*N*C_out*OH*OW*C_in*KH*KW FLOPs over the time taken, so
-- Winograd's figure can exceed the machine's sgemm peak. bench/cpu_ops.lua runs it once per path.
--   MIEN_CONV_ALGO=winograd4 lua5.4 bench/conv_algos.lua
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"

local function best_of(reps, fn)
  fn()
  local best = math.huge
  for _ = 1, reps do
    local t0 = core.now()
    fn()
    best = math.min(best, core.now() - t0)
  end
  return best
end

local algo = os.getenv("MIEN_CONV_ALGO") or "auto"
mien.manual_seed(0)
for _, c in ipairs { { 64, 128, 24, 5 }, { 128, 512, 12, 3 }, { 512, 512, 6, 3 } } do
  local cin, cout, hw, k, n = c[1], c[2], c[3], c[4], 64
  local x = mien.randn({ n, cin, hw, hw }, { requires_grad = true })
  local w = mien.randn({ cout, cin, k, k }) * 0.05
  local opts = { padding = k // 2 }
  local flops = 2 * n * cout * hw * hw * cin * k * k
  local y = mien.F.conv2d(x, w, nil, opts)
  local dy = mien.randn(y:shape())
  local tf = best_of(3, function() return mien.no_grad(function() return mien.F.conv2d(x, w, nil, opts) end) end)
  local tb = best_of(3, function()
    x.grad = nil
    mien.F.conv2d(x, w, nil, opts):backward(dy)
  end)
  print(string.format("  %-10s conv %d->%d %dx%d @%dx%d: forward %6.1f GFLOP/s, input gradient %6.1f GFLOP/s", algo,
    cin, cout, k, k, hw, hw, flops / tf / 1e9, flops / math.max(tb - tf, 1e-9) / 1e9))
end
