--- Synchronised BatchNorm for data-parallel training (fit{dist = {sync_batchnorm = true}}).
-- While training, each BatchNorm layer normalises with the mean and variance
-- of the global batch (every rank's examples, two small all-reduces per
-- layer: the sums, then the squared deviations), and its running statistics
-- follow those global values, the same on every rank.
--
-- The backward pass differentiates through this rank's share of the
-- statistics only: mien has no autograd hook to all-reduce the statistics'
-- gradients in the middle of backward, so the cross-rank terms of the
-- gradient (each rank's loss through the other ranks' examples) are left out.
-- The forward pass and the running statistics are exact.
-- @module mien.train.sync_batchnorm
local mien = require "mien"
local dist = require "mien.dist"

local M = {}

-- The sum over every rank of local (a tensor of C values) as a tensor that
-- differentiates like local: local + (the others' part, constant).
local function global_sum(local_sum)
  local total = local_sum:detach():contiguous():clone()
  dist.all_reduce(total, "sum")
  return local_sum + (total - local_sum:detach())
end

local function sync_forward(self, x)
  local nd = x:dim()
  local C = self.num_features
  if nd < 2 or x:size(2) ~= C then
    error(string.format("%s: expected input [N,%d,...], got shape [%s]", self.__name or "BatchNorm", C,
      table.concat(x:shape(), ",")), 2)
  end
  local dims, bshape = { 1 }, { 1, C }
  for d = 3, nd do
    dims[#dims + 1] = d
    bshape[#bshape + 1] = 1
  end
  local count = mien.tensor({ x:numel() / C }, { dtype = "float64" })
  dist.all_reduce(count, "sum")
  local m = count:item()
  local mean = global_sum(x:sum(dims)) / m
  local centred = x - mean:view(bshape)
  local var = global_sum((centred * centred):sum(dims)) / m
  mien.no_grad(function()
    if self.track_running_stats then
      self.num_batches_tracked:add_(1)
      local momentum = self.momentum or 1.0 / self.num_batches_tracked:item()
      local unbiased = var:detach() * (m / math.max(m - 1, 1))
      self.running_mean:mul_(1 - momentum):add_(mean:detach() * momentum)
      self.running_var:mul_(1 - momentum):add_(unbiased * momentum)
    end
  end)
  local y = centred * (var:view(bshape) + self.eps):rsqrt()
  if self.weight then y = y * self.weight:view(bshape) + self.bias:view(bshape) end
  return y
end

--- Makes every BatchNorm layer of model synchronise its statistics while training.
-- @tparam Module model
-- @return the number of layers converted
function M.convert(model)
  local n = 0
  for m in model:modules() do
    local cls = getmetatable(m)
    local forward = m.forward
    if m.uses_batch_stats and m.num_features and cls then
      rawset(m, "forward", function(self, x)
        if not self:uses_batch_stats() then return forward(self, x) end
        return sync_forward(self, x)
      end)
      n = n + 1
    end
  end
  return n
end

return M
