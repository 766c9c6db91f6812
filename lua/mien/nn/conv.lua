--- 2-d convolution over NCHW input; weight [out, in/groups, kh, kw].
--   nn.Conv2d(in_channels, out_channels, kernel_size,
--             {stride=1, padding=0, dilation=1, groups=1, bias=true, dtype="float32"})
-- kernel_size, stride, padding and dilation are numbers or {h, w} pairs;
-- padding="same" keeps the size for stride 1 (odd effective kernels).
local mien = require "mien"
local Module = require "mien.nn.module"
local init = require "mien.nn.initializers"

local M = {}

local function pair(v, name)
  if type(v) == "number" then return { v, v } end
  if type(v) == "table" and #v == 2 then return { v[1], v[2] } end
  error("Conv2d: " .. name .. " must be a number or a {h, w} pair", 3)
end

local Conv2d = Module:extend("Conv2d")

function Conv2d:__init(in_channels, out_channels, kernel_size, opts)
  opts = opts or {}
  local groups = opts.groups or 1
  assert(in_channels % groups == 0 and out_channels % groups == 0,
    "Conv2d: in_channels and out_channels must be divisible by groups")
  self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
  self.kernel_size = pair(kernel_size, "kernel_size")
  self.stride = pair(opts.stride or 1, "stride")
  self.dilation = pair(opts.dilation or 1, "dilation")
  if opts.padding == "same" then
    local p = {}
    for d = 1, 2 do
      local span = self.dilation[d] * (self.kernel_size[d] - 1)
      assert(span % 2 == 0 and self.stride[d] == 1, "Conv2d: padding='same' needs stride 1 and an odd kernel span")
      p[d] = span // 2
    end
    self.padding = p
  else
    self.padding = pair(opts.padding or 0, "padding")
  end
  local dtype = opts.dtype or "float32"
  self:register_parameter("weight", mien.zeros({ out_channels, in_channels // groups, self.kernel_size[1],
    self.kernel_size[2] }, { dtype = dtype, requires_grad = true }))
  if opts.bias ~= false then
    self:register_parameter("bias", mien.zeros({ out_channels }, { dtype = dtype, requires_grad = true }))
  end
  self:reset_parameters()
end

--- Re-draw the weight (Kaiming uniform, a = sqrt(5)) and the bias (uniform +-1/sqrt(fan_in)), as PyTorch does.
function Conv2d:reset_parameters()
  init.kaiming_uniform_(self.weight, { a = math.sqrt(5) })
  if self.bias then
    local fan_in = init.fan_in_and_fan_out(self.weight)
    local bound = 1 / math.sqrt(fan_in)
    init.uniform_(self.bias, -bound, bound)
  end
end

--- The convolution of a batch.
-- @tparam Tensor x float32 [N,in_channels,H,W]
-- @treturn Tensor [N,out_channels,H',W']
function Conv2d:forward(x)
  return mien.F.conv2d(x, self.weight, self.bias,
    { stride = self.stride, padding = self.padding, dilation = self.dilation, groups = self.groups })
end

local function pair_str(p)
  return p[1] == p[2] and tostring(p[1]) or string.format("(%d, %d)", p[1], p[2])
end

--- "in, out, kernel_size=, stride=[, padding=][, dilation=][, groups=][, bias=false]" for printing.
-- @treturn string
function Conv2d:extra_repr()
  local s = string.format("%d, %d, kernel_size=%s, stride=%s", self.in_channels, self.out_channels,
    pair_str(self.kernel_size), pair_str(self.stride))
  if self.padding[1] ~= 0 or self.padding[2] ~= 0 then s = s .. ", padding=" .. pair_str(self.padding) end
  if self.dilation[1] ~= 1 or self.dilation[2] ~= 1 then s = s .. ", dilation=" .. pair_str(self.dilation) end
  if self.groups ~= 1 then s = s .. ", groups=" .. self.groups end
  if not self.bias then s = s .. ", bias=false" end
  return s
end

M.Conv2d = Conv2d
return M
