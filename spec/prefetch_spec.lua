-- Background prefetch in the data loader: core.augment_batch_async (a batch
-- augmented on a POSIX thread) gives the same bits as core.augment_batch,
-- brings the worker's errors back on wait and cleans up however it ends; a
-- loader with prefetch on gives the same batches as with it off, and leaving
-- its loop early leaks nothing.
local mien = require "mien"
local H = require "spec.support.helpers"
local core = require "mien.core"
local data = require "mien.data"

local AUG = { flip = 0.5, rotation = 15, zoom = { 0.9, 1.1 }, erase = 0.5, shift = 0.1, shear = 5,
  brightness = 0.1, contrast = { 0.8, 1.2 } }

local function same_bits(a, b)
  return a:dtype() == b:dtype() and table.concat(a:shape(), ",") == table.concat(b:shape(), ",")
    and a:ne(b):sum():item() == 0
end

local no_leak = H.no_leak

local faces = data.synthetic_faces { n = 70, size = 48, seed = 4 }

-- Every (x, y) of an epoch, in order.
local function epoch_batches(ld, epoch)
  local out = {}
  for x, y in ld(epoch) do out[#out + 1] = { x, y } end
  return out
end

describe("core.augment_batch_async", function()
  local idx = mien.tensor({ 5, 1, 70, 33, 33, 12 }, { dtype = "int64" })

  it("gives what augment_batch gives, with or without indices and at any thread count", function()
    local want = core.augment_batch(faces.images, idx, AUG, 7, 400)
    assert.is_true(same_bits(want, core.augment_batch_async(faces.images, idx, AUG, 7, 400):wait()))
    assert.is_true(same_bits(want, core.augment_batch_async(faces.images, idx, AUG, 7, 400, 1):wait()))
    local rgb = { size = 64, channels = 3, mean = { 0.5, 0.4, 0.3 }, std = 0.25, flip = 0.5 }
    assert.is_true(same_bits(core.augment_batch(faces.images, nil, rgb, 3, 0),
      core.augment_batch_async(faces.images, nil, rgb, 3, 0, 2):wait()))
  end)

  it("raises the worker's error on wait, naming the problem", function()
    local bad = mien.tensor({ 1, 71 }, { dtype = "int64" })
    local job = core.augment_batch_async(faces.images, bad, AUG, 0, 0) -- the kernel finds it, on the worker
    local ok, err = pcall(job.wait, job)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("out of range", 1, true), tostring(err))
    assert.truthy(tostring(err):find("index 70", 1, true), tostring(err))
    -- what the calling thread can check fails at once
    ok, err = pcall(core.augment_batch_async, faces.images, idx, { zoom = 2 }, 0, 0)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("zoom", 1, true), tostring(err))
    ok, err = pcall(core.augment_batch_async, faces.images, idx, {}, 0, 0, -1)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("threads", 1, true), tostring(err))
  end)

  it("closes harmlessly twice, by <close> and after a wait; a wait after a close says so", function()
    no_leak("closing jobs", function()
      local job = core.augment_batch_async(faces.images, idx, AUG, 1, 0)
      job:close()
      job:close()
      local ok, err = pcall(job.wait, job)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("already waited for or closed", 1, true), tostring(err))
      do
        local scoped <close> = core.augment_batch_async(faces.images, nil, AUG, 1, 0)
        scoped:close()
      end
      local done = core.augment_batch_async(faces.images, idx, AUG, 1, 0)
      assert.equal(6, done:wait():size(1))
      done:close()
    end)
  end)

  it("leaves nothing behind when a running job is dropped and collected", function()
    no_leak("dropped jobs", function()
      for i = 1, 8 do core.augment_batch_async(faces.images, nil, { size = 96, channels = 3 }, i, 0) end
    end)
  end)
end)

describe("loader prefetch", function()
  it("gives the same x and y as without prefetch, every batch of two epochs", function()
    local on = data.loader(faces, { batch = 16, seed = 9, augment = AUG })
    local off = data.loader(faces, { batch = 16, seed = 9, augment = AUG, prefetch = false })
    assert.is_true(on.prefetch)
    for epoch = 1, 2 do
      local a, b = epoch_batches(on, epoch), epoch_batches(off, epoch)
      assert.equal(5, #a)
      assert.equal(#b, #a)
      for k = 1, #a do
        assert.is_true(same_bits(a[k][1], b[k][1]), string.format("epoch %d batch %d: x", epoch, k))
        assert.is_true(same_bits(a[k][2], b[k][2]), string.format("epoch %d batch %d: y", epoch, k))
      end
    end
    -- and with a one-thread worker, a dropped last batch and given indices
    local function opts(extra)
      local o = { batch = 6, seed = 2, augment = AUG, drop_last = true, indices = { 3, 9, 27, 1, 70, 44, 8, 15, 61 } }
      for k, v in pairs(extra) do o[k] = v end
      return o
    end
    local off2 = epoch_batches(data.loader(faces, opts { prefetch = false }), 1)
    local on2 = epoch_batches(data.loader(faces, opts { threads = 1 }), 1)
    assert.equal(1, #on2)
    assert.is_true(same_bits(on2[1][1], off2[1][1]))
    assert.is_true(same_bits(on2[1][2], off2[1][2]))
  end)

  it("leaks no thread or tensor when the loop breaks early or the iterator is abandoned", function()
    local ld = data.loader(faces, { batch = 8, augment = AUG })
    no_leak("break", function()
      for _, y in ld(1) do
        if y:size(1) > 0 then break end
      end
    end)
    no_leak("error in the loop body", function()
      assert.is_false(pcall(function()
        for _ in ld(1) do error("stop") end
      end))
    end)
    no_leak("abandoned iterator", function()
      local it = ld(2)
      assert.equal(8, it():size(1))
      assert.equal(8, it():size(1))
    end)
    -- the loader still runs whole epochs afterwards
    local n = 0
    for x in ld(3) do n = n + x:size(1) end
    assert.equal(70, n)
  end)
end)
