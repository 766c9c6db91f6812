--- face-api's dense-block networks: the feature extractor shared by the
-- expression net and the 68-point landmark net (112x112 RGB input,
-- (p - [122.782, 117.001, 104.298]) / 255), and the tiny landmark net.
--
-- A dense block of n convs (4, or 3 in the tiny variant):
--   o1 = relu(conv0(x))      block 0: 3x3 stride-2 conv + bias; others: separable, stride 2
--   o2 = sep(o1)              sep = stride-1 separable conv + bias, no relu
--   o3 = sep(relu(o1 + o2))
--   o4 = sep(relu(o1 + o2 + o3))
--   out = relu(o1 + o2 + o3 + o4)          (n = 3: out = relu(o1 + o2 + o3))
-- Four blocks (32, 64, 128, 256 channels; 56, 28, 14, 7 px), a 7x7 stride-2
-- 'valid' average pool -> features [N,256], then fc: features @ W[256,K] + b.
-- The tiny net has three blocks of three convs (32, 64, 128; 56, 28, 14 px)
-- and a 14x14 pool -> [N,128].
local mien = require "mien"
local Module = require "mien.nn.module"
local L = require "mien.models.layers"
local ops = require "mien.tfjs.ops"

local F = mien.F
local M = {}

local DenseBlock = Module:extend("DenseBlock")
function DenseBlock:__init(cin, cout, first, nconv)
  self.nconv = nconv
  if first then
    self.conv0 = L.Conv(cin, cout, 3, { stride = 2, padding = "same" })
  else
    self.conv0 = L.SepConv(cin, cout, { stride = 2 })
  end
  for i = 1, nconv - 1 do self["conv" .. i] = L.SepConv(cout, cout) end
end
-- (Intermediates are closed once used: it frees their memory at once
-- instead of at the next garbage collection; autograd keeps what it needs.)
local function add_close(a, b)
  local s = a + b
  a:close()
  b:close()
  return s
end

--- y = block(x): four 3x3 convolutions with dense (summed) connections.
-- @tparam Tensor x float32 [N,C,H,W]
-- @treturn Tensor
function DenseBlock:forward(x)
  local c0 = self.conv0(x)
  local o1 = F.relu(c0)
  c0:close()
  local sum = add_close(o1, self.conv1(o1))
  for i = 2, self.nconv - 1 do
    local r = F.relu(sum)
    local o = self["conv" .. i](r)
    r:close()
    sum = add_close(sum, o)
  end
  local out = F.relu(sum)
  sum:close()
  return out
end
M.DenseBlock = DenseBlock

-- The feature extractor: x [N,3,112,112] -> [N,C] after the average pool
-- (opts.pool = false keeps the last block's [N,C,7,7] map).
local Features = Module:extend("FaceFeatureExtractor")
function Features:__init(opts)
  opts = opts or {}
  local channels = opts.channels or { 32, 64, 128, 256 }
  local nconv = opts.nconv or 4
  self.nblocks = #channels
  local cin = 3
  for i, c in ipairs(channels) do
    self["dense" .. (i - 1)] = DenseBlock(cin, c, i == 1, nconv)
    cin = c
  end
  self.out_channels = cin
  self.pool_size = opts.pool_size or 7
  self.pool = opts.pool ~= false
end
--- The feature map (or, with pool, the pooled features [N, out_channels]) of a batch.
-- @tparam Tensor x float32 [N,3,H,W]
-- @treturn Tensor
function Features:forward(x)
  for i = 0, self.nblocks - 1 do
    local y = self["dense" .. i](x)
    if i > 0 then x:close() end
    x = y
  end
  if not self.pool then return x end
  local k = self.pool_size
  local p = ops.avg_pool2d(x, { kernel_size = k, stride = 2, padding = "VALID" })
  x:close()
  return p:reshape(p:size(1), self.out_channels)
end
--- "blocks=N, out=C" for printing.
-- @treturn string
function Features:extra_repr() return string.format("blocks=%d, out=%d", self.nblocks, self.out_channels) end
M.Features = Features

-- features + fc; opts.softmax adds the softmax (the expression net's output).
local Net = Module:extend("FaceApiDenseNet")
function Net:__init(classes, opts)
  opts = opts or {}
  self.features = Features(opts)
  self.fc = L.Dense(self.features.out_channels, classes)
  self.softmax = opts.softmax or false
end
--- Scores [N, outputs] of a batch (probabilities with softmax).
-- @tparam Tensor x float32 [N,3,H,W]
-- @treturn Tensor
function Net:forward(x)
  local y = self.fc(self.features(x))
  if self.softmax then y = F.softmax(y, 2) end
  return y
end
--- "softmax" when the net ends with one.
-- @treturn string
function Net:extra_repr() return self.softmax and "softmax" or "" end
M.Net = Net

-- The face-api tensor names have no "features/" prefix: dense0/conv0/filters, fc/weights.
local function rename(key, name)
  return (name:gsub("^features/", ""))
end
M.rename = rename

--- Builds a net and fills it from the weights (TF layout). kind: "expression",
-- "landmarks" or "landmarks_tiny".
function M.build(kind, tensors, opts)
  opts = opts or {}
  local net
  if kind == "expression" then
    net = Net(7, { softmax = opts.softmax ~= false })
  elseif kind == "landmarks" then
    net = Net(136)
  elseif kind == "landmarks_tiny" then
    net = Net(136, { channels = { 32, 64, 128 }, nconv = 3, pool_size = 14 })
  else
    error("faceapi_dense: unknown kind '" .. tostring(kind) .. "'", 2)
  end
  if tensors then L.fill(net, tensors, { rename = rename, what = "face-api " .. kind }) end
  return net
end

-- Model zoo entries (mien.models.load). Normalisation in augment_batch form:
-- (v/255 - mean) / std with v = p, i.e. (p - mean_rgb) / 255.
local MEAN = { 122.782 / 255, 117.001 / 255, 104.298 / 255 }
local function entry(name, kind, file, extra)
  local e = {
    name = name, kind = "faceapi", file = "face-api/" .. file .. "-weights_manifest.json",
    input = { size = { 112, 112 }, channels = 3, mean = MEAN, std = 1 },
    normalization = "(p - [122.782, 117.001, 104.298]) / 255, RGB",
  }
  for k, v in pairs(extra) do e[k] = v end
  e.build = function(tensors, opts)
    local net = M.build(kind, tensors, opts)
    if opts and opts.include_top == false then return net.features end
    return net
  end
  return e
end
M.entries = {
  faceapi_expression = entry("faceapi_expression", "expression", "face_expression_model", {
    output_dim = 7, backbone = { dim = 256 },
    classes = { "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised" },
  }),
  faceapi_landmarks68 = entry("faceapi_landmarks68", "landmarks", "face_landmark_68_model", {
    output_dim = 136, backbone = { dim = 256 },
  }),
  faceapi_landmarks68_tiny = entry("faceapi_landmarks68_tiny", "landmarks_tiny", "face_landmark_68_tiny_model", {
    output_dim = 136, backbone = { dim = 128 },
  }),
}

return M
