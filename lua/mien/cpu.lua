--- The CPU backend's memory, seen from Lua: the allocator's cache.
-- Tensor storages from 256 KB are mapped in size classes and, when freed,
-- kept for the next request of their class (training asks for the same
-- activation sizes every step, and fresh memory costs a page fault per
-- page); the cache holds at most the larger of 256 MB and the most ever in
-- use at once. Smaller storages come from malloc. The counterpart of `mien.cuda`'s.
-- @module mien.cpu
local core = require "mien.core"

local cpu = {}

--- The cache's figures, in bytes (blocks from 256 KB only).
-- @treturn table `{allocated=, cached=, reserved=, peak=, hits=, misses=}`: handed out, parked for reuse,
-- their sum, the most handed out at once, and requests served from the cache or by mapping fresh memory
-- @usage print(mien.cpu.memory().cached)
function cpu.memory()
  return core.cpu_memory()
end

--- Gives every cached, unused block back to the system (as `mien.cuda.empty_cache` does on a GPU).
-- @treturn integer the bytes released
-- @usage collectgarbage(); mien.cpu.empty_cache()
function cpu.empty_cache()
  return core.cpu_empty_cache()
end

return cpu
