-- face-api's dense-block networks: the feature extractor shared by the
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
function DenseBlock:forward(x)
  local o1 = F.relu(self.conv0(x))
  local o2 = self.conv1(o1)
  local sum = o1 + o2
  local o3 = self.conv2(F.relu(sum))
  sum = sum + o3
  if self.nconv == 4 then
    local o4 = self.conv3(F.relu(sum))
    sum = sum + o4
  end
  return F.relu(sum)
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
function Features:forward(x)
  for i = 0, self.nblocks - 1 do x = self["dense" .. i](x) end
  if not self.pool then return x end
  local k = self.pool_size
  x = ops.avg_pool2d(x, { kernel_size = k, stride = 2, padding = "VALID" })
  return x:reshape(x:size(1), self.out_channels)
end
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
function Net:forward(x)
  local y = self.fc(self.features(x))
  if self.softmax then y = F.softmax(y, 2) end
  return y
end
function Net:extra_repr() return self.softmax and "softmax" or "" end
M.Net = Net

-- The face-api tensor names have no "features/" prefix: dense0/conv0/filters, fc/weights.
local function rename(key, name)
  return (name:gsub("^features/", ""))
end
M.rename = rename

-- Builds a net and fills it from the weights (TF layout). kind: "expression",
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

return M
