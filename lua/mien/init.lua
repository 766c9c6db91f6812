--- mien: tensors, autograd and the FER workflow, with the heavy lifting in C.
local core = require "mien.core"

local mien = {
  _VERSION = "0.1.0",
  Tensor = core.Tensor,
  F = core.F,
}

for _, name in ipairs {
  "tensor", "zeros", "ones", "full", "rand", "randn", "arange", "bernoulli", "randperm",
  "cat", "stack", "where", "no_grad", "set_grad_enabled", "is_grad_enabled", "manual_seed",
  "live_tensors", "bytes_in_use", "rng_state", "set_rng_state", "set_num_threads",
} do
  mien[name] = core[name]
end

--- Whether x is a mien tensor.
-- @param x any value
-- @treturn boolean
function mien.is_tensor(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return mt and mt.__name == "mien.Tensor" or false
end

-- Methods that are clearer as tensor methods too: t:softmax(2), t:log_softmax(-1).
for _, name in ipairs { "softmax", "log_softmax", "dropout", "leaky_relu", "relu6" } do
  core.Tensor[name] = core.F[name]
end

require "mien.tensor_print"

-- The CUDA backend (lua/mien/cuda.lua): available() is false, and why()
-- says why, when this build or machine has no usable GPU.
mien.cuda = require "mien.cuda"

--- What this build of mien is: version, BLAS backend, threads, devices.
-- @treturn table {version=, blas=, blas_core= (OpenBLAS's kernel set), gemm= (the built-in GEMM's micro-kernels, used
-- inside convolutions), threads=, cuda=, bf16=} (bf16: what bf16 autocast runs on here)
function mien.info()
  return {
    version = mien._VERSION,
    blas = core.blas_backend(),
    blas_core = core.blas_core(),
    gemm = core.gemm_kernels(),
    threads = core.num_threads(),
    cuda = mien.cuda.available(),
    bf16 = core.bf16_path(),
  }
end

local bf16_notice_given = false -- the fallback notice, once per process

--- Runs fn(...) with conv2d, linear and matmul computing in bf16 (mixed precision).
-- Inside, those ops on float32 tensors multiply bf16-rounded inputs and sum in
-- float32 (AVX512-BF16's vdpbf16ps); their results, the weights, batch norm,
-- softmax, the losses and the optimizer stay float32, and each op's backward
-- runs in the precision of its forward, wherever `backward` is called. The mode
-- belongs to the calling thread and is restored when fn returns or fails.
-- Without AVX512_BF16 (or with `MIEN_NO_BF16=1`) everything runs in float32
-- after a one-line notice; `mien.info().bf16` says which path runs.
-- @string precision "bf16", or "float32" to switch autocast off inside
-- @param fn the work to run (a function or a module)
-- @param ... arguments for fn
-- @return what fn returns
-- @usage local loss = mien.autocast("bf16", function() return F.cross_entropy(model(x), y) end)
-- loss:backward()
function mien.autocast(precision, fn, ...)
  require("mien.util.args").check("autocast", 2, fn, "callable", "a function or module")
  local outer = core.autocast_set(precision)
  if precision ~= "float32" and not bf16_notice_given and not core.bf16_path():find("^avx512_bf16") then
    bf16_notice_given = true
    io.stderr:write("mien: bf16 autocast runs in float32 on this machine: " .. core.bf16_path() .. "\n")
  end
  local results = table.pack(pcall(fn, ...))
  core.autocast_set(outer)
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

-- Submodules load on first use: mien.nn, mien.optim, mien.data, ...
return setmetatable(mien, {
  __index = function(t, key)
    local ok, mod = pcall(require, "mien." .. key)
    if not ok then
      if tostring(mod):find("module 'mien." .. key .. "' not found", 1, true) then return nil end
      error(mod, 2)
    end
    rawset(t, key, mod)
    return mod
  end,
})
