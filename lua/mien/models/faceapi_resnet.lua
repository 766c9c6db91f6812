--- face-api's face recognition net: a ResNet-34-like port of dlib's face
-- descriptor. Input 150x150 RGB, (p - [122.782, 117.001, 104.298]) / 256.
--   conv32_down: 7x7 stride-2 'valid' conv + bias, per-channel scale, relu -> 72 px
--   3x3 stride-2 'valid' max pool -> 35 px
--   residual blocks conv32_1..3, conv64_down, conv64_1..3, conv128_down,
--   conv128_1..2, conv256_down, conv256_1..2, conv256_down_out (35 -> 17 -> 8 -> 4 -> 2)
--   global mean -> pooled [N,256] -> @ fc [256,128] (no bias, no L2 norm)
-- A residual block is relu(x + scale(conv2(relu(scale(conv1(x)))))) with 3x3
-- 'same' convs; a down block's conv1 is 3x3 stride 2 'valid', its shortcut a
-- 2x2/2 'valid' average pool, zero-padded in channels where they double; when
-- the conv branch is one pixel smaller than the pooled one, a zero row (bottom)
-- and a zero column (right) are appended to it before the add.
local mien = require "mien"
local Module = require "mien.nn.module"
local L = require "mien.models.layers"

local F = mien.F
local M = {}

-- conv (+bias) then scale, optional relu.
local ConvLayer = Module:extend("ConvScale")
function ConvLayer:__init(cin, cout, k, opts)
  opts = opts or {}
  self.conv = L.Conv(cin, cout, k, { stride = opts.stride or 1, padding = opts.padding or "same" })
  self.scale = L.Scale(cout)
  self.relu = opts.relu ~= false
end
--- Convolution, per-channel scale and (optionally) ReLU.
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor
function ConvLayer:forward(x)
  local c = self.conv(x)
  local y = self.scale(c)
  c:close()
  if self.relu then
    local r = F.relu(y)
    y:close()
    y = r
  end
  return y
end
M.ConvLayer = ConvLayer

local Residual = Module:extend("ResidualBlock")
function Residual:__init(cin, cout, down)
  self.down = down or false
  self.cin, self.cout = cin, cout
  if down then
    self.conv1 = ConvLayer(cin, cout, 3, { stride = 2, padding = "valid" })
  else
    self.conv1 = ConvLayer(cin, cout, 3)
  end
  self.conv2 = ConvLayer(cout, cout, 3, { relu = false })
end
--- (intermediates are closed once used; see faceapi_dense.lua)
function Residual:forward(x)
  local h = self.conv1(x)
  local out = self.conv2(h)
  h:close()
  local short = x
  if self.down then
    short = F.avg_pool2d(x, { kernel_size = 2, stride = 2 })
    local dh, dw = short:size(3) - out:size(3), short:size(4) - out:size(4)
    if dh > 0 or dw > 0 then
      local p = F.pad(out, { 0, dw, 0, dh })
      out:close()
      out = p
    end
    local dc = out:size(2) - short:size(2)
    if dc > 0 then
      local p = F.pad(short, { 0, 0, 0, 0, 0, dc })
      short:close()
      short = p
    end
  end
  local s = out + short
  out:close()
  if short ~= x then short:close() end
  local y = F.relu(s)
  s:close()
  return y
end
--- "cin, cout[, down]" for printing.
-- @treturn string
function Residual:extra_repr()
  return string.format("%d, %d%s", self.cin, self.cout, self.down and ", down" or "")
end
M.Residual = Residual

local BLOCKS = {
  { "conv32_1", 32, 32 }, { "conv32_2", 32, 32 }, { "conv32_3", 32, 32 },
  { "conv64_down", 32, 64, true }, { "conv64_1", 64, 64 }, { "conv64_2", 64, 64 }, { "conv64_3", 64, 64 },
  { "conv128_down", 64, 128, true }, { "conv128_1", 128, 128 }, { "conv128_2", 128, 128 },
  { "conv256_down", 128, 256, true }, { "conv256_1", 256, 256 }, { "conv256_2", 256, 256 },
  { "conv256_down_out", 256, 256, true },
}
M.BLOCKS = BLOCKS

-- The trunk: x [N,3,150,150] -> pooled [N,256] (opts.pool = false: the last [N,256,2,2] map).
local Trunk = Module:extend("FaceRecognitionTrunk")
function Trunk:__init(opts)
  opts = opts or {}
  self.conv32_down = ConvLayer(3, 32, 7, { stride = 2, padding = "valid" })
  for _, b in ipairs(BLOCKS) do self[b[1]] = Residual(b[2], b[3], b[4]) end
  self.pool = opts.pool ~= false
end
--- The trunk's features of a batch: [N,256] pooled, or the last feature map.
-- @tparam Tensor x float32 [N,3,150,150]
-- @treturn Tensor
function Trunk:forward(x)
  local c = self.conv32_down(x)
  x = F.max_pool2d(c, { kernel_size = 3, stride = 2 })
  c:close()
  for _, b in ipairs(BLOCKS) do
    local y = self[b[1]](x)
    x:close()
    x = y
  end
  if not self.pool then return x end
  local m = x:mean({ 3, 4 })
  x:close()
  return m
end
M.Trunk = Trunk

-- trunk + fc (no bias): the 128-d descriptor.
local Net = Module:extend("FaceRecognitionNet")
function Net:__init(opts)
  self.trunk = Trunk(opts)
  self:register_parameter("fc", mien.zeros({ 256, 128 }, { requires_grad = true }))
end
--- The 128-d face descriptors of a batch.
-- @tparam Tensor x float32 [N,3,150,150]
-- @treturn Tensor float32 [N,128]
function Net:forward(x)
  return self.trunk(x):matmul(self.fc)
end
M.Net = Net

--- The mien parameter name of a face-api tensor name (drops the "trunk/" prefix).
-- @tparam string key the manifest's tensor name
-- @tparam string name the same name (unused form kept for layers.fill)
-- @treturn string
function M.rename(key, name)
  return (name:gsub("^trunk/", ""))
end

--- The recognition net, filled from manifest tensors when given.
-- @tparam[opt] table tensors name -> tensor (TF layout) from mien.tfjs.load_manifest
-- @treturn Net
function M.build(tensors)
  local net = Net()
  if tensors then L.fill(net, tensors, { rename = M.rename, what = "face-api recognition net" }) end
  return net
end

-- Model zoo entry (mien.models.load): (p - mean_rgb) / 256 in augment_batch
-- form is mean = mean_rgb / 255, std = 256 / 255.
M.entries = {
  faceapi_recognition = {
    name = "faceapi_recognition", kind = "faceapi", file = "face-api/face_recognition_model-weights_manifest.json",
    input = { size = { 150, 150 }, channels = 3, mean = { 122.782 / 255, 117.001 / 255, 104.298 / 255 },
      std = 256 / 255 },
    normalization = "(p - [122.782, 117.001, 104.298]) / 256, RGB",
    output_dim = 128, backbone = { dim = 256 },
    build = function(tensors, opts)
      local net = M.build(tensors)
      if opts and opts.include_top == false then return net.trunk end
      return net
    end,
  },
}

return M
