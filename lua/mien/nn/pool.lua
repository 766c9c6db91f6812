--- Pooling over NCHW input.
--   nn.MaxPool2d(kernel_size, {stride=kernel_size, padding=0, ceil_mode=false})
--   nn.AvgPool2d(kernel_size, {stride=kernel_size, padding=0, ceil_mode=false, count_include_pad=true})
--   nn.GlobalAvgPool2d()  -- [N,C,H,W] -> [N,C]
-- kernel_size, stride and padding are numbers or {h, w} pairs.
local mien = require "mien"
local Module = require "mien.nn.module"

local M = {}

local function pair_str(p)
  if type(p) == "number" then return tostring(p) end
  return p[1] == p[2] and tostring(p[1]) or string.format("(%d, %d)", p[1], p[2])
end

local function pool_class(name, fn, has_count)
  local C = Module:extend(name)
  function C:__init(kernel_size, opts)
    if type(kernel_size) == "table" and kernel_size.kernel_size then -- MaxPool2d{kernel_size = 2, ...}
      kernel_size, opts = kernel_size.kernel_size, kernel_size
    end
    opts = opts or {}
    assert(kernel_size, name .. ": kernel_size is required")
    self.kernel_size = kernel_size
    self.stride = opts.stride or kernel_size
    self.padding = opts.padding or 0
    self.ceil_mode = opts.ceil_mode or false
    if has_count then self.count_include_pad = opts.count_include_pad ~= false end
  end
  function C:forward(x)
    return fn(x, { kernel_size = self.kernel_size, stride = self.stride, padding = self.padding,
      ceil_mode = self.ceil_mode, count_include_pad = self.count_include_pad })
  end
  function C:extra_repr()
    local s = string.format("kernel_size=%s, stride=%s", pair_str(self.kernel_size), pair_str(self.stride))
    if self.padding ~= 0 then s = s .. ", padding=" .. pair_str(self.padding) end
    if self.ceil_mode then s = s .. ", ceil_mode=true" end
    return s
  end
  M[name] = C
end

pool_class("MaxPool2d", mien.F.max_pool2d, false)
pool_class("AvgPool2d", mien.F.avg_pool2d, true)

local GlobalAvgPool2d = Module:extend("GlobalAvgPool2d")
--- The mean over H and W of each channel.
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor [N,C]
function GlobalAvgPool2d:forward(x) return mien.F.global_avg_pool2d(x) end
M.GlobalAvgPool2d = GlobalAvgPool2d

return M
