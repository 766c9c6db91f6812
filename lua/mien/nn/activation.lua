--- Activations: ReLU, ReLU6, LeakyReLU(slope=0.01), PReLU(num_parameters=1,
-- init=0.25), Sigmoid, Tanh, Softmax(dim), LogSoftmax(dim) (dims 1-based,
-- default the last), GELU (tanh approximation), ELU(alpha=1).
local mien = require "mien"
local Module = require "mien.nn.module"

local M = {}
local F = mien.F

local function simple(name, fn)
  local C = Module:extend(name)
  function C:forward(x) return fn(x) end
  M[name] = C
  return C
end

simple("ReLU", F.relu)
simple("ReLU6", F.relu6)
simple("Sigmoid", F.sigmoid)
simple("Tanh", F.tanh)

local GELU = simple("GELU", function(x)
  local c = math.sqrt(2 / math.pi)
  return x * 0.5 * ((x + x * x * x * 0.044715) * c):tanh() + x * 0.5
end)
--- "approximate=tanh" for printing.
-- @treturn string
GELU.extra_repr = function() return "approximate=tanh" end

local LeakyReLU = Module:extend("LeakyReLU")
function LeakyReLU:__init(negative_slope)
  self.negative_slope = negative_slope or 0.01
end
--- max(x, 0) + negative_slope * min(x, 0).
-- @tparam Tensor x
-- @treturn Tensor
function LeakyReLU:forward(x) return F.leaky_relu(x, self.negative_slope) end
--- "negative_slope=" for printing.
-- @treturn string
function LeakyReLU:extra_repr() return string.format("negative_slope=%g", self.negative_slope) end
M.LeakyReLU = LeakyReLU

local ELU = Module:extend("ELU")
function ELU:__init(alpha)
  self.alpha = alpha or 1.0
end
--- max(x, 0) + min(alpha * (exp(x) - 1), 0).
-- @tparam Tensor x
-- @treturn Tensor
function ELU:forward(x)
  -- max(x, 0) + min(alpha * (exp(x) - 1), 0)
  return F.relu(x) + ((x:minimum(0)):exp() - 1) * self.alpha
end
--- "alpha=" for printing.
-- @treturn string
function ELU:extra_repr() return string.format("alpha=%g", self.alpha) end
M.ELU = ELU

local PReLU = Module:extend("PReLU")
function PReLU:__init(num_parameters, init, opts)
  if type(num_parameters) == "table" then num_parameters, init, opts = nil, nil, num_parameters end
  opts = opts or {}
  self.num_parameters = num_parameters or opts.num_parameters or 1
  local v = init or opts.init or 0.25
  self:register_parameter("weight", mien.full({ self.num_parameters }, v, { dtype = opts.dtype or "float32",
    requires_grad = true }))
end
--- ReLU with a learnt slope for negatives (one, or one per channel).
-- @tparam Tensor x
-- @treturn Tensor
function PReLU:forward(x) return F.prelu(x, self.weight) end
--- "num_parameters=" for printing.
-- @treturn string
function PReLU:extra_repr() return string.format("num_parameters=%d", self.num_parameters) end
M.PReLU = PReLU

local function softmax_class(name, fn)
  local C = Module:extend(name)
  function C:__init(dim) self.dim = dim or -1 end
  function C:forward(x) return fn(x, self.dim) end
  function C:extra_repr() return "dim=" .. self.dim end
  M[name] = C
end
softmax_class("Softmax", F.softmax)
softmax_class("LogSoftmax", F.log_softmax)

return M
