--- Collectives across the processes of a data-parallel job.
-- The rank and world size come from the launcher: OpenMPI's
-- OMPI_COMM_WORLD_RANK/SIZE (`mpirun -np 4 ...`), Slurm's SLURM_PROCID and
-- SLURM_STEP_NUM_TASKS (`srun -n 4 ...`), or plain RANK/WORLD_SIZE. Without
-- any, the world has one process and every collective is a no-op.
--
-- A world of several processes loads the MPI backend (libmien_mpi.so, built
-- when libopenmpi-dev is present) on `init()`, and the NCCL backend
-- (libmien_nccl.so) on the first collective over a CUDA tensor. A script
-- that never calls `init()` loads neither.
--
-- Ranks are 0-based, as in MPI. The collectives work in place on contiguous
-- tensors.
-- @module mien.dist
local core = require "mien.core"

local dist = {}

local OPS = { sum = true, max = true, min = true, avg = true }

-- The backend libraries sit next to mien/core.so.
local function library(name)
  return package.searchpath("mien." .. name, package.cpath)
end

--- Starts the job's collectives (once; later calls return the same).
-- @return rank (0-based), world size, and the backend's name ("none" for one process, "mpi")
-- @usage local rank, world = mien.dist.init()
function dist.init()
  local rank, world = core.dist_env()
  local host = library("libmien_mpi")
  if world > 1 and not host then
    error(string.format("mien.dist: rank %d of %d processes, but this mien was built without MPI "
      .. "(install libopenmpi-dev and rebuild: libmien_mpi.so is missing from %s)", rank, world, package.cpath), 2)
  end
  return core.dist_init(host, library("libmien_nccl"))
end

--- The launcher's view, without starting anything.
-- @return rank, world size, and where they came from ("OMPI_COMM_WORLD", "SLURM", "RANK" or "none")
function dist.env()
  return core.dist_env()
end

--- Whether `init()` ran.
-- @return boolean
function dist.initialized()
  return (core.dist_state())
end

--- This process's rank, 0-based (0 before `init()`).
-- @return integer
function dist.rank()
  local _, rank = core.dist_state()
  return rank
end

--- The number of processes (1 before `init()`).
-- @return integer
function dist.world_size()
  local _, _, world = core.dist_state()
  return world
end

--- Whether this is rank 0, the one that writes files.
-- @return boolean
function dist.is_main()
  return dist.rank() == 0
end

--- The backend's name: "none" (one process), "mpi".
-- @return string
function dist.backend()
  local _, _, _, name = core.dist_state()
  return name
end

--- Waits until every process has reached it.
function dist.barrier()
  core.dist_barrier()
end

--- Reduces t over all processes, in place: every rank ends with the result.
-- @tparam Tensor t a contiguous tensor, the same shape and dtype on every rank
-- @tparam[opt="sum"] string op "sum", "avg" (the sum over the world size; float tensors), "max" or "min"
-- @return t
-- @usage mien.dist.all_reduce(grad, "avg")
function dist.all_reduce(t, op)
  op = op or "sum"
  if not OPS[op] then
    error(string.format("mien.dist.all_reduce: op must be sum, avg, max or min, got %s", tostring(op)), 2)
  end
  if op == "avg" then
    core.dist_all_reduce(t, "sum")
    local world = dist.world_size()
    if world > 1 then t:mul_(1 / world) end
    return t
  end
  return core.dist_all_reduce(t, op)
end

--- Copies root's t into t on every other rank, in place.
-- @tparam Tensor t a contiguous tensor, the same shape and dtype on every rank
-- @tparam[opt=0] integer root the rank whose values everyone gets
-- @return t
function dist.broadcast(t, root)
  return core.dist_broadcast(t, root or 0)
end

--- Every rank's t, stacked.
-- @tparam Tensor t a contiguous tensor, the same shape and dtype on every rank
-- @return a new tensor of shape [world_size, ...t's shape]; row r+1 holds rank r's t
function dist.all_gather(t)
  return core.dist_all_gather(t)
end

--- Reduces plain numbers (metrics, counts) over all processes.
-- @tparam table values an array of numbers
-- @tparam[opt="sum"] string op "sum", "avg", "max" or "min"
-- @return a new array of the reduced numbers (float64 arithmetic)
-- @usage local total, n = table.unpack(mien.dist.all_reduce_numbers({loss_sum, count}))
function dist.all_reduce_numbers(values, op)
  if #values == 0 then return {} end
  local t = core.tensor(values, { dtype = "float64" })
  dist.all_reduce(t, op)
  return t:totable()
end

--- A sampler giving this rank its shard of each epoch, for mien.data.loader{sampler=}.
-- Calls `init()` first. See mien.dist.sampler.
-- @tparam[opt] table opts {pad=true}: see mien.dist.sampler.new
-- @return the sampler
-- @usage local loader = mien.data.loader(ds, {batch = 32, seed = 1, sampler = mien.dist.sampler()})
function dist.sampler(opts)
  dist.init()
  return require("mien.dist.sampler").new(opts)
end

--- Ends the backends (MPI_Finalize). Runs by itself at exit; call it only to stop earlier.
function dist.finalize()
  core.dist_finalize()
end

--- Ends every process of the job at once (MPI_Abort): for a rank that failed
-- while the others may wait in a collective. Returns only without a backend.
-- @tparam[opt=1] integer code the exit status
function dist.abort(code)
  core.dist_abort(code or 1)
end

return dist
