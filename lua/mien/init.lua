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
-- @treturn table {version=, blas=, blas_core= (OpenBLAS's kernel set), threads=, ...}
function mien.info()
  return {
    version = mien._VERSION,
    blas = core.blas_backend(),
    blas_core = core.blas_core(),
    threads = core.num_threads(),
    cuda = mien.cuda.available(),
  }
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
