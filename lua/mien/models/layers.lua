--- Layers with TensorFlow semantics for the hand-written face-api networks,
-- and the loader that fills a module's parameters from a TF.js weights
-- manifest by tensor name.
--
-- Parameter names mirror the TF.js names: the parameter at state-dict key
-- "dense0.conv1.depthwise_filter" is the manifest tensor
-- "dense0/conv1/depthwise_filter". Layouts are mien's (see fill()).
local mien = require "mien"
local Module = require "mien.nn.module"
local ops = require "mien.tfjs.ops"
local tfjs = require "mien.tfjs"

local F = mien.F
local L = {}

local function param(self, name, shape)
  self:register_parameter(name, mien.zeros(shape, { requires_grad = true }))
end

-- conv + bias, TF padding ("same" or "valid"); filters [out,in,kh,kw] (from HWIO).
local Conv = Module:extend("TFConv2d")
function Conv:__init(cin, cout, k, opts)
  opts = opts or {}
  self.cin, self.cout, self.k = cin, cout, k
  self.stride = opts.stride or 1
  self.padding = (opts.padding or "same"):upper()
  param(self, "filters", { cout, cin, k, k })
  if opts.bias ~= false then param(self, "bias", { cout }) end
end
--- TF-style convolution ("SAME"/"VALID" padding).
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor
function Conv:forward(x)
  return ops.conv2d(x, self.filters, self.bias, { stride = self.stride, padding = self.padding })
end
--- "cin, cout, kernel_size=, stride=, padding=" for printing.
-- @treturn string
function Conv:extra_repr()
  return string.format("%d, %d, kernel_size=%d, stride=%d, padding=%s", self.cin, self.cout, self.k, self.stride,
    self.padding)
end
L.Conv = Conv

-- tf.separableConv2d (depthwise 3x3 with stride, pointwise 1x1) + bias, 'same'.
local SepConv = Module:extend("TFSeparableConv2d")
function SepConv:__init(cin, cout, opts)
  opts = opts or {}
  self.cin, self.cout = cin, cout
  self.stride = opts.stride or 1
  local k = opts.kernel_size or 3
  param(self, "depthwise_filter", { cin, 1, k, k })
  param(self, "pointwise_filter", { cout, cin, 1, 1 })
  param(self, "bias", { cout })
end
--- Depthwise then pointwise convolution, "SAME" padding.
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor
function SepConv:forward(x)
  return ops.separable_conv2d(x, self.depthwise_filter, self.pointwise_filter, self.bias,
    { stride = self.stride, padding = "SAME" })
end
--- "cin, cout, stride=" for printing.
-- @treturn string
function SepConv:extra_repr() return string.format("%d, %d, stride=%d", self.cin, self.cout, self.stride) end
L.SepConv = SepConv

-- Per-channel affine x * weights + biases (face-api's "scale" layer).
local Scale = Module:extend("ChannelScale")
function Scale:__init(c)
  self.c = c
  param(self, "weights", { c })
  param(self, "biases", { c })
end
--- x * weights + biases per channel.
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor
function Scale:forward(x)
  local c = self.c
  local m = x * self.weights:view(1, c, 1, 1)
  local y = m + self.biases:view(1, c, 1, 1)
  m:close()
  return y
end
--- The channel count, for printing.
-- @treturn string
function Scale:extra_repr() return tostring(self.c) end
L.Scale = Scale

-- x @ weights [in,out] + bias (TF's dense layout kept).
local Dense = Module:extend("TFDense")
function Dense:__init(cin, cout, opts)
  self.cin, self.cout = cin, cout
  param(self, "weights", { cin, cout })
  if not (opts and opts.bias == false) then param(self, "bias", { cout }) end
end
--- x @ weights (+ bias).
-- @tparam Tensor x float32 [N,in]
-- @treturn Tensor float32 [N,out]
function Dense:forward(x)
  local y = x:matmul(self.weights)
  if self.bias then y = y + self.bias end
  return y
end
--- "cin, cout" for printing.
-- @treturn string
function Dense:extra_repr() return string.format("%d, %d", self.cin, self.cout) end
L.Dense = Dense

-- The mien-layout form of a manifest tensor for a parameter of this name.
local function convert(leaf, t)
  if t:dim() == 4 then
    if leaf:find("depthwise", 1, true) then return tfjs.depthwise_filter(t) end
    return tfjs.conv_filter(t)
  end
  return t
end

--- Fills every parameter of module from the manifest tensors (TF layout, as
-- tfjs.load_manifest(path, {layout = "tf"}) returns them). The tensor name of
-- a parameter is its state-dict key with "." -> "/", after opts.rename(key).
-- A missing or mis-shaped tensor is an error naming it; with opts.strict
-- (default true) so is a manifest tensor that no parameter takes.
function L.fill(module, tensors, opts)
  opts = opts or {}
  local used = {}
  local problems = {}
  mien.no_grad(function()
    for key, p in module:named_parameters() do
      local name = key:gsub("%.", "/")
      if opts.rename then name = opts.rename(key, name) end
      local t = tensors[name]
      if t == nil then
        problems[#problems + 1] = string.format("missing tensor '%s' (for %s %s)", name, key, tfjs.shape_str(p:shape()))
      else
        used[name] = true
        local leaf = name:match("[^/]*$")
        local c = convert(leaf, t)
        local a, b = c:shape(), p:shape()
        local same = #a == #b
        for i = 1, #a do same = same and a[i] == b[i] end
        if not same then
          problems[#problems + 1] = string.format("tensor '%s' has shape %s (TF layout %s), the network needs %s",
            name, tfjs.shape_str(a), tfjs.shape_str(t:shape()), tfjs.shape_str(b))
        else
          p:copy_(c)
        end
      end
    end
  end)
  if opts.strict ~= false then
    local extra = {}
    for name in pairs(tensors) do
      if not used[name] then extra[#extra + 1] = name end
    end
    table.sort(extra)
    if #extra > 0 then problems[#problems + 1] = "unused tensors: " .. table.concat(extra, ", ") end
  end
  if #problems > 0 then
    error((opts.what or "load weights") .. ": " .. table.concat(problems, "; "), 2)
  end
  return module
end

return L
