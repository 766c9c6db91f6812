--- Fused inference: model:fuse() (or nn.fuse(model)) returns a copy of a model for inference in which each
-- Conv2d followed by BatchNorm2d (running statistics) becomes one convolution with folded weights and bias,
-- and a following ReLU and 2x2 max-pool (kernel 2, stride 2, no padding) run in that convolution's output pass
-- (F.conv2d_fused); Linear + BatchNorm1d (+ ReLU) fold the same way, and Dropout goes (eval is identity).
-- The model itself keeps its parameters and state_dict unchanged (fuse reads them; it is put in eval mode, and
-- its other layers are shared with the copy), so checkpoints save the unfused parameters: save the model, not
-- the fused copy, and fuse again after training or loading. The fused copy refuses train().
--   local fast = model:fuse(); local logits = mien.no_grad(function() return fast(x) end)
local mien = require "mien"
local Module = require "mien.nn.module"
local containers = require "mien.nn.containers"
local conv = require "mien.nn.conv"
local linear = require "mien.nn.linear"
local norm = require "mien.nn.norm"
local activation = require "mien.nn.activation"
local pool = require "mien.nn.pool"
local dropout = require "mien.nn.dropout"

local M = {}

local function refuse_training(self, mode)
  if mode == nil or mode then
    error(self.__name .. ": a fused model is for inference only; train the model it was fused from "
      .. "(model:fuse() left it unchanged) and fuse again", 2)
  end
  for m in self:modules() do rawset(m, "training", false) end
  return self
end

--- A convolution with BatchNorm folded in, ReLU and a 2x2 max-pool fused into its output pass.
-- Built by fuse; its weight and bias are buffers (no parameters to train).
local FusedConv2d = Module:extend("FusedConv2d")
function FusedConv2d:__init(src, weight, bias, relu, pool2)
  self.stride, self.padding, self.dilation, self.groups = src.stride, src.padding, src.dilation, src.groups
  self.in_channels, self.out_channels, self.kernel_size = src.in_channels, src.out_channels, src.kernel_size
  self.relu, self.pool = relu, pool2
  self:register_buffer("weight", weight)
  self:register_buffer("bias", bias)
  rawset(self, "training", false)
end
FusedConv2d.train = refuse_training

--- pool(relu(conv(x))) as fused (inference only).
-- @tparam Tensor x [N,in_channels,H,W]
-- @treturn Tensor [N,out_channels,H',W'] (halved by the pool when fused)
function FusedConv2d:forward(x)
  return mien.F.conv2d_fused(x, self.weight, self.bias, { stride = self.stride, padding = self.padding,
    dilation = self.dilation, groups = self.groups, relu = self.relu, pool = self.pool })
end

--- "in, out, kernel_size=k[, +relu][, +maxpool2]" for printing.
-- @treturn string
function FusedConv2d:extra_repr()
  return string.format("%d, %d, kernel_size=%d%s%s", self.in_channels, self.out_channels, self.kernel_size[1],
    self.relu and ", +relu" or "", self.pool and ", +maxpool2" or "")
end
M.FusedConv2d = FusedConv2d

--- A Linear layer with BatchNorm1d folded in, and its ReLU. Built by fuse.
local FusedLinear = Module:extend("FusedLinear")
function FusedLinear:__init(weight, bias, relu)
  self.relu = relu
  self:register_buffer("weight", weight)
  self:register_buffer("bias", bias)
  rawset(self, "training", false)
end
FusedLinear.train = refuse_training

--- relu(x W^T + b) as folded.
-- @tparam Tensor x [N,in_features]
-- @treturn Tensor [N,out_features]
function FusedLinear:forward(x)
  local y = mien.F.linear(x, self.weight, self.bias)
  return self.relu and mien.F.relu(y) or y
end

--- "in, out[, +relu]" for printing.
-- @treturn string
function FusedLinear:extra_repr()
  return string.format("%d, %d%s", self.weight:size(2), self.weight:size(1), self.relu and ", +relu" or "")
end
M.FusedLinear = FusedLinear

--- The Sequential of a fused model: runs like Sequential, refuses train().
local FusedSequential = containers.Sequential:extend("FusedSequential")
FusedSequential.train = refuse_training
M.FusedSequential = FusedSequential

local function class_of(m) return getmetatable(m) end

-- The BatchNorm folds into the layer before it when it normalises with running statistics in eval mode.
local function foldable_bn(m, cls)
  return m and class_of(m) == cls and m.track_running_stats and m.running_mean ~= nil
end

local function is_pool2(m)
  if not m or class_of(m) ~= pool.MaxPool2d then return false end
  local function two(v) return v == 2 or (type(v) == "table" and v[1] == 2 and v[2] == 2) end
  local function zero(v) return v == 0 or (type(v) == "table" and v[1] == 0 and v[2] == 0) end
  return two(m.kernel_size) and two(m.stride) and zero(m.padding) and not m.ceil_mode
    and (m.dilation == nil or m.dilation == 1)
end

-- Folds bn into (weight, bias) of the layer before it, in float64: w * s, (b - mean) * s + beta with
-- s = gamma / sqrt(var + eps) per output channel (dim 1 of w). Returns new tensors of w's dtype.
local function fold(weight, bias, bn)
  return mien.no_grad(function()
    local dtype, C = weight:dtype(), weight:size(1)
    local var = bn.running_var:to("float64")
    local gamma = bn.weight and bn.weight:to("float64") or mien.ones({ C }, { dtype = "float64" })
    local scale = gamma / (var + bn.eps):sqrt()
    local shift = bn.bias and bn.bias:to("float64") or mien.zeros({ C }, { dtype = "float64" })
    local b = bias and bias:to("float64") or mien.zeros({ C }, { dtype = "float64" })
    local view = { C }
    for _ = 2, weight:dim() do view[#view + 1] = 1 end
    local w = weight:to("float64") * scale:view(view)
    b = (b - bn.running_mean:to("float64")) * scale + shift
    return w:to(dtype):contiguous():detach(), b:to(dtype):contiguous():detach()
  end)
end

local function detached(t) return t and mien.no_grad(function() return t:detach():contiguous() end) end

local fuse_module

-- The children of a Sequential in order ({name, module}), fused into a FusedSequential.
local function fuse_sequential(seq)
  local list, out, i = seq:_child_list(), FusedSequential(), 1
  local function put(name, m)
    if name:match("^%d+$") then out:add(m) else out:add_module(name, m) end
  end
  while i <= #list do
    local name, m = list[i][1], list[i][2]
    local nxt = function(k) return list[i + k] and list[i + k][2] end
    local cls = class_of(m)
    if cls == conv.Conv2d then
      local w, b, used = detached(m.weight), detached(m.bias), 0
      if foldable_bn(nxt(1), norm.BatchNorm2d) then
        w, b = fold(m.weight, m.bias, nxt(1))
        used = 1
      end
      local relu = nxt(used + 1) ~= nil and class_of(nxt(used + 1)) == activation.ReLU
      if relu then used = used + 1 end
      while nxt(used + 1) and class_of(nxt(used + 1)) == dropout.Dropout do used = used + 1 end
      local pool2 = is_pool2(nxt(used + 1))
      if pool2 then used = used + 1 end
      put(name, FusedConv2d(m, w, b, relu, pool2))
      i = i + used + 1
    elseif cls == linear.Linear then
      local w, b, used = detached(m.weight), detached(m.bias), 0
      if foldable_bn(nxt(1), norm.BatchNorm1d) then
        w, b = fold(m.weight, m.bias, nxt(1))
        used = 1
      end
      local relu = nxt(used + 1) ~= nil and class_of(nxt(used + 1)) == activation.ReLU
      if relu then used = used + 1 end
      put(name, FusedLinear(w, b, relu))
      i = i + used + 1
    elseif cls == dropout.Dropout then
      i = i + 1 -- the identity in eval mode
    else
      put(name, fuse_module(m))
      i = i + 1
    end
  end
  return out
end

-- A Sequential is fused layer by layer; another module with children is copied (same class, same fields) with
-- its children fused, so its own forward runs on them; a leaf is shared as it is.
fuse_module = function(m)
  if class_of(m) == containers.Sequential or class_of(m) == FusedSequential then return fuse_sequential(m) end
  local children = m:_child_list()
  if #children == 0 then return m end
  local copy = setmetatable({}, class_of(m))
  for k, v in pairs(m) do rawset(copy, k, v) end
  for _, e in ipairs(children) do
    local key = math.tointeger(tonumber(e[1])) or e[1]
    rawset(copy, key, fuse_module(e[2]))
  end
  return copy
end

--- A fused copy of model for inference (see the module's summary); the model is put in eval mode.
-- @param model an nn module (Sequential trees fuse fully; other modules keep their forward, children fused)
-- @return the fused module (FusedSequential for a Sequential)
-- @usage local fast = model:fuse()
function M.fuse(model)
  if not Module.is_module(model) then error("fuse: expected a module, got " .. type(model), 2) end
  model:eval()
  return fuse_module(model)
end

return M
