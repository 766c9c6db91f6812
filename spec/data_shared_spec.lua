-- The real data sets under ../shared/data (see ../shared/data/README.md):
-- FER2013 as image folders and CK+ through its manifest. Pending when
-- ../shared is not there.
local core = require "mien.core"
local data = require "mien.data"

local SHARED = "../shared/data"
local have = core.is_dir(SHARED)

local FER_CLASSES = { "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise" }
local FER_COUNTS = {
  train = { angry = 3995, disgust = 436, fear = 4097, happy = 7215, neutral = 4965, sad = 4830, surprise = 3171, total = 28709 },
  publictest = { angry = 467, disgust = 56, fear = 496, happy = 895, neutral = 607, sad = 653, surprise = 415, total = 3589 },
}

local function check_fer(split)
  local ds = data.image_folder(SHARED .. "/fer2013/" .. split)
  local want = FER_COUNTS[split]
  assert.same(FER_CLASSES, ds.classes)
  assert.equal(want.total, #ds)
  assert.same({ want.total, 48, 48, 1 }, ds.images:shape())
  assert.equal(want.total, #ds.files)
  assert.equal(0, ds.skipped)
  local counts = ds:class_counts()
  for _, c in ipairs(FER_CLASSES) do assert.equal(want[c], counts[c], c) end
  return ds
end

describe("shared data sets", function()
  if not have then
    it("need ../shared", function() pending("../shared not found") end)
    return
  end

  it("FER2013 train: 28,709 images with the README's class counts", function()
    local ds = check_fer("train")
    assert.truthy(ds.files[1]:find("/angry/Training_", 1, true))
    -- not all black: every image decoded
    assert.is_true(ds.images:float():mean():item() > 50)
  end)

  it("FER2013 publictest: 3,589 images with the README's class counts", function()
    local ds = check_fer("publictest")
    assert.truthy(ds.files[1]:find("/angry/PublicTest_", 1, true))
  end)

  it("CK+ manifest: 981 images, 118 subjects, 327 sequences", function()
    local ds = data.manifest(SHARED .. "/ckplus48/labels.csv")
    assert.equal(981, #ds)
    assert.same({ 981, 48, 48, 1 }, ds.images:shape())
    assert.same({ "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise" }, ds.classes)
    local counts = ds:class_counts()
    local want = { anger = 135, contempt = 54, disgust = 177, fear = 75, happy = 207, sadness = 84, surprise = 249 }
    for c, n in pairs(want) do assert.equal(n, counts[c], c) end
    local subjects, sequences, ns, nq = {}, {}, 0, 0
    for i = 1, #ds do
      if not subjects[ds.groups[i]] then subjects[ds.groups[i]] = true; ns = ns + 1 end
      if not sequences[ds.sequences[i]] then sequences[ds.sequences[i]] = true; nq = nq + 1 end
    end
    assert.equal(118, ns)
    assert.equal(327, nq)
    -- subject-wise folds never share a subject and cover every image once
    local seen = 0
    for _, tr, va in data.group_kfold(ds, 10, { seed = 0 }) do
      local val = {}
      for _, i in ipairs(va) do val[ds.groups[i]] = true end
      for _, i in ipairs(tr) do assert.is_nil(val[ds.groups[i]]) end
      seen = seen + #va
    end
    assert.equal(981, seen)
    -- one frame per sequence in three
    assert.equal(327, #data.dedup_frames(ds, { every = 3 }))
  end)

  it("FER2013 publictest through a cache loads back the same data set", function()
    local path = os.tmpname()
    os.remove(path)
    path = path .. ".safetensors"
    local a = data.image_folder(SHARED .. "/fer2013/publictest", { cache = path })
    assert.is_false(a.cache_hit)
    local b = data.image_folder(SHARED .. "/fer2013/publictest", { cache = path })
    assert.is_true(b.cache_hit)
    assert.equal(0, (a.images:ne(b.images)):sum():item())
    assert.same(a.labels:totable(), b.labels:totable())
    assert.same(a.files, b.files)
    os.remove(path)
  end)
end)
