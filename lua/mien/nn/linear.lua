--- Linear (fully connected) layer: y = x W^T + b, W of shape [out, in].
--   nn.Linear(in_features, out_features, {bias=true, dtype="float32"})
-- Default initialisation as in PyTorch: kaiming_uniform with a = sqrt(5) for
-- W (uniform in +-1/sqrt(in)), bias uniform in +-1/sqrt(in).
local mien = require "mien"
local Module = require "mien.nn.module"
local init = require "mien.nn.initializers"

local M = {}

local Linear = Module:extend("Linear")

function Linear:__init(in_features, out_features, opts)
  opts = opts or {}
  assert(math.type(in_features) == "integer" and in_features > 0, "Linear: in_features must be a positive integer")
  assert(math.type(out_features) == "integer" and out_features > 0, "Linear: out_features must be a positive integer")
  self.in_features, self.out_features = in_features, out_features
  local dtype = opts.dtype or "float32"
  self:register_parameter("weight", mien.zeros({ out_features, in_features }, { dtype = dtype, requires_grad = true }))
  if opts.bias ~= false then
    self:register_parameter("bias", mien.zeros({ out_features }, { dtype = dtype, requires_grad = true }))
  end
  self:reset_parameters()
end

--- Re-draw the weight (Kaiming uniform, a = sqrt(5)) and the bias (uniform +-1/sqrt(in_features)), as PyTorch does.
function Linear:reset_parameters()
  init.kaiming_uniform_(self.weight, { a = math.sqrt(5) })
  if self.bias then
    local bound = 1 / math.sqrt(self.in_features)
    init.uniform_(self.bias, -bound, bound)
  end
end

--- x @ weight^T + bias.
-- @tparam Tensor x float32 [..., in_features]
-- @treturn Tensor [..., out_features]
function Linear:forward(x)
  return mien.F.linear(x, self.weight, self.bias)
end

--- "in, out[, bias=false]" for printing.
-- @treturn string
function Linear:extra_repr()
  return string.format("%d, %d%s", self.in_features, self.out_features, self.bias and "" or ", bias=false")
end

M.Linear = Linear
return M
