-- mien.data on fixtures written to a temp dir: image folders, manifests and
-- FER2013 CSVs (plain and gzip), bad files, splits and balancing, the
-- data-set cache, loaders and augmentation, previews.
local mien = require "mien"
local core = require "mien.core"
local data = require "mien.data"
local H = require "spec.support.helpers"

local mkdir, write_file, read_file, exists = H.mkdir, H.write_file, H.read_file, H.exists

-- Every fixture lives under one temp dir, removed when the file's tests end.
local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)

local dirs = 0
local function tmpdir()
  dirs = dirs + 1
  local p = ROOT .. "/" .. dirs
  mkdir(p)
  return p
end

-- An h x w x c uint8 image whose pixels are value (+ x + y when ramp).
local function image(h, w, c, value, ramp)
  local t = {}
  for y = 1, h do
    t[y] = {}
    for x = 1, w do
      t[y][x] = {}
      for k = 1, c do t[y][x][k] = (value + (ramp and (x - 1 + 2 * (y - 1)) or 0) + (k - 1) * 40) % 256 end
    end
  end
  return mien.tensor(t, { dtype = "uint8" })
end

local function max_abs_diff(a, b) return (a:float() - b:float()):abs():max():item() end

local function same_bits(a, b) return a:shape()[1] == b:shape()[1] and (a:ne(b)):sum():item() == 0 end

local function sorted(list)
  local t = table.move(list, 1, #list, 1, {})
  table.sort(t)
  return t
end

local function count_by(list, f)
  local c = {}
  for _, i in ipairs(list) do
    local k = f(i)
    c[k] = (c[k] or 0) + 1
  end
  return c
end

-- A 3-class folder: happy 5 (PNG), neutral 3 (JPEG), sad 4 (PNG), created
-- out of order, plus files that are not images. Pixel value = 10 * id,
-- where id numbers the files in sorted order (1..12).
local function make_folder(root)
  local spec = { { "sad", 4, "png" }, { "happy", 5, "png" }, { "neutral", 3, "jpg" } }
  local ids = { happy = 0, neutral = 5, sad = 8 }
  for _, s in ipairs(spec) do
    local name, n, ext = s[1], s[2], s[3]
    mkdir(root .. "/" .. name)
    for i = 1, n do
      local id = ids[name] + i
      core.image_write(string.format("%s/%s/img_%02d.%s", root, name, i, ext), mien.full({ 8, 8, 1 }, 10 * id, { dtype = "uint8" }))
    end
  end
  write_file(root .. "/happy/notes.txt", "not an image")
  write_file(root .. "/sad/.DS_Store", "junk")
  mkdir(root .. "/.hidden_class")
  core.image_write(root .. "/.hidden_class/x.png", mien.full({ 8, 8, 1 }, 1, { dtype = "uint8" }))
  write_file(root .. "/README.txt", "a file at the class level")
end

-- An in-memory data set with given labels (and optional groups); image i
-- is constant i % 256.
local function labelled(labels, classes, groups, size)
  size = size or 4
  local n = #labels
  local imgs = mien.zeros({ n, size, size, 1 }, { dtype = "uint8" })
  for i = 1, n do imgs[i]:fill_(i % 256) end
  return data.dataset { images = imgs, labels = mien.tensor(labels, { dtype = "int64" }), classes = classes, groups = groups }
end

describe("mien.data.image_folder", function()
  local root, ds
  setup(function()
    root = tmpdir() .. "/faces"
    make_folder(root)
    ds = data.image_folder(root)
  end)

  it("finds sorted classes, counts and keeps the file list", function()
    assert.same({ "happy", "neutral", "sad" }, ds.classes)
    assert.equal(12, #ds)
    assert.same({ 12, 8, 8, 1 }, ds.images:shape())
    assert.equal("uint8", ds.images:dtype())
    assert.equal("int64", ds.labels:dtype())
    assert.equal(12, #ds.files)
    assert.equal(root .. "/happy/img_01.png", ds.files[1])
    assert.equal(root .. "/neutral/img_01.jpg", ds.files[6])
    assert.equal(root .. "/sad/img_04.png", ds.files[12])
    local counts = ds:class_counts()
    assert.same({ 5, 3, 4 }, { counts[1], counts[2], counts[3] })
    assert.equal(5, counts.happy)
    assert.equal(3, counts.neutral)
    assert.equal(4, counts.sad)
    assert.equal(0, ds.skipped)
    assert.same({ 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3 }, ds.labels:totable())
  end)

  it("puts each file's pixels in its slot (PNG exact, JPEG within a level)", function()
    for i = 1, 12 do
      local v = ds.images[i]:float():mean():item()
      if ds.files[i]:match("%.png$") then assert.equal(10 * i, v) else assert.is_true(math.abs(v - 10 * i) <= 1) end
    end
  end)

  it("resizes to size and converts to channels", function()
    local d = data.image_folder(root, { size = 16, channels = 3 })
    assert.same({ 12, 16, 16, 3 }, d.images:shape())
    assert.equal(10, d.images[1]:float():mean():item())
    local r = data.image_folder(root, { size = { 4, 6 } })
    assert.same({ 12, 4, 6, 1 }, r.images:shape())
  end)

  it("subsets images, labels and files together", function()
    local s = ds:subset({ 12, 1, 6 })
    assert.equal(3, #s)
    assert.same({ 3, 1, 2 }, s.labels:totable())
    assert.same({ ds.files[12], ds.files[1], ds.files[6] }, s.files)
    assert.equal(10, s.images[2]:float():mean():item())
    assert.same(ds.classes, s.classes)
    local t = ds:subset(mien.tensor({ 2, 3 }, { dtype = "int64" }))
    assert.same({ 1, 1 }, t.labels:totable())
  end)

  it("remaps to neutral vs rest and positive vs negative", function()
    local nr = ds:remap({ neutral = "neutral" }, { default = "expressive", order = { "neutral", "expressive" } })
    assert.same({ "neutral", "expressive" }, nr.classes)
    assert.equal(12, #nr)
    local c = nr:class_counts()
    assert.equal(3, c.neutral)
    assert.equal(9, c.expressive)
    local pn = ds:remap { happy = "positive", sad = "negative" }
    assert.equal(9, #pn)
    assert.same({ "positive", "negative" }, pn.classes)
    assert.equal(5, pn:class_counts().positive)
    assert.equal(4, pn:class_counts().negative)
    for _, f in ipairs(pn.files) do assert.is_nil(f:find("neutral")) end
    local by_index = ds:remap { [2] = "n", [3] = "s" }
    assert.same({ n = 3, s = 4 }, { n = by_index:class_counts().n, s = by_index:class_counts().s })
  end)

  it("rejects a missing or empty folder", function()
    assert.has_error(function() data.image_folder(root .. "/nope") end, "image_folder: '" .. root .. "/nope' is not a directory")
    local empty = tmpdir()
    mkdir(empty .. "/a")
    assert.has_error(function() data.image_folder(empty) end)
  end)
end)

describe("bad images", function()
  local root
  setup(function()
    root = tmpdir() .. "/bad"
    for _, c in ipairs { "a", "b" } do
      mkdir(root .. "/" .. c)
      for i = 1, 3 do core.image_write(string.format("%s/%s/%d.png", root, c, i), image(6, 6, 1, 50 * i)) end
    end
    local png = read_file(root .. "/a/2.png")
    write_file(root .. "/a/2.png", png:sub(1, #png // 2)) -- truncated
    write_file(root .. "/b/3.png", "this is not a PNG") -- corrupt
  end)

  it("fail with an error naming the file", function()
    local ok, err = pcall(data.image_folder, root)
    assert.is_false(ok)
    assert.truthy(tostring(err):find(root .. "/a/2.png", 1, true))
  end)

  it("fail with the file's name for a corrupt JPEG too", function()
    local d = tmpdir() .. "/jpg"
    mkdir(d .. "/x")
    core.image_write(d .. "/x/good.jpg", image(8, 8, 1, 100, true))
    core.image_write(d .. "/x/cut.jpg", image(8, 8, 1, 100, true))
    local s = read_file(d .. "/x/cut.jpg")
    write_file(d .. "/x/cut.jpg", s:sub(1, #s // 2))
    local ok, err = pcall(data.image_folder, d, { size = 8 })
    assert.is_false(ok)
    assert.truthy(tostring(err):find(d .. "/x/cut.jpg", 1, true))
  end)

  it("are skipped and counted with skip_bad", function()
    local ds = data.image_folder(root, { skip_bad = true })
    assert.equal(4, #ds)
    assert.equal(2, ds.skipped)
    assert.same({ root .. "/a/2.png", root .. "/b/3.png" }, ds.skipped_files)
    assert.same({ root .. "/a/1.png", root .. "/a/3.png", root .. "/b/1.png", root .. "/b/2.png" }, ds.files)
    assert.same({ 1, 1, 2, 2 }, ds.labels:totable())
    assert.same({ 50, 150, 50, 100 }, { ds.images[1][1][1][1], ds.images[2][1][1][1],
      ds.images[3][1][1][1], ds.images[4][1][1][1] })
  end)

  it("are skipped even when the first file is bad and no size is given", function()
    local d = tmpdir() .. "/first"
    mkdir(d .. "/a")
    write_file(d .. "/a/0.png", "garbage")
    core.image_write(d .. "/a/1.png", image(5, 7, 1, 9))
    local ds = data.image_folder(d, { skip_bad = true })
    assert.same({ 1, 5, 7, 1 }, ds.images:shape())
    assert.equal(1, ds.skipped)
  end)
end)

describe("mien.data.fer2013_csv", function()
  local dir
  local function pixels(v)
    local t = {}
    for i = 1, 2304 do t[i] = (v + i) % 256 end
    return table.concat(t, " ")
  end
  setup(function()
    dir = tmpdir()
    write_file(dir .. "/fer.csv", table.concat({
      "emotion,pixels,Usage",
      "0," .. pixels(0) .. ",Training",
      "3," .. pixels(1) .. ",Training",
      "6," .. pixels(2) .. ",PublicTest",
      "",
      "5," .. pixels(3) .. ",PrivateTest",
      "2," .. pixels(4) .. ",Training",
    }, "\n") .. "\n")
    assert(os.execute("gzip -k '" .. dir .. "/fer.csv'"))
    write_file(dir .. "/bad.csv", table.concat({
      "emotion,pixels,Usage",
      "0," .. pixels(0) .. ",Training",
      "1," .. pixels(0):gsub(" %d+$", "") .. ",Training", -- line 3: 2303 pixels
      "2," .. pixels(0) .. ",Training",
    }, "\n") .. "\n")
    assert(os.execute("gzip -k '" .. dir .. "/bad.csv'"))
    write_file(dir .. "/badlabel.csv", "emotion,pixels,Usage\n9," .. pixels(0) .. ",Training\n")
  end)

  local function check(sets)
    assert.same({ 3, 48, 48, 1 }, sets.Training.images:shape())
    assert.same({ 1, 4, 3 }, sets.Training.labels:totable())
    assert.same({ 7 }, sets.PublicTest.labels:totable())
    assert.same({ 6 }, sets.PrivateTest.labels:totable())
    assert.same(data.FER_CLASSES, sets.Training.classes)
    assert.equal("happy", sets.Training.classes[sets.Training.labels[2]])
    -- row 2 (value 1): pixel i = (1 + i) % 256, row-major
    assert.equal(2, sets.Training.images[2][1][1][1])
    assert.equal(3, sets.Training.images[2][1][2][1])
    assert.equal((1 + 49) % 256, sets.Training.images[2][2][1][1])
  end

  it("reads the Usage splits of a plain CSV", function() check(data.fer2013_csv(dir .. "/fer.csv")) end)
  it("reads a gzip CSV", function() check(data.fer2013_csv(dir .. "/fer.csv.gz")) end)

  it("names the line of a malformed row, plain and gzip", function()
    for _, name in ipairs { "bad.csv", "bad.csv.gz" } do
      local ok, err = pcall(data.fer2013_csv, dir .. "/" .. name)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("line 3", 1, true), err)
      assert.truthy(tostring(err):find(name, 1, true), err)
      assert.truthy(tostring(err):find("2303", 1, true), err)
    end
    local ok, err = pcall(data.fer2013_csv, dir .. "/badlabel.csv")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("line 2", 1, true), err)
  end)

  it("fails on a truncated gzip file", function()
    local gz = read_file(dir .. "/fer.csv.gz")
    write_file(dir .. "/cut.csv.gz", gz:sub(1, #gz // 2))
    local ok, err = pcall(data.fer2013_csv, dir .. "/cut.csv.gz")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("cut.csv.gz", 1, true), err)
  end)
end)

describe("mien.data.manifest", function()
  local dir
  setup(function()
    dir = tmpdir()
    mkdir(dir .. "/img")
    local rows = { "path,subject,sequence,label" }
    -- 4 subjects x 2 sequences x 3 frames; labels by sequence
    local labels = { "happy", "sad", "anger" }
    local k = 0
    for s = 1, 4 do
      for q = 1, 2 do
        for f = 1, 3 do
          k = k + 1
          local name = string.format("img/S%d_%d_%d.png", s, q, f)
          core.image_write(dir .. "/" .. name, image(6, 6, 1, k))
          rows[#rows + 1] = string.format("%s,S%d,S%d_%d,%s", name, s, s, q, labels[(s + q) % 3 + 1])
        end
      end
    end
    write_file(dir .. "/labels.csv", table.concat(rows, "\n") .. "\n")
    write_file(dir .. "/crlf.csv", table.concat(rows, "\r\n") .. "\r\n")
    rows[6] = "img/S1_2_3.png,S1,happy" -- line 6: a field short
    write_file(dir .. "/bad.csv", table.concat(rows, "\n") .. "\n")
  end)

  it("reads paths, sorted classes, subject groups and sequences", function()
    local ds = data.manifest(dir .. "/labels.csv")
    assert.equal(24, #ds)
    assert.same({ "anger", "happy", "sad" }, ds.classes)
    assert.equal(24, #ds.groups)
    assert.equal("S1", ds.groups[1])
    assert.equal("S4", ds.groups[24])
    assert.equal("S1/S1_2", ds.sequences[4])
    assert.equal(dir .. "/img/S1_1_1.png", ds.files[1])
    assert.equal(1, ds.images[1][1][1][1])
    assert.equal(24, ds.images[24][1][1][1])
    local distinct = {}
    for _, g in ipairs(ds.groups) do distinct[g] = true end
    local n = 0
    for _ in pairs(distinct) do n = n + 1 end
    assert.equal(4, n)
  end)

  it("reads CRLF files the same", function()
    local a, b = data.manifest(dir .. "/labels.csv"), data.manifest(dir .. "/crlf.csv")
    assert.same(a.classes, b.classes)
    assert.same(a.groups, b.groups)
    assert.same(a.labels:totable(), b.labels:totable())
  end)

  it("fixes the class list with opts.classes and rejects labels outside it", function()
    local ds = data.manifest(dir .. "/labels.csv", { classes = { "sad", "happy", "anger", "fear" } })
    assert.same({ "sad", "happy", "anger", "fear" }, ds.classes)
    assert.equal(0, ds:class_counts().fear)
    local ok, err = pcall(data.manifest, dir .. "/labels.csv", { classes = { "sad", "happy" } })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("'anger'", 1, true), err)
  end)

  it("names the line of a malformed row", function()
    local ok, err = pcall(data.manifest, dir .. "/bad.csv")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("line 6", 1, true), err)
    assert.truthy(tostring(err):find("bad.csv", 1, true), err)
  end)

  it("names a missing column", function()
    write_file(dir .. "/nocol.csv", "file,label\nimg/S1_1_1.png,happy\n")
    local ok, err = pcall(data.manifest, dir .. "/nocol.csv")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("no column 'path'", 1, true), err)
    local ds = data.manifest(dir .. "/nocol.csv", { path = "file" })
    assert.equal(1, #ds)
    assert.is_nil(ds.groups)
  end)
end)

describe("splits", function()
  -- 3 classes with 50, 30, 17 samples, interleaved
  local labels = {}
  for _ = 1, 50 do labels[#labels + 1] = 1 end
  for _ = 1, 30 do labels[#labels + 1] = 2 end
  for _ = 1, 17 do labels[#labels + 1] = 3 end
  local rng = require("mien.util.prng").new(7)
  rng:shuffle(labels)
  local ds = labelled(labels, { "a", "b", "c" })
  local total = { 50, 30, 17 }

  it("stratified split keeps class ratios, partitions, and is deterministic per seed", function()
    local tr, va = data.stratified_split(ds, { val = 0.2, seed = 3 })
    assert.equal(97, #tr + #va)
    local all = sorted(table.move(va, 1, #va, #tr + 1, table.move(tr, 1, #tr, 1, {})))
    for i = 1, 97 do assert.equal(i, all[i]) end
    local vc = count_by(va, function(i) return labels[i] end)
    for c = 1, 3 do assert.is_true(math.abs(vc[c] - 0.2 * total[c]) <= 1, "class " .. c) end
    local tc = count_by(tr, function(i) return labels[i] end)
    for c = 1, 3 do assert.is_true(math.abs(tc[c] - 0.8 * total[c]) <= 1, "class " .. c) end
    local tr2, va2 = data.stratified_split(ds, { val = 0.2, seed = 3 })
    assert.same(tr, tr2)
    assert.same(va, va2)
    local _, va3 = data.stratified_split(ds, { val = 0.2, seed = 4 })
    assert.are_not.same(va, va3)
    -- also from a plain label list
    local _, va4 = data.stratified_split(labels, { val = 0.2, seed = 3 })
    assert.same(va, va4)
  end)

  it("kfold covers every index exactly once as validation", function()
    for _, stratified in ipairs { true, false } do
      local seen, folds = {}, 0
      for fold, tr, va in data.kfold(ds, 5, { seed = 1, stratified = stratified }) do
        folds = folds + 1
        assert.equal(folds, fold)
        assert.equal(97, #tr + #va)
        local in_val = {}
        for _, i in ipairs(va) do
          in_val[i] = true
          seen[i] = (seen[i] or 0) + 1
        end
        for _, i in ipairs(tr) do assert.is_nil(in_val[i]) end
        if stratified then
          local vc = count_by(va, function(i) return labels[i] end)
          for c = 1, 3 do assert.is_true(math.abs((vc[c] or 0) - total[c] / 5) <= 1) end
        end
      end
      assert.equal(5, folds)
      for i = 1, 97 do assert.equal(1, seen[i]) end
    end
  end)

  it("group_kfold never splits a subject and covers all", function()
    local groups = {}
    for i = 1, 97 do groups[i] = "S" .. ((i * 7) % 13) end
    local gds = labelled(labels, { "a", "b", "c" }, groups)
    local seen, fold_of = {}, {}
    local n = 0
    for fold, tr, va in data.group_kfold(gds, 4, { seed = 2 }) do
      n = n + 1
      local val_groups = {}
      for _, i in ipairs(va) do
        val_groups[groups[i]] = true
        seen[i] = (seen[i] or 0) + 1
        assert.is_true(fold_of[groups[i]] == nil or fold_of[groups[i]] == fold)
        fold_of[groups[i]] = fold
      end
      assert.is_true(#va > 0)
      for _, i in ipairs(tr) do assert.is_nil(val_groups[groups[i]], groups[i]) end
      assert.equal(97, #tr + #va)
    end
    assert.equal(4, n)
    for i = 1, 97 do assert.equal(1, seen[i]) end
    assert.has_error(function() data.group_kfold(labelled(labels, { "a", "b", "c" }), 3) end)
    assert.has_error(function() data.group_kfold(gds, 14) end)
  end)

  it("class_weights are n / (C * count)", function()
    local w = data.class_weights(ds):totable()
    for c = 1, 3 do assert.near(97 / (3 * total[c]), w[c], 1e-5) end
  end)

  it("balance caps or oversamples", function()
    local capped = data.balance(ds, { mode = "cap" })
    local cc = count_by(capped, function(i) return labels[i] end)
    assert.same({ 17, 17, 17 }, { cc[1], cc[2], cc[3] })
    assert.equal(51, #capped)
    local distinct = {}
    for _, i in ipairs(capped) do distinct[i] = true end
    local nd = 0
    for _ in pairs(distinct) do nd = nd + 1 end
    assert.equal(51, nd)
    local c20 = count_by(data.balance(ds, { mode = "cap", max = 20 }), function(i) return labels[i] end)
    assert.same({ 20, 20, 17 }, { c20[1], c20[2], c20[3] })
    local over = data.balance(ds, { mode = "oversample" })
    local oc = count_by(over, function(i) return labels[i] end)
    assert.same({ 50, 50, 50 }, { oc[1], oc[2], oc[3] })
    -- every original sample of a small class appears at least once
    local got = {}
    for _, i in ipairs(over) do got[i] = true end
    for i = 1, 97 do assert.is_true(got[i]) end
    assert.has_error(function() data.balance(ds, { mode = "nope" }) end)
  end)

  it("dedup_frames keeps one in every k frames per sequence", function()
    local seq = {}
    for i = 1, 10 do seq[i] = i <= 5 and "s1" or "s2" end
    local d = labelled({ 1, 1, 1, 1, 1, 2, 2, 2, 2, 2 }, { "a", "b" })
    d.sequences = seq
    assert.same({ 1, 3, 5, 6, 8, 10 }, data.dedup_frames(d, { every = 2 }))
    assert.same({ 1, 4, 6, 9 }, data.dedup_frames(d, { every = 3 }))
  end)

  it("dedup_frames drops frames closer than threshold to the last kept one", function()
    -- values 1,2,3,20,21 in one sequence and 100,100.. in another
    local imgs = mien.zeros({ 8, 4, 4, 1 }, { dtype = "uint8" })
    local vals = { 1, 2, 3, 20, 21, 100, 100, 140 }
    for i, v in ipairs(vals) do imgs[i]:fill_(v) end
    local d = data.dataset { images = imgs, labels = mien.ones({ 8 }, { dtype = "int64" }), classes = { "a" },
      groups = { "A", "A", "A", "A", "A", "B", "B", "B" } }
    -- A: 1 kept; 2 (d=1) dropped; 3 (d=2) kept at threshold 2; 20 kept; 21 dropped. B: 100, 100 dropped, 140
    assert.same({ 1, 3, 4, 6, 8 }, data.dedup_frames(d, { threshold = 2 }))
    assert.same({ 1, 4, 6, 8 }, data.dedup_frames(d, { threshold = 5 }))
  end)
end)

describe("data-set cache", function()
  local root
  setup(function()
    root = tmpdir() .. "/cached"
    make_folder(root)
  end)

  it("saves a safetensors file, then loads it instead of decoding", function()
    local cache = root .. ".safetensors"
    local a = data.image_folder(root, { cache = cache, size = 6 })
    assert.is_false(a.cache_hit)
    assert.is_true(exists(cache))
    local header = require("mien.io.safetensors").read_header(cache)
    assert.same({ 12, 6, 6, 1 }, header.images.shape)
    assert.equal("U8", header.images.dtype)
    assert.equal("I64", header.labels.dtype)
    local b = data.image_folder(root, { cache = cache, size = 6 })
    assert.is_true(b.cache_hit)
    assert.is_true(same_bits(a.images, b.images))
    assert.same(a.labels:totable(), b.labels:totable())
    assert.same(a.classes, b.classes)
    assert.same(a.files, b.files)
    -- other options: decoded again (and the cache rewritten)
    local c = data.image_folder(root, { cache = cache, size = 4 })
    assert.is_false(c.cache_hit)
    assert.same({ 12, 4, 4, 1 }, c.images:shape())
    -- a changed folder: decoded again
    core.image_write(root .. "/sad/img_05.png", mien.full({ 8, 8, 1 }, 7, { dtype = "uint8" }))
    local d = data.image_folder(root, { cache = cache, size = 4 })
    assert.is_false(d.cache_hit)
    assert.equal(13, #d)
    assert.is_true(data.image_folder(root, { cache = cache, size = 4 }).cache_hit)
    os.remove(root .. "/sad/img_05.png")
    assert.equal(12, #data.image_folder(root, { cache = cache, size = 4 }))
  end)

  it("keeps groups, sequences and skipped files of a manifest", function()
    local dir = tmpdir()
    local rows = { "path,subject,sequence,label" }
    for i = 1, 6 do
      core.image_write(dir .. "/" .. i .. ".png", image(5, 5, 1, i))
      rows[#rows + 1] = string.format("%d.png,S%d,q%d,%s", i, (i + 1) // 2, i % 2, i % 2 == 0 and "x" or "y")
    end
    write_file(dir .. "/7.png", "broken")
    rows[#rows + 1] = "7.png,S4,q1,x"
    write_file(dir .. "/m.csv", table.concat(rows, "\n") .. "\n")
    local cache = dir .. "/cache.safetensors"
    local a = data.manifest(dir .. "/m.csv", { cache = cache, skip_bad = true })
    local b = data.manifest(dir .. "/m.csv", { cache = cache, skip_bad = true })
    assert.is_false(a.cache_hit)
    assert.is_true(b.cache_hit)
    assert.equal(6, #b)
    assert.same(a.groups, b.groups)
    assert.same(a.sequences, b.sequences)
    assert.same(a.files, b.files)
    assert.equal(1, b.skipped)
    assert.same({ dir .. "/7.png" }, b.skipped_files)
    assert.is_true(same_bits(a.images, b.images))
  end)

  it("with cache = true picks a file in the cache folder (never the data's) keyed by path and options", function()
    local a = data.image_folder(root, { cache = true, size = 5 })
    assert.is_false(a.cache_hit)
    assert.truthy(a.cache:find("cached.mien-cache-", 1, true))
    assert.are_not.equal(core.realpath(root .. "/.."), core.realpath(a.cache:match("^(.*)/")))
    local dir = data.cache_dir()
    if dir and core.is_dir(dir) then assert.equal(core.realpath(dir), core.realpath(a.cache:match("^(.*)/"))) end
    local b = data.image_folder(root, { cache = true, size = 5 })
    assert.is_true(b.cache_hit)
    assert.equal(a.cache, b.cache)
    local c = data.image_folder(root, { cache = true, size = 3 })
    assert.are_not.equal(a.cache, c.cache)
    os.remove(a.cache)
    os.remove(c.cache)
  end)

  it("round-trips a data set through ds:save and mien.data.load", function()
    local ds = labelled({ 1, 2, 2, 1 }, { "p", "q" }, { 10, 10, 20, 30 })
    ds.files = { "a/1.png", "a/2.png", "b/3.png", "b/4.png" }
    local path = tmpdir() .. "/ds.safetensors"
    ds:save(path, { root = "a" }) -- not every file is under a/: stored as given
    local back = data.load(path)
    assert.same(ds.files, back.files)
    assert.same({ 10, 10, 20, 30 }, back.groups)
    assert.same({ "p", "q" }, back.classes)
    assert.is_true(same_bits(ds.images, back.images))
    ds.files = { "r/1.png", "r/2.png", "r/3.png", "r/4.png" }
    ds:save(path, { root = "r" })
    assert.same({ "s/1.png", "s/2.png", "s/3.png", "s/4.png" }, data.load(path, { root = "s" }).files)
    assert.same(ds.files, data.load(path).files)
  end)
end)

describe("mien.data.loader", function()
  -- 23 images, image i is constant i; labels i % 3 + 1
  local labels = {}
  for i = 1, 23 do labels[i] = i % 3 + 1 end
  local ds = labelled(labels, { "a", "b", "c" }, nil, 6)

  local function ids_of(x)
    local out = {}
    for b = 1, x:size(1) do out[b] = math.floor(x[b][1][1][1] * 255 + 0.5) end
    return out
  end

  local function epoch_ids(ld, epoch)
    local ids = {}
    for x, y in ld(epoch) do
      local got = ids_of(x)
      local ys = y:totable()
      for b, id in ipairs(got) do
        assert.equal(labels[id], ys[b])
        ids[#ids + 1] = id
      end
    end
    return ids
  end

  it("gives float32 NCHW batches and int64 labels, the last one short", function()
    local ld = data.loader(ds, { batch = 5 })
    assert.equal(5, #ld)
    local sizes = {}
    for x, y in ld() do
      assert.equal("float32", x:dtype())
      assert.equal("int64", y:dtype())
      assert.same({ x:size(1), 1, 6, 6 }, x:shape())
      assert.same({ x:size(1) }, y:shape())
      sizes[#sizes + 1] = x:size(1)
    end
    assert.same({ 5, 5, 5, 5, 3 }, sizes)
    local dl = data.loader(ds, { batch = 5, drop_last = true })
    assert.equal(4, #dl)
    local n = 0
    for x in dl() do
      assert.equal(5, x:size(1))
      n = n + 1
    end
    assert.equal(4, n)
  end)

  it("sees every sample once per epoch", function()
    local ld = data.loader(ds, { batch = 4, seed = 3 })
    for epoch = 1, 3 do
      local ids = sorted(epoch_ids(ld, epoch))
      assert.equal(23, #ids)
      for i = 1, 23 do assert.equal(i, ids[i]) end
    end
  end)

  it("shuffles deterministically per (seed, epoch), differently across epochs", function()
    local a = data.loader(ds, { batch = 4, seed = 3 })
    local b = data.loader(ds, { batch = 7, seed = 3 })
    local e1 = epoch_ids(a, 1)
    assert.same(e1, epoch_ids(b, 1))
    assert.same(e1, epoch_ids(a, 1))
    local e2 = epoch_ids(a, 2)
    assert.are_not.same(e1, e2)
    assert.are_not.same(e1, epoch_ids(data.loader(ds, { batch = 4, seed = 4 }), 1))
    -- calling without an epoch advances it
    local c = data.loader(ds, { batch = 4, seed = 3 })
    assert.same(e1, epoch_ids(c))
    assert.same(e2, epoch_ids(c))
    -- no shuffle: in order
    local plain = epoch_ids(data.loader(ds, { batch = 4, shuffle = false }), 1)
    for i = 1, 23 do assert.equal(i, plain[i]) end
  end)

  it("iterates over given indices only", function()
    local ld = data.loader(ds, { batch = 3, indices = { 2, 4, 6, 8, 10 }, seed = 1 })
    assert.equal(2, #ld)
    assert.same({ 2, 4, 6, 8, 10 }, sorted(epoch_ids(ld, 1)))
  end)

  it("augments deterministically for a seed", function()
    local faces = data.synthetic_faces { n = 40, size = 48, seed = 1 }
    local aug = { flip = 0.5, rotation = 15, shift = 0.1, zoom = { 0.9, 1.1 }, shear = 5, brightness = 0.1,
      contrast = { 0.8, 1.2 }, erase = 0.5 }
    local function first(seed)
      local ld = data.loader(faces, { batch = 16, seed = seed, augment = aug })
      local it = ld(1)
      return it()
    end
    local a, b, c = first(5), first(5), first(6)
    assert.is_true(same_bits(a, b))
    assert.is_false(same_bits(a, c))
    assert.is_true(max_abs_diff(a, c) > 0.1)
    -- the same (seed, epoch) gives the same augmentation at any batch size
    local x = core.augment_batch(faces.images, mien.tensor({ 3, 4 }, { dtype = "int64" }), aug, 5, 0)
    local y = core.augment_batch(faces.images, mien.tensor({ 3, 4 }, { dtype = "int64" }), aug, 5, 0)
    assert.is_true(same_bits(x, y))
  end)
end)

describe("augmentation", function()
  local ds = data.dataset {
    images = mien.stack { image(10, 12, 1, 3, true), image(10, 12, 1, 50, true), image(10, 12, 1, 200, true) },
    labels = mien.tensor({ 1, 2, 1 }, { dtype = "int64" }), classes = { "a", "b" } }
  local idx = mien.tensor({ 1, 2, 3 }, { dtype = "int64" })

  it("identity is the image / 255 in NCHW", function()
    local x = core.augment_batch(ds.images, idx, {}, 0, 0)
    assert.same({ 3, 1, 10, 12 }, x:shape())
    local want = ds.images:permute(1, 4, 2, 3):float() / 255
    assert.is_true(max_abs_diff(x, want) < 1e-6)
    local ld = data.loader(ds, { batch = 3, shuffle = false })
    local lx = ld(1)()
    assert.is_true(same_bits(x, lx))
  end)

  it("flip = 1 mirrors every image", function()
    local x = core.augment_batch(ds.images, idx, {}, 0, 0)
    local f = core.augment_batch(ds.images, idx, { flip = 1 }, 9, 0)
    local rev = {}
    for i = 1, 12 do rev[i] = 13 - i end
    local mirrored = x:index_select(4, mien.tensor(rev, { dtype = "int64" }))
    assert.is_true(max_abs_diff(f, mirrored) < 1e-6)
    assert.is_true(max_abs_diff(f, x) > 0.01)
  end)

  it("resizes grey to 112x112 RGB with mean/std normalisation", function()
    local const = data.dataset {
      images = mien.stack { mien.full({ 48, 48, 1 }, 51, { dtype = "uint8" }), mien.full({ 48, 48, 1 }, 204, { dtype = "uint8" }) },
      labels = mien.tensor({ 1, 1 }, { dtype = "int64" }), classes = { "a" } }
    local mean, std = { 0.485, 0.456, 0.406 }, { 0.229, 0.224, 0.225 }
    local spec = { size = { 112, 112 }, channels = 3, mean = mean, std = std }
    local x = core.augment_batch(const.images, nil, spec, 0, 0)
    assert.same({ 2, 3, 112, 112 }, x:shape())
    for b, v in ipairs { 51, 204 } do
      for k = 1, 3 do
        local plane = x[b][k]
        local want = (v / 255 - mean[k]) / std[k]
        assert.near(want, plane:min():item(), 1e-5)
        assert.near(want, plane:max():item(), 1e-5)
      end
    end
    -- a ramp: the three channels carry the same grey, de-normalised
    local r = core.augment_batch(ds.images, idx, spec, 0, 0)
    assert.same({ 3, 3, 112, 112 }, r:shape())
    local g = {}
    for k = 1, 3 do g[k] = r:narrow(2, k, 1) * std[k] + mean[k] end
    assert.is_true(max_abs_diff(g[1], g[2]) < 1e-5)
    assert.is_true(max_abs_diff(g[1], g[3]) < 1e-5)
    -- and it is a resize of the image: the mean level is kept
    for b = 1, 3 do
      local src = ds.images[b]:float():mean():item() / 255
      assert.near(src, g[1][b]:mean():item(), 0.01)
    end
    -- through a loader
    local ld = data.loader(ds, { batch = 2, augment = { size = 112, channels = 3, mean = 0.5, std = 0.25, flip = 0.5 } })
    local lx = ld(1)()
    assert.same({ 2, 3, 112, 112 }, lx:shape())
  end)

  it("rejects a bad spec naming the field", function()
    local ok, err = pcall(core.augment_batch, ds.images, idx, { std = 0 }, 0, 0)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("std", 1, true), err)
    ok, err = pcall(core.augment_batch, ds.images, idx, { zoom = 2 }, 0, 0)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("zoom", 1, true), err)
  end)
end)

describe("loader memory", function()
  it("stays bounded over epochs of large batches (the binding drives the GC)", function()
    local faces = data.synthetic_faces { n = 640, size = 48, seed = 3 }
    collectgarbage()
    local base = mien.bytes_in_use()
    local ld = data.loader(faces, { batch = 64, augment = { size = 112, channels = 3 } })
    local peak = 0
    for epoch = 1, 8 do
      for _ in ld(epoch) do peak = math.max(peak, mien.bytes_in_use() - base) end
    end
    -- 80 batches of 9.6 MB (770 MB in all); a full collection runs once
    -- tensor memory passes twice what survived plus 256 MB
    assert.is_true(peak < 400e6, "peak " .. peak)
  end)
end)

describe("mien.data.preview", function()
  it("writes a PNG grid of augmented samples", function()
    local faces = data.synthetic_faces { n = 10, size = 48, seed = 2 }
    local path = tmpdir() .. "/preview.png"
    assert.equal(path, data.preview(faces, { flip = 0.5, rotation = 10 }, path, { n = 10, cols = 4 }))
    assert.equal("\137PNG", read_file(path):sub(1, 4))
    local img = core.image_load(path)
    assert.same({ 3 * 50, 4 * 50, 1 }, img:shape())
    assert.is_true(img:float():max():item() > 0)
  end)
end)
