--- Data-parallel training for mien.train.fit{dist = true}: every process
-- holds the whole model and trains on its own shard of each epoch; after each
-- backward the gradients are averaged over the processes in buckets (a few
-- large all-reduces instead of one per parameter), so every process takes
-- the same optimizer step.
--   * at the start, rank 0's parameters and buffers are broadcast;
--   * the train loader gets a padded mien.dist.sampler, the validation loader
--     an unpadded one (unless they already have a sampler);
--   * BatchNorm keeps per-rank statistics (as PyTorch's DDP does) unless
--     sync_batchnorm (mien.train.sync_batchnorm);
--   * losses, accuracies and counts are summed over the processes;
--   * only rank 0 writes files (fit checks `is_main`).
-- @module mien.train.dist
local core = require "mien.core"
local dist = require "mien.dist"
local sampler = require "mien.dist.sampler"

local M = {}

local DataParallel = {}
DataParallel.__index = DataParallel

local function options(spec)
  if spec == true then return {} end
  if type(spec) ~= "table" then
    error("fit: dist must be true or a table {bucket_mb=25, sync_batchnorm=false}, got " .. tostring(spec), 3)
  end
  for k in pairs(spec) do
    if k ~= "bucket_mb" and k ~= "sync_batchnorm" then error("fit: unknown dist option '" .. tostring(k) .. "'", 3) end
  end
  if spec.bucket_mb ~= nil and (type(spec.bucket_mb) ~= "number" or spec.bucket_mb <= 0) then
    error("fit: dist.bucket_mb must be a positive number, got " .. tostring(spec.bucket_mb), 3)
  end
  return spec
end

-- Groups of parameters whose gradients are reduced together: consecutive
-- parameters of one dtype and device, up to bucket_bytes each.
local function buckets_of(params, bucket_bytes)
  local out, cur, bytes = {}, nil, 0
  for _, p in ipairs(params) do
    local size = p:numel() * (p:dtype() == "float64" and 8 or 4)
    if not cur or bytes + size > bucket_bytes or cur.dtype ~= p:dtype() or cur.device ~= p:device() then
      cur, bytes = { params = {}, numel = 0, dtype = p:dtype(), device = p:device() }, 0
      out[#out + 1] = cur
    end
    cur.params[#cur.params + 1] = p
    cur.numel = cur.numel + p:numel()
    bytes = bytes + size
  end
  return out
end

--- Sets up data-parallel training for fit's options (model, train, val).
-- @tparam table fit_opts fit's options; fit_opts.dist is true or a table:
-- @tparam[opt=25] number fit_opts.dist.bucket_mb the size of a gradient all-reduce
-- @tparam[opt=false] boolean fit_opts.dist.sync_batchnorm BatchNorm statistics over the global batch
-- @return the data-parallel state (rank, world_size, is_main)
function M.new(fit_opts)
  local o = options(fit_opts.dist)
  local rank, world = dist.init()
  local self = setmetatable({ rank = rank, world_size = world, is_main = rank == 0, model = fit_opts.model }, DataParallel)
  for _, name in ipairs { "train", "val" } do
    local loader = fit_opts[name]
    if loader and loader.sampler == nil then
      loader.sampler = sampler.new { rank = rank, world_size = world, pad = name == "train" }
    end
  end
  self.buckets = buckets_of(fit_opts.model:trainable_parameters(), (o.bucket_mb or 25) * 2 ^ 20)
  if o.sync_batchnorm then require("mien.train.sync_batchnorm").convert(fit_opts.model) end
  return self
end

--- Gives every rank rank 0's parameters and buffers (call after a resume).
function DataParallel:broadcast_model()
  if self.world_size == 1 then return end
  for _, t in ipairs(self.model:parameters()) do dist.broadcast(t, 0) end
  for _, t in ipairs(self.model:buffers()) do dist.broadcast(t, 0) end
end

local function reduce_bucket(bucket, world)
  local params = bucket.params
  if #params == 1 and params[1].grad and params[1].grad:is_contiguous() then
    dist.all_reduce(params[1].grad, "sum"):mul_(1 / world)
    return
  end
  bucket.flat = bucket.flat or require("mien").zeros({ bucket.numel }, { dtype = bucket.dtype, device = bucket.device })
  local flat, offset = bucket.flat, 0
  for _, p in ipairs(params) do
    local slice = flat:narrow(1, offset + 1, p:numel())
    if p.grad then slice:copy_(p.grad:reshape(-1)) else slice:fill_(0) end
    offset = offset + p:numel()
  end
  dist.all_reduce(flat, "sum"):mul_(1 / world)
  offset = 0
  for _, p in ipairs(params) do
    local slice = flat:narrow(1, offset + 1, p:numel()):view(p:shape())
    if p.grad then p.grad:copy_(slice) else p.grad = slice:clone() end
    offset = offset + p:numel()
  end
end

--- Averages the gradients over the processes, bucket by bucket (after backward).
function DataParallel:reduce_gradients()
  if self.world_size == 1 then return end
  local t0 = core.now()
  for _, bucket in ipairs(self.buckets) do reduce_bucket(bucket, self.world_size) end
  self.reduce_seconds = (self.reduce_seconds or 0) + (core.now() - t0)
end

--- Whether the loss is finite on every rank (so that all stop together).
-- @tparam number loss this rank's loss
-- @return boolean
function DataParallel:all_finite(loss)
  local bad = (loss ~= loss or loss == math.huge or loss == -math.huge) and 1 or 0
  return dist.all_reduce_numbers({ bad }, "max")[1] == 0
end

--- Sums of numbers over the processes.
-- @param ... numbers
-- @return the sums, in order
function DataParallel:sum(...)
  return table.unpack(dist.all_reduce_numbers({ ... }, "sum"))
end

--- train.evaluate's result for the whole validation set from every rank's shard.
-- @tparam table v {loss=, acc=, n=} of this rank's shard
-- @return {loss=, acc=, n=} over all shards
function DataParallel:reduce_evaluation(v)
  local loss, right, n = self:sum(v.loss * v.n, v.acc * v.n, v.n)
  return { loss = loss / math.max(n, 1), acc = right / math.max(n, 1), n = n }
end

--- Waits for every rank (after rank 0 wrote the epoch's files).
function DataParallel:barrier()
  dist.barrier()
end

return M
