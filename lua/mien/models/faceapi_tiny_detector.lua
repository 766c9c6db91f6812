--- face-api's tiny face detector: a Tiny-YOLOv2-style net with separable
-- convolutions (193k parameters, uint8-quantised). Input: a square RGB
-- image whose side is a multiple of 32 (416 by default), (p - mean_rgb)/256.
--
--   conv0   3x3 'valid' conv 3->16 + bias, leaky relu (slope 0.1)
--   then five times: max pool 2x2 stride 2 'same', separable conv (3x3
--   depthwise, 1x1 pointwise, bias, 'same'), leaky relu; channels 32, 64,
--   128, 256, 512
--   max pool 2x2 stride 1 'same', conv8: 1x1 conv 512->25 + bias
-- Output [N, 25, S/32, S/32]: per cell 5 anchors x (tx, ty, tw, th, score)
-- in channel order anchor*5 + k. mien.face.detect decodes it.
local mien = require "mien"
local Module = require "mien.nn.module"
local L = require "mien.models.layers"
local ops = require "mien.tfjs.ops"

local F = mien.F
local M = {}

M.ANCHORS = { { 1.603231, 2.094468 }, { 6.041143, 7.080126 }, { 2.882459, 3.518061 }, { 4.266906, 5.178857 },
  { 9.041765, 10.66308 } }
M.MEAN_RGB = { 117.001, 114.697, 97.404 }

local Net = Module:extend("TinyFaceDetector")
function Net:__init()
  self.conv0 = L.Conv(3, 16, 3, { padding = "valid" })
  local cin = 16
  for i, c in ipairs { 32, 64, 128, 256, 512 } do
    self["conv" .. i] = L.SepConv(cin, c)
    cin = c
  end
  self.conv8 = L.Conv(512, 25, 1, { padding = "valid" })
end

local function leaky(x)
  local y = F.leaky_relu(x, 0.1)
  x:close()
  return y
end

--- The detector's raw output grid of a batch (decoded by mien.face.detect).
-- @tparam Tensor x float32 [N,3,S,S], S a multiple of 32
-- @treturn Tensor float32 [N,25*5,S/32,S/32]
function Net:forward(x)
  x = leaky(self.conv0(x))
  for i = 1, 5 do
    local p = ops.max_pool2d(x, { kernel_size = 2, stride = 2, padding = "SAME" })
    x:close()
    x = leaky(self["conv" .. i](p))
    p:close()
  end
  local p = ops.max_pool2d(x, { kernel_size = 2, stride = 1, padding = "SAME" })
  x:close()
  local y = self.conv8(p)
  p:close()
  return y
end
M.Net = Net

local MEAN = {}
for i, v in ipairs(M.MEAN_RGB) do MEAN[i] = v / 255 end

M.entries = {
  faceapi_tiny_face_detector = {
    name = "faceapi_tiny_face_detector", kind = "faceapi",
    file = "face-api/tiny_face_detector_model-weights_manifest.json",
    input = { size = { 416, 416 }, channels = 3, mean = MEAN, std = 256 / 255 },
    normalization = "(p - [117.001, 114.697, 97.404]) / 256, RGB; the image padded to a square (bottom/right)",
    output_dim = 25,
    build = function(tensors, opts)
      if opts and opts.include_top == false then
        error("models.load('faceapi_tiny_face_detector'): a detector has no backbone form (include_top=false)", 3)
      end
      return L.fill(Net(), tensors, { what = "face-api tiny face detector" })
    end,
  },
}

return M
