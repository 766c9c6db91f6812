-- Mini-batches: a seeded shuffle per epoch, and augmentation in C (OpenMP
-- over the images of a batch) straight from the uint8 data set into a float32
-- NCHW batch. Order and augmentation depend only on (seed, epoch, batch), so
-- a resumed run sees the same batches.
local mien = require "mien"
local core = require "mien.core"
local prng = require "mien.util.prng"

local Loader = {}
Loader.__index = Loader

local function new(ds, opts)
  opts = opts or {}
  local self = setmetatable({
    ds = ds,
    batch = opts.batch or 64,
    shuffle = opts.shuffle ~= false,
    seed = opts.seed or 0,
    drop_last = opts.drop_last or false,
    augment = opts.augment or {},
    indices = opts.indices,
    epoch = 0,
  }, Loader)
  assert(self.batch >= 1, "loader: batch must be >= 1")
  return self
end

function Loader:size()
  return self.indices and #self.indices or #self.ds
end

function Loader:__len()
  local n = self:size()
  return self.drop_last and n // self.batch or (n + self.batch - 1) // self.batch
end

-- One batch: x float32 [B,C,H,W], y int64 [B] (1-based), from 1-based indices.
function Loader:make_batch(list, stream_base)
  local idx = mien.tensor(list, { dtype = "int64" })
  local x = core.augment_batch(self.ds.images, idx, self.augment, self.seed, stream_base)
  return x, self.ds.labels:index_select(1, idx)
end


-- for x, y in loader() do ... end  (next epoch on each call; or loader(epoch))
function Loader:__call(epoch)
  self.epoch = epoch or (self.epoch + 1)
  local order = self.indices and table.move(self.indices, 1, #self.indices, 1, {}) or prng.range(self:size())
  if self.shuffle then prng.new(self.seed, self.epoch):shuffle(order) end
  local nb, b = #self, 0
  local blocks_per_epoch = 4 * #order
  return function()
    b = b + 1
    if b > nb then return nil end
    local first = (b - 1) * self.batch + 1
    local list = table.move(order, first, math.min(first + self.batch - 1, #order), 1, {})
    return self:make_batch(list, self.epoch * blocks_per_epoch + 4 * (first - 1))
  end
end

return { new = new, Loader = Loader }
