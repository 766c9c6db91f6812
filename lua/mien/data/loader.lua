--- Mini-batches: a seeded shuffle per epoch, and augmentation in C (OpenMP
-- over the images of a batch) straight from the uint8 data set into a float32
-- NCHW batch. Order and augmentation depend only on (seed, epoch, batch), so
-- a resumed run sees the same batches.
--
-- With prefetch (the default) batch b+1 is augmented on a background thread
-- while the caller trains on batch b; the batches are the same bits either
-- way. `threads` sets that thread's OpenMP team (default: as many threads as
-- the calling thread uses, see mien.set_num_threads).
-- Leaving the loop early is fine: the pending batch is joined when the
-- loop's to-be-closed value closes (or, for an abandoned iterator, by the GC).
--
-- Resident mode (`device = "cuda"`, or "cpu"): the uint8 images and the
-- targets are copied to the device once, when the loader is made, and every
-- batch is augmented there by that device's backend (the augment_batch entry
-- of the backend table), so x and y come out on the device. The batches are
-- the same as without it, bit for bit (the GPU kernel reproduces the CPU's
-- augmentation). "cpu" runs this same path on the CPU backend (that is how
-- it is tested without a GPU); with no usable GPU, "cuda" raises the
-- driver's reason (mien.cuda.why()). No prefetch thread: the device queues
-- the work itself.
--
--   local loader = mien.data.loader(ds, {
--     batch = 64,          -- images per batch
--     shuffle = true,      -- a new seeded order every epoch
--     seed = 0,
--     drop_last = false,   -- drop a last, smaller batch
--     augment = {},        -- rotation=, shear=, zoom={lo,hi}, shift=, flip=, brightness=, contrast={lo,hi},
--                          -- erase=, size=, channels=, mean=, std= (see mien.data.augment)
--     indices = nil,       -- draw only these 1-based images of ds (e.g. from stratified_split)
--     prefetch = true, threads = nil,
--     device = nil,        -- "cuda" (or "cpu"): keep the data set on that device and augment there
--   })
--   for x, y in loader() do ... end   -- x float32 [B,C,H,W] (0..1 without mean/std), y int64 [B], 1-based
--   #loader                            -- batches per epoch
local mien = require "mien"
local core = require "mien.core"
local prng = require "mien.util.prng"
local args = require "mien.util.args"

local Loader = {}
Loader.__index = Loader

-- opts: batch (64), shuffle (true), seed, drop_last, augment, indices,
-- prefetch, threads, targets (the data set's field that gives y: "labels",
-- or e.g. "targets" for FER+ vote shares), device (resident mode).
local function new(ds, opts)
  args.check("loader", 1, ds, "dataset")
  opts = args.options("loader", 2, opts, "{batch=, shuffle=, seed=, augment=, indices=, prefetch=, device=}")
  args.fields("loader", opts, { batch = "integer", shuffle = "boolean", seed = "integer", augment = "table",
    indices = "table", prefetch = "boolean", drop_last = "boolean", device = "string" })
  local self = setmetatable({
    ds = ds,
    batch = opts.batch or 64,
    shuffle = opts.shuffle ~= false,
    seed = opts.seed or 0,
    drop_last = opts.drop_last or false,
    augment = opts.augment or {},
    indices = opts.indices,
    prefetch = opts.prefetch ~= false,
    threads = opts.threads,
    sampler = opts.sampler, -- data-parallel: this rank's shard of each epoch (mien.dist.sampler)
    targets = opts.targets or "labels",
    device = opts.device,
    epoch = 0,
  }, Loader)
  if not mien.is_tensor(ds[self.targets]) then
    error(string.format("loader: the data set has no '%s' tensor to use as targets", self.targets), 2)
  end
  assert(self.batch >= 1, "loader: batch must be >= 1")
  if self.device then
    -- uploaded once; the images' :to() raises "device cuda:0 is not available (<driver's reason>)"
    local ok, err = pcall(function()
      self.resident = { images = ds.images:to(self.device), targets = ds[self.targets]:to(self.device) }
    end)
    if not ok then
      error(string.format("loader: cannot keep the data set on %s: %s", self.device, tostring(err)), 2)
    end
  end
  return self
end

--- Examples per epoch: all of them, or this rank's shard with a sampler.
-- @treturn int
function Loader:size()
  local n = self:full_size()
  return self.sampler and self.sampler:count(n) or n
end

--- The number of samples the loader draws from (its indices, or the whole data set), before sharding.
-- @treturn int
function Loader:full_size()
  return self.indices and #self.indices or #self.ds
end

function Loader:__len()
  local n = self:size()
  return self.drop_last and n // self.batch or (n + self.batch - 1) // self.batch
end

--- One batch: x float32 [B,C,H,W], y int64 [B] (1-based) -- or the rows of
-- the data set's `targets` tensor (e.g. FER+ vote shares) -- from 1-based indices.
function Loader:make_batch(list, stream_base)
  local idx = mien.tensor(list, { dtype = "int64" })
  if self.resident then
    local r = self.resident
    return core.augment_tensor(r.images, idx, self.augment, self.seed, stream_base), r.targets:index_select(1, idx)
  end
  local x = core.augment_batch(self.ds.images, idx, self.augment, self.seed, stream_base)
  return x, self.ds[self.targets]:index_select(1, idx)
end

--- The same batch started on a background thread: {job = , y = }; job:wait() gives x.
function Loader:start_batch(list, stream_base)
  local idx = mien.tensor(list, { dtype = "int64" })
  local job = core.augment_batch_async(self.ds.images, idx, self.augment, self.seed, stream_base, self.threads)
  return { job = job, y = self.ds[self.targets]:index_select(1, idx) }
end

-- for x, y in loader() do ... end  (next epoch on each call; or loader(epoch))
function Loader:__call(epoch)
  self.epoch = epoch or (self.epoch + 1)
  local order = self.indices and table.move(self.indices, 1, #self.indices, 1, {}) or prng.range(self:full_size())
  if self.shuffle then prng.new(self.seed, self.epoch):shuffle(order) end
  if self.sampler then order = self.sampler:shard(order) end
  local nb, b = #self, 0
  local blocks_per_epoch = 4 * #order
  -- batch k's 1-based indices and stream base
  local function batch_args(k)
    local first = (k - 1) * self.batch + 1
    local list = table.move(order, first, math.min(first + self.batch - 1, #order), 1, {})
    return list, self.epoch * blocks_per_epoch + 4 * (first - 1)
  end
  if not self.prefetch or self.resident then
    return function()
      b = b + 1
      if b > nb then return nil end
      return self:make_batch(batch_args(b))
    end
  end
  local pending -- batch b+1, started before batch b was returned
  local function next_batch()
    b = b + 1
    if b > nb then return nil end
    local cur = pending or self:start_batch(batch_args(b))
    pending = nil
    local x = cur.job:wait()
    if b < nb then pending = self:start_batch(batch_args(b + 1)) end
    return x, cur.y
  end
  -- the generic for's closing value: a break or an error joins the pending batch
  local closer = setmetatable({}, { __close = function() if pending then pending.job:close() end end })
  return next_batch, nil, nil, closer
end

return { new = new, Loader = Loader }
