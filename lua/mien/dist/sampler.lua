--- Which examples of each epoch this process reads in a data-parallel job.
-- The loader shuffles the whole data set with its seed (the same on every
-- rank, so every rank computes the same permutation) and hands the order to
-- the sampler, which keeps positions rank+1, rank+1+world, ... The shards are
-- disjoint and together cover the data set; with pad (for training) the
-- order is first extended by its own beginning to a multiple of the world
-- size, so every rank gets as many batches (the collectives need that).
-- Strided shards keep the global batches: batch k of every rank, together,
-- are the examples of batch k of one process with world x the batch size.
-- @module mien.dist.sampler
local Sampler = {}
Sampler.__index = Sampler

--- A sampler for one rank.
-- @tparam table opts
-- @tparam integer opts.rank this process's rank, 0-based (default mien.dist.rank())
-- @tparam integer opts.world_size the number of processes (default mien.dist.world_size())
-- @tparam[opt=true] boolean opts.pad repeat the first examples so that every rank gets the same count
-- @return the sampler, for mien.data.loader{sampler=}
-- @usage local loader = mien.data.loader(ds, {batch = 32, seed = 1, sampler = mien.dist.sampler.new{}})
local function new(opts)
  opts = opts or {}
  local dist = require "mien.dist"
  local self = setmetatable({
    rank = opts.rank or dist.rank(),
    world_size = opts.world_size or dist.world_size(),
    pad = opts.pad ~= false,
  }, Sampler)
  if math.type(self.world_size) ~= "integer" or self.world_size < 1 then
    error("mien.dist.sampler: world_size must be an integer >= 1, got " .. tostring(self.world_size), 2)
  end
  if math.type(self.rank) ~= "integer" or self.rank < 0 or self.rank >= self.world_size then
    error(string.format("mien.dist.sampler: rank must be an integer in [0, %d), got %s", self.world_size,
      tostring(self.rank)), 2)
  end
  return self
end

--- How many of n examples this rank reads per epoch.
-- @tparam integer n the size of the whole (shuffled) order
-- @return integer
function Sampler:count(n)
  local w = self.world_size
  if self.pad then return (n + w - 1) // w end
  return n > self.rank and (n - self.rank - 1) // w + 1 or 0
end

--- This rank's part of an epoch's order.
-- @tparam table order the epoch's (shuffled) indices, the same on every rank
-- @return a new array of the indices this rank reads, in order
function Sampler:shard(order)
  local n, w, out = #order, self.world_size, {}
  local total = self.pad and self:count(n) * w or n
  for pos = self.rank + 1, total, w do
    out[#out + 1] = order[(pos - 1) % n + 1]
  end
  return out
end

return { new = new, Sampler = Sampler }
