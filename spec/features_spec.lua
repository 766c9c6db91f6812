-- mien.features: one pass of a frozen backbone over a data set, multi-view
-- augmentation, the safetensors cache, and a feature loader for heads. A
-- small conv net stands in for the backbone; with ../shared the face-api
-- expression backbone runs on a few CK+ images as well.
local mien = require "mien"
local H = require "spec.support.helpers"
local nn = require "mien.nn"
local features = require "mien.features"


local function tiny_backbone()
  mien.manual_seed(5)
  local net = nn.Sequential(nn.Conv2d(3, 6, 3, { padding = 1 }), nn.BatchNorm2d(6), nn.ReLU(), nn.GlobalAvgPool2d())
  rawset(net, "input", { size = { 24, 24 }, channels = 3, mean = 0.5, std = 0.25 })
  rawset(net, "name", "tiny")
  return net
end

local function dataset(n)
  return mien.data.synthetic_faces { n = n, size = 32, seed = 3 }
end

describe("features.extract", function()
  it("runs the backbone once per image in eval mode without gradients", function()
    local ds = dataset(13)
    local net = tiny_backbone()
    net:train()
    local f, y, info = features.extract(net, ds, { batch = 4 })
    assert.are.same({ 13, 6 }, f:shape())
    assert.are.same(ds.labels:totable(), y:totable())
    assert.are.equal(6, info.dim)
    assert.is_false(info.cached)
    assert.is_false(f.requires_grad)
    assert.is_true(net.training) -- mode restored
    net:eval()
    local direct = mien.no_grad(function()
      return net(mien.core.augment_batch(ds.images, nil, net.input, 0, 0))
    end)
    assert.is_true((f - direct):abs():max():item() < 1e-6)
  end)

  it("makes k views per image, view 1 plain, the others augmented", function()
    local ds = dataset(7)
    local net = tiny_backbone()
    local plain = features.extract(net, ds, { batch = 3 })
    local f, y = features.extract(net, ds, { batch = 3, views = 3, augment = { flip = 0.5, rotation = 10, shift = 0.1 },
      seed = 9 })
    assert.are.same({ 21, 6 }, f:shape())
    assert.are.equal(21, y:size(1))
    assert.are.same(ds.labels:totable(), y:narrow(1, 15, 7):totable())
    assert.is_true((f:narrow(1, 1, 7) - plain):abs():max():item() < 1e-6)
    assert.is_true((f:narrow(1, 8, 7) - plain):abs():max():item() > 1e-4)
    assert.is_true((f:narrow(1, 8, 7) - f:narrow(1, 15, 7)):abs():max():item() > 1e-4)
    -- the same seed gives the same views; all-augmented views differ from the plain one
    local again = features.extract(net, ds, { batch = 7, views = 3, augment = { flip = 0.5, rotation = 10,
      shift = 0.1 }, seed = 9 })
    assert.is_true((again - f):abs():max():item() < 1e-6)
    local all = features.extract(net, ds, { views = 2, augment = { rotation = 10 }, plain_first = false })
    assert.is_true((all:narrow(1, 1, 7) - plain):abs():max():item() > 1e-4)
    assert.has_error(function() features.extract(net, ds, { views = 2 }) end)
  end)

  it("saves to a safetensors cache and loads it instead of recomputing", function()
    local ds = dataset(9)
    local net = tiny_backbone()
    local path = H.tmpdir() .. "/sub/feats.safetensors"
    local f1, y1, i1 = features.extract(net, ds, { path = path, batch = 4 })
    assert.is_false(i1.cached)
    local tensors = mien.io.load(path)
    assert.are.same({ 9, 6 }, tensors.features:shape())
    local f2, y2, i2 = features.extract(net, ds, { path = path, batch = 5 })
    assert.is_true(i2.cached)
    assert.are.equal(0, (f1 - f2):abs():max():item())
    assert.are.same(y1:totable(), y2:totable())
    -- other settings: recomputed and overwritten
    local f3, _, i3 = features.extract(net, ds, { path = path, views = 2, augment = { flip = 1 } })
    assert.is_false(i3.cached)
    assert.are.same({ 18, 6 }, f3:shape())
    local _, _, i4 = features.extract(net, ds, { path = path, views = 2, augment = { flip = 1 } })
    assert.is_true(i4.cached)
  end)

  it("extracts a subset by indices and feeds a head through features.loader", function()
    local ds = dataset(10)
    local net = tiny_backbone()
    local f, y = features.extract(net, ds, { indices = { 2, 4, 6 } })
    assert.are.same({ 3, 6 }, f:shape())
    assert.are.same({ ds.labels[2], ds.labels[4], ds.labels[6] }, y:totable())
    assert.are.same({ 1, 2, 11, 12 }, features.rows(10, 2, { 1, 2 }))
    local all, labels = features.extract(net, ds)
    local loader = features.loader(all, labels, { batch = 4, seed = 1 })
    assert.are.equal(3, #loader)
    local seen = 0
    for x, t in loader(1) do
      assert.are.equal(6, x:size(2))
      assert.are.equal(x:size(1), t:size(1))
      seen = seen + x:size(1)
    end
    assert.are.equal(10, seen)
  end)
end)

describe("features.extract with a face backbone", function()
  local csv = "../shared/data/ckplus48/labels.csv"
  local f = io.open(csv, "r")
  if not f then
    pending("../shared not found")
    return
  end
  f:close()
  it("gives the backbone's features of the preprocessed CK+ images", function()
    local ds = mien.data.manifest(csv)
    local sub = ds:subset { 1, 200, 400, 600, 800, 981 }
    local backbone = mien.models.load("faceapi_expression", { include_top = false })
    local feats = features.extract(backbone, sub, { batch = 4 })
    assert.are.same({ 6, 256 }, feats:shape())
    local direct = mien.no_grad(function() return backbone:eval()(backbone.preprocess(sub.images)) end)
    assert.is_true((feats - direct):abs():max():item() < 1e-5)
  end)
end)
