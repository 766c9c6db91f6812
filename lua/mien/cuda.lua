--- The CUDA backend, seen from Lua.
-- The backend is a separate library (libmien_cuda.so, built when nvcc is
-- found) that mien loads the first time CUDA is asked for: by a tensor
-- created or moved with `device = "cuda"`, or by any function here.
-- @module mien.cuda
local core = require "mien.core"

local cuda = {}

--- Whether a CUDA device can be used.
-- @treturn boolean false when this build has no CUDA backend, or the machine no driver or device
-- @usage if mien.cuda.available() then x = x:cuda() end
function cuda.available()
  return core.cuda_available()
end

--- Why CUDA cannot be used.
-- @treturn ?string the reason (the driver's error, e.g. cudaErrorInsufficientDriver (35)), or nil when it can
-- @usage print(mien.cuda.why())
function cuda.why()
  return core.cuda_why()
end

--- The caching allocator's figures for one device, in bytes.
-- @tparam[opt=0] integer index the device (0-based, as in "cuda:0")
-- @treturn table `{allocated=, reserved=, peak=, requested=}`: handed out, taken from the device
-- (handed out + cached), the highest `allocated` so far, and what was asked for; all 0 before any use
function cuda.memory(index)
  return core.cuda_memory(index or 0)
end

--- Gives every cached, unused block back to the driver.
-- @treturn integer the bytes released
function cuda.empty_cache()
  return core.cuda_empty_cache()
end

--- Waits for the work queued on a GPU (nothing to wait for without one),
-- e.g. before reading a clock: kernels run after their launch returns.
-- @tparam[opt=0] integer index the device (0-based, as in "cuda:0")
-- @usage mien.cuda.synchronize(); local t = os.clock()
function cuda.synchronize(index)
  core.cuda_synchronize(index or 0)
end

return cuda
