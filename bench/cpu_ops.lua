-- CPU throughput of the kernels that dominate FER training: sgemm and
-- conv2d forward+backward at FER shapes (batch 64, 48x48 and 24x24).
-- Run: lua5.4 bench/cpu_ops.lua   (from the repository root, after building)
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"

local function best_of(reps, fn)
  fn() -- warm up
  local best = math.huge
  for _ = 1, reps do
    local t0 = core.now()
    fn()
    best = math.min(best, core.now() - t0)
  end
  return best
end

print(string.format("mien %s, BLAS %s, %d threads", mien._VERSION, mien.info().blas, mien.info().threads))
mien.manual_seed(0)

local n = 1024
local a, b = mien.randn(n, n), mien.randn(n, n)
local t = best_of(5, function() return a:matmul(b) end)
local sgemm = 2 * n ^ 3 / t / 1e9
print(string.format("sgemm %dx%dx%d: %.1f GFLOP/s", n, n, n, sgemm))

local cases = {
  { name = "conv 1->64 3x3 @48x48", n = 64, cin = 1, cout = 64, hw = 48, k = 3 },
  { name = "conv 64->128 5x5 @24x24", n = 64, cin = 64, cout = 128, hw = 24, k = 5 },
  { name = "conv 128->512 3x3 @12x12", n = 64, cin = 128, cout = 512, hw = 12, k = 3 },
}
for _, c in ipairs(cases) do
  local x = mien.randn({ c.n, c.cin, c.hw, c.hw }, { requires_grad = true })
  local w = mien.randn({ c.cout, c.cin, c.k, c.k }, { requires_grad = true })
  local bias = mien.zeros({ c.cout }, { requires_grad = true })
  local flops = 2 * c.n * c.cout * c.hw * c.hw * c.cin * c.k * c.k -- forward, 'same' padding
  local tf = best_of(3, function() return mien.F.conv2d(x, w, bias, { padding = c.k // 2 }) end)
  local tfb = best_of(3, function()
    x.grad, w.grad, bias.grad = nil, nil, nil
    mien.F.conv2d(x, w, bias, { padding = c.k // 2 }):sum():backward()
  end)
  local g = 3 * flops / tfb / 1e9
  print(string.format("%-26s fwd %.1f GFLOP/s, fwd+bwd %.1f GFLOP/s (%.0f%% of sgemm)", c.name, flops / tf / 1e9, g,
    100 * g / sgemm))
end

-- bf16 mixed precision (mien.autocast): the same GEMM and convolutions with
-- bf16 products and float32 sums, beside float32 sgemm.
print("bf16 path: " .. mien.info().bf16)
local function bf16(fn) return function() return mien.autocast("bf16", fn) end end
local tb = best_of(5, bf16(function() return a:matmul(b) end))
print(string.format("bf16 gemm %dx%dx%d: %.1f GFLOP/s (%.2fx sgemm)", n, n, n, 2 * n ^ 3 / tb / 1e9,
  2 * n ^ 3 / tb / 1e9 / sgemm))
for _, c in ipairs(cases) do
  local x = mien.randn({ c.n, c.cin, c.hw, c.hw }, { requires_grad = true })
  local w = mien.randn({ c.cout, c.cin, c.k, c.k }, { requires_grad = true })
  local bias = mien.zeros({ c.cout }, { requires_grad = true })
  local flops = 2 * c.n * c.cout * c.hw * c.hw * c.cin * c.k * c.k
  local tf = best_of(3, bf16(function() return mien.F.conv2d(x, w, bias, { padding = c.k // 2 }) end))
  local tfb = best_of(3, bf16(function()
    x.grad, w.grad, bias.grad = nil, nil, nil
    mien.F.conv2d(x, w, bias, { padding = c.k // 2 }):sum():backward()
  end))
  local g = 3 * flops / tfb / 1e9
  print(string.format("bf16 %-21s fwd %.1f GFLOP/s, fwd+bwd %.1f GFLOP/s (%.0f%% of sgemm)", c.name, flops / tf / 1e9,
    g, 100 * g / sgemm))
end

-- Winograd against the direct path (im2col + GEMM) on the FER CNN's stride-1 shapes, one process per path
-- (MIEN_CONV_ALGO is read from the environment): effective GFLOP/s, i.e. direct-convolution FLOPs / time.
print(string.format("winograd (effective GFLOP/s; sgemm above: %.1f):", sgemm))
for _, algo in ipairs { "direct", "winograd2", "winograd4" } do
  local p = io.popen("MIEN_CONV_ALGO=" .. algo .. " lua5.4 bench/conv_algos.lua 2>&1")
  io.write(p:read("a"))
  p:close()
end
