--- Inverted dropout: while training, each element is zeroed with
-- probability p and the rest are scaled by 1/(1-p); identity in eval mode.
-- The mask comes from mien's global generator (mien.manual_seed).
--   nn.Dropout(p=0.5)
local mien = require "mien"
local Module = require "mien.nn.module"

local M = {}

local Dropout = Module:extend("Dropout")
function Dropout:__init(p)
  p = p or 0.5
  assert(type(p) == "number" and p >= 0 and p <= 1, "Dropout: p must be in [0, 1]")
  self.p = p
end
--- x with each element zeroed with probability p and the rest scaled by 1/(1-p) while training; x itself in eval mode.
-- @tparam Tensor x
-- @treturn Tensor
function Dropout:forward(x)
  return mien.F.dropout(x, self.p, self.training)
end
--- "p=" for printing.
-- @treturn string
function Dropout:extra_repr() return string.format("p=%g", self.p) end
M.Dropout = Dropout

return M
