-- The resident data loader (loader(ds, {device = ...})): the data set is
-- copied to the device once and every batch is augmented there, through the
-- device's augment_batch entry (core.augment_tensor -> mien_augment_tensor).
-- Here it runs with device = "cpu", the same code path on the CPU backend; a
-- #gpu test runs it on CUDA on a GPU machine (scripts/gpu-check.sh).
local mien = require "mien"
local core = require "mien.core"
local data = require "mien.data"

local AUG = { flip = 0.5, rotation = 15, zoom = { 0.9, 1.1 }, erase = 0.5, shift = 0.1, shear = 5,
  brightness = 0.1, contrast = { 0.8, 1.2 } }

local function same_bits(a, b)
  return a:dtype() == b:dtype() and table.concat(a:shape(), ",") == table.concat(b:shape(), ",")
    and a:cpu():ne(b:cpu()):sum():item() == 0
end

local faces = data.synthetic_faces { n = 37, size = 48, seed = 9 }

local function batches(ld, epoch)
  local out = {}
  for x, y in ld(epoch) do out[#out + 1] = { x, y } end
  return out
end

-- the same batches, bit for bit, from a host loader and a resident one
local function assert_same_epochs(resident, host)
  for epoch = 1, 2 do
    local want, got = batches(host, epoch), batches(resident, epoch)
    assert.are.equal(#want, #got)
    for i = 1, #want do
      assert.is_true(same_bits(want[i][1], got[i][1]), "x of batch " .. i .. " of epoch " .. epoch)
      assert.is_true(same_bits(want[i][2], got[i][2]), "y of batch " .. i .. " of epoch " .. epoch)
    end
  end
end

describe("resident loader", function()
  it("gives the host loader's batches bit for bit (device = cpu)", function()
    local opts = { batch = 8, seed = 3, augment = AUG }
    local host = data.loader(faces, opts)
    opts.device = "cpu"
    local resident = data.loader(faces, opts)
    assert_same_epochs(resident, host)
    local x, y = resident()()
    assert.are.equal("cpu", x:device())
    assert.are.equal("cpu", y:device())
  end)

  it("keeps its indices, drop_last and RGB output", function()
    local opts = { batch = 5, seed = 1, indices = { 3, 9, 27, 1, 14, 14, 30, 2 }, drop_last = true,
      augment = { size = 40, channels = 3, mean = { 0.5, 0.4, 0.3 }, std = 0.25, flip = 0.5 } }
    local host = data.loader(faces, opts)
    opts.device = "cpu"
    assert_same_epochs(data.loader(faces, opts), host)
  end)

  it("copies the data set once, when it is made", function()
    local ld = data.loader(faces, { batch = 16, device = "cpu" })
    local images = ld.resident.images
    for _ in ld(1) do end
    for _ in ld(2) do end
    assert.are.equal(images, ld.resident.images)
  end)

  it("augments through the op layer, which checks indices and images", function()
    local idx = mien.tensor({ 1, 38 }, { dtype = "int64" })
    local ok, err = pcall(core.augment_tensor, faces.images, idx, {}, 1, 0)
    assert.is_false(ok)
    assert.matches("index 37 at batch position 1 is out of range [0, 37)", err, 1, true)
    ok, err = pcall(core.augment_tensor, faces.images:float(), nil, {}, 1, 0)
    assert.is_false(ok)
    assert.matches("contiguous uint8 [N,H,W,C]", err, 1, true)
    local want = core.augment_batch(faces.images, nil, AUG, 5, 40)
    assert.is_true(same_bits(want, core.augment_tensor(faces.images, nil, AUG, 5, 40)))
  end)

  it("raises the driver's reason for device = cuda without a GPU", function()
    if mien.cuda.available() then return end
    local ok, err = pcall(data.loader, faces, { batch = 4, device = "cuda" })
    assert.is_false(ok)
    assert.matches("loader: cannot keep the data set on cuda", err, 1, true)
    assert.matches(mien.cuda.why(), err, 1, true)
  end)

  it("rejects a device that is not a string", function()
    assert.has_error(function() data.loader(faces, { device = 1 }) end)
  end)
end)

describe("resident loader #gpu", function()
  it("gives the host loader's batches on the GPU, bit for bit", function()
    local opts = { batch = 8, seed = 3, augment = AUG }
    local host = data.loader(faces, opts)
    opts.device = "cuda"
    local resident = data.loader(faces, opts)
    assert_same_epochs(resident, host)
    local x = resident()()
    assert.are.equal("cuda:0", x:device())
  end)
end)
