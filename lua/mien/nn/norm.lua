--- Batch normalisation over the channel dim (dim 2) of [N,C] / [N,C,L]
-- (BatchNorm1d) or [N,C,H,W] (BatchNorm2d) input.
--   nn.BatchNorm2d(C, {eps=1e-5, momentum=0.1, affine=true, track_running_stats=true})
-- Parameters weight (ones) and bias (zeros) when affine; buffers running_mean,
-- running_var and num_batches_tracked (int64, 0-d). momentum=false (or
-- cumulative=true) gives a cumulative moving average, like momentum=None in
-- PyTorch. The layer normalises with batch statistics (and updates the
-- running ones) only while self.training and not self.frozen: a frozen
-- BatchNorm stays in inference mode inside a model in train mode.
local mien = require "mien"
local Module = require "mien.nn.module"

local M = {}

local function make(name, ndims)
  local C = Module:extend(name)

  function C:__init(num_features, opts)
    opts = opts or {}
    assert(math.type(num_features) == "integer" and num_features > 0,
      name .. ": num_features must be a positive integer")
    self.num_features = num_features
    self.eps = opts.eps or 1e-5
    if opts.momentum == false or opts.cumulative then
      self.momentum = false
    else
      self.momentum = opts.momentum or 0.1
    end
    self.affine = opts.affine ~= false
    self.track_running_stats = opts.track_running_stats ~= false
    local dtype = opts.dtype or "float32"
    if self.affine then
      self:register_parameter("weight", mien.ones({ num_features }, { dtype = dtype, requires_grad = true }))
      self:register_parameter("bias", mien.zeros({ num_features }, { dtype = dtype, requires_grad = true }))
    end
    if self.track_running_stats then
      self:register_buffer("running_mean", mien.zeros({ num_features }, { dtype = dtype }))
      self:register_buffer("running_var", mien.ones({ num_features }, { dtype = dtype }))
      self:register_buffer("num_batches_tracked", mien.tensor(0, { dtype = "int64" }))
    end
  end

  function C:reset_running_stats()
    if self.track_running_stats then
      self.running_mean:fill_(0)
      self.running_var:fill_(1)
      self.num_batches_tracked:fill_(0)
    end
  end

  -- Whether this layer normalises with batch statistics right now.
  function C:uses_batch_stats()
    return (self.training and not self.frozen) or not self.track_running_stats
  end

  function C:forward(x)
    local nd = x:dim()
    if not ndims[nd] then
      error(string.format("%s: expected input with %s dims, got shape [%s]", name, table.concat(ndims.list, " or "),
        table.concat(x:shape(), ",")), 2)
    end
    local training = self.training and not self.frozen
    local momentum = self.momentum or 0.0
    if training and self.track_running_stats then
      self.num_batches_tracked:add_(1)
      if not self.momentum then momentum = 1.0 / self.num_batches_tracked:item() end
    end
    local rm, rv
    if self.track_running_stats then rm, rv = self.running_mean, self.running_var end
    return mien.F.batch_norm(x, rm, rv, { weight = self.weight, bias = self.bias,
      training = training or not self.track_running_stats, momentum = momentum, eps = self.eps })
  end

  function C:extra_repr()
    local s = string.format("%d, eps=%g, momentum=%s", self.num_features, self.eps,
      self.momentum and string.format("%g", self.momentum) or "cumulative")
    if not self.affine then s = s .. ", affine=false" end
    if not self.track_running_stats then s = s .. ", track_running_stats=false" end
    return s
  end

  return C
end

M.BatchNorm1d = make("BatchNorm1d", { [2] = true, [3] = true, list = { "2", "3" } })
M.BatchNorm2d = make("BatchNorm2d", { [4] = true, list = { "4" } })
return M
