--- Building blocks of small image classifiers: squeeze-excitation, the
-- residual basic block (two 3x3 convolutions) and its depthwise-separable
-- variant, each with BatchNorm and an optional squeeze-excitation.
--   nn.SqueezeExcite(C, {reduction=4})             -- x * sigmoid(W2 relu(W1 mean_hw(x)))
--   nn.ResBlock(cin, cout, {stride=1, se=0})       -- relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))
--   nn.SepResBlock(cin, cout, {stride=1, se=0})    -- the same with depthwise 3x3 + pointwise 1x1 convolutions
local mien = require "mien"
local Module = require "mien.nn.module"
local Conv2d = require("mien.nn.conv").Conv2d
local Linear = require("mien.nn.linear").Linear
local norm = require "mien.nn.norm"
local containers = require "mien.nn.containers"

local F = mien.F
local M = {}

local SqueezeExcite = Module:extend("SqueezeExcite")
--- Squeeze-excitation (Hu et al. 2018): each channel scaled by a gate in (0, 1)
-- computed from the channel means of the whole map.
-- @int channels C of the [N,C,H,W] input
-- @tparam[opt] table opts reduction (4: the hidden width is max(1, C // reduction)), dtype ("float32")
function SqueezeExcite:__init(channels, opts)
  opts = opts or {}
  assert(math.type(channels) == "integer" and channels > 0, "SqueezeExcite: channels must be a positive integer")
  local reduction = opts.reduction or 4
  assert(type(reduction) == "number" and reduction > 0, "SqueezeExcite: reduction must be a positive number")
  self.channels = channels
  self.hidden = math.max(1, math.floor(channels / reduction))
  self.squeeze = Linear(channels, self.hidden, { dtype = opts.dtype })
  self.excite = Linear(self.hidden, channels, { dtype = opts.dtype })
end

--- x scaled per channel.
-- @tparam Tensor x [N,C,H,W]
-- @treturn Tensor [N,C,H,W]
function SqueezeExcite:forward(x)
  if x:dim() ~= 4 or x:size(2) ~= self.channels then
    error(string.format("SqueezeExcite: expected [N,%d,H,W] input, got [%s]", self.channels,
      table.concat(x:shape(), ",")), 2)
  end
  local s = F.global_avg_pool2d(x)
  local gate = F.sigmoid(self.excite(F.relu(self.squeeze(s))))
  return x * gate:reshape({ x:size(1), self.channels, 1, 1 })
end

--- "channels, hidden=" for printing.
-- @treturn string
function SqueezeExcite:extra_repr() return string.format("%d, hidden=%d", self.channels, self.hidden) end
M.SqueezeExcite = SqueezeExcite

-- conv (no bias: BatchNorm follows) + BatchNorm [+ ReLU]
local function conv_bn(cin, cout, k, opts, relu)
  local s = containers.Sequential(Conv2d(cin, cout, k, { stride = opts.stride or 1, padding = k // 2,
    groups = opts.groups or 1, bias = false, dtype = opts.dtype }), norm.BatchNorm2d(cout, { dtype = opts.dtype }))
  if relu then s:add(require("mien.nn.activation").ReLU()) end
  return s
end

-- the projection shortcut where the shape changes (1x1 conv with the stride, BatchNorm)
local function shortcut(cin, cout, stride, dtype)
  if cin == cout and stride == 1 then return nil end
  return conv_bn(cin, cout, 1, { stride = stride, dtype = dtype }, false)
end

local function check_block(name, cin, cout, opts)
  assert(math.type(cin) == "integer" and cin > 0 and math.type(cout) == "integer" and cout > 0,
    name .. ": channel counts must be positive integers")
  local stride = opts.stride or 1
  assert(stride == 1 or stride == 2, name .. ": stride must be 1 or 2")
  return stride
end

local ResBlock = Module:extend("ResBlock")
--- The residual basic block (He et al. 2016): two 3x3 conv+BN, the second
-- optionally followed by squeeze-excitation, plus the identity (or a 1x1
-- projection where the shape changes), then ReLU.
-- @int cin input channels
-- @int cout output channels
-- @tparam[opt] table opts stride (1 or 2), se (0: none; else the squeeze-excitation reduction, e.g. 4),
-- dtype ("float32")
function ResBlock:__init(cin, cout, opts)
  opts = opts or {}
  local stride, dt = check_block("ResBlock", cin, cout, opts), opts.dtype
  self.body = conv_bn(cin, cout, 3, { stride = stride, dtype = dt }, true)
  self.body:add(conv_bn(cout, cout, 3, { dtype = dt }, false))
  if (opts.se or 0) > 0 then self.body:add(SqueezeExcite(cout, { reduction = opts.se, dtype = dt })) end
  local sc = shortcut(cin, cout, stride, dt)
  if sc then self.shortcut = sc end
end

--- relu(body(x) + shortcut(x)).
-- @tparam Tensor x [N,cin,H,W]
-- @treturn Tensor [N,cout,H/stride,W/stride]
function ResBlock:forward(x)
  local s = self.shortcut and self.shortcut(x) or x
  return F.relu(self.body(x) + s)
end
M.ResBlock = ResBlock

local SepResBlock = Module:extend("SepResBlock")
--- The residual block with depthwise-separable convolutions (as in
-- Xception/MobileNet): twice depthwise 3x3 + BN + pointwise 1x1 + BN (ReLU
-- between), optional squeeze-excitation, the identity or a 1x1 projection,
-- then ReLU. About 8x fewer FLOPs than ResBlock at the same width.
-- @int cin input channels
-- @int cout output channels
-- @tparam[opt] table opts stride (1 or 2), se (0: none; else the squeeze-excitation reduction),
-- dtype ("float32")
function SepResBlock:__init(cin, cout, opts)
  opts = opts or {}
  local stride, dt = check_block("SepResBlock", cin, cout, opts), opts.dtype
  self.body = containers.Sequential(
    conv_bn(cin, cin, 3, { stride = stride, groups = cin, dtype = dt }, false),
    conv_bn(cin, cout, 1, { dtype = dt }, true),
    conv_bn(cout, cout, 3, { groups = cout, dtype = dt }, false),
    conv_bn(cout, cout, 1, { dtype = dt }, false))
  if (opts.se or 0) > 0 then self.body:add(SqueezeExcite(cout, { reduction = opts.se, dtype = dt })) end
  local sc = shortcut(cin, cout, stride, dt)
  if sc then self.shortcut = sc end
end

--- relu(body(x) + shortcut(x)).
-- @tparam Tensor x [N,cin,H,W]
-- @treturn Tensor [N,cout,H/stride,W/stride]
SepResBlock.forward = ResBlock.forward
M.SepResBlock = SepResBlock

return M
