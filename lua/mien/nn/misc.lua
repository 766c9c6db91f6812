--- Small modules: Identity, Flatten, Residual, Lambda, Function, and the loss
-- modules CrossEntropyLoss, MSELoss, BCEWithLogitsLoss.
--   nn.Flatten(start_dim=2, end_dim=-1)              -- dims 1-based: [N,C,H,W] -> [N,C*H*W]
--   nn.Residual(block, shortcut)                     -- block(x) + shortcut(x), or + x
--   nn.Lambda(function(x, ...) return ... end)       -- a module of a plain function
--   nn.Function(function(self, x) return x * self.scale end,
--               {params = {scale = t}, buffers = {...}, name = "Scale"})
local mien = require "mien"
local Module = require "mien.nn.module"

local M = {}

local Identity = Module:extend("Identity")
--- x itself.
-- @param x
-- @return x
function Identity:forward(x) return x end
M.Identity = Identity

local Flatten = Module:extend("Flatten")
function Flatten:__init(start_dim, end_dim)
  self.start_dim, self.end_dim = start_dim or 2, end_dim or -1
end
--- x flattened from start_dim to end_dim.
-- @tparam Tensor x
-- @treturn Tensor
function Flatten:forward(x) return x:flatten(self.start_dim, self.end_dim) end
--- "start_dim=, end_dim=" for printing.
-- @treturn string
function Flatten:extra_repr() return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim) end
M.Flatten = Flatten

local Residual = Module:extend("Residual")
function Residual:__init(block, shortcut)
  assert(Module.is_module(block), "Residual: block must be a module")
  self.block = block
  if shortcut ~= nil then
    assert(Module.is_module(shortcut), "Residual: shortcut must be a module")
    self.shortcut = shortcut
  end
end
--- block(x) + shortcut(x) (x itself without a shortcut).
-- @tparam Tensor x
-- @treturn Tensor
function Residual:forward(x)
  local y = self.block(x)
  local s = self.shortcut and self.shortcut(x) or x
  return y + s
end
M.Residual = Residual

local Lambda = Module:extend("Lambda")
function Lambda:__init(fn, opts)
  assert(type(fn) == "function", "Lambda: expected a function")
  rawset(self, "fn", fn)
  if opts and opts.name then rawset(self, "label", opts.name) end
end
--- fn(...): the wrapped function of the inputs.
-- @return what fn returns
function Lambda:forward(...) return self.fn(...) end
--- The label given at construction, for printing.
-- @treturn string
function Lambda:extra_repr() return self.label or "" end
M.Lambda = Lambda

-- A module from a function of (module, inputs...) with its own parameters
-- and buffers, reachable as self.<name> inside the function.
local Function = Module:extend("Function")
function Function:__init(fn, opts)
  assert(type(fn) == "function", "Function: expected a function")
  opts = opts or {}
  rawset(self, "fn", fn)
  if opts.name then rawset(self, "label", opts.name) end
  local function sorted_keys(t)
    local keys = {}
    for k in pairs(t or {}) do keys[#keys + 1] = k end
    table.sort(keys)
    return keys
  end
  for _, k in ipairs(sorted_keys(opts.params)) do self:register_parameter(k, opts.params[k]) end
  for _, k in ipairs(sorted_keys(opts.buffers)) do self:register_buffer(k, opts.buffers[k]) end
  for _, k in ipairs(sorted_keys(opts.modules)) do self:add_module(k, opts.modules[k]) end
end
--- fn(self, ...): the wrapped function, with this module (its parameters) first.
-- @return what fn returns
function Function:forward(...) return self.fn(self, ...) end
--- The label given at construction, for printing.
-- @treturn string
function Function:extra_repr() return self.label or "" end
M.Function = Function

-- Losses (labels are 1-based int64 class indices, as in F.cross_entropy).
local CrossEntropyLoss = Module:extend("CrossEntropyLoss")
function CrossEntropyLoss:__init(opts)
  opts = opts or {}
  rawset(self, "opts", { weight = opts.weight, label_smoothing = opts.label_smoothing, reduction = opts.reduction })
end
--- Cross-entropy of logits [N,C] against 1-based int64 labels [N] (F.cross_entropy with the options given at construction).
-- @tparam Tensor logits
-- @tparam Tensor labels
-- @treturn Tensor scalar (or [N] with reduction = "none")
function CrossEntropyLoss:forward(logits, labels) return mien.F.cross_entropy(logits, labels, self.opts) end
M.CrossEntropyLoss = CrossEntropyLoss

local MSELoss = Module:extend("MSELoss")
function MSELoss:__init(opts) rawset(self, "opts", opts or {}) end
--- Mean squared error of a against b (F.mse_loss).
-- @tparam Tensor a
-- @tparam Tensor b
-- @treturn Tensor
function MSELoss:forward(a, b) return mien.F.mse_loss(a, b, self.opts) end
M.MSELoss = MSELoss

local BCEWithLogitsLoss = Module:extend("BCEWithLogitsLoss")
function BCEWithLogitsLoss:__init(opts) rawset(self, "opts", opts or {}) end
--- Binary cross-entropy of logits a against 0/1 targets b (F.binary_cross_entropy_with_logits).
-- @tparam Tensor a logits
-- @tparam Tensor b targets
-- @treturn Tensor
function BCEWithLogitsLoss:forward(a, b) return mien.F.binary_cross_entropy_with_logits(a, b, self.opts) end
M.BCEWithLogitsLoss = BCEWithLogitsLoss

return M
