-- The field's data sets in their owners' layouts, on replicas built here:
-- JAFFE (TIFFs written with libtiff by build/tiff_fixture), CK+ (frames,
-- Emotion, FACS, Landmarks), FER+ (fer2013.csv + fer2013new.csv, or PNGs),
-- RAF-DB and AffectNet, each from synthetic faces. Counts, labels, subjects,
-- AUs, votes and extra targets, and one malformed variant after another.
local mien = require "mien"
local core = require "mien.core"
local data = require "mien.data"
local H = require "spec.support.helpers"

local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)

local n_dirs = 0
local function tmpdir(name)
  n_dirs = n_dirs + 1
  local p = string.format("%s/%d_%s", ROOT, n_dirs, name)
  H.mkdir(p)
  return p
end

local faces = data.synthetic_faces { n = 64, size = 48, seed = 3 }
local function face(i) return faces.images[(i - 1) % 64 + 1] end -- uint8 [48,48,1]

local function write_image(path, img)
  H.mkdir(path:match("^(.*)/"))
  core.image_write(path, img:contiguous())
end

local function write(path, text)
  H.mkdir(path:match("^(.*)/"))
  H.write_file(path, text)
end

-- Expects fn to fail with a message containing every plain string given.
local function fails_with(fn, ...)
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected an error")
  err = tostring(err)
  for _, part in ipairs { ... } do
    assert.truthy(err:find(part, 1, true), string.format("error %q does not mention %q", err, part))
  end
  assert.is_nil(err:find("\n", 1, true), "the error is one line: " .. err)
end

local function count(list, value)
  local n = 0
  for _, v in ipairs(list) do if v == value then n = n + 1 end end
  return n
end

-- JAFFE ---------------------------------------------------------------------

local TIFF_FIXTURE = "build/tiff_fixture"
-- built unless CMake was told -DMIEN_TIFF=OFF (no libtiff): then TIFF specs are pending
local HAVE_TIFF = H.exists(TIFF_FIXTURE)
local function describe_tiff(name, fn)
  if HAVE_TIFF then return describe(name, fn) end
  describe(name, function() pending("built without libtiff (-DMIEN_TIFF=OFF): no " .. TIFF_FIXTURE) end)
end

local function tiff(path, h, w, spp, bits, compression, seed)
  local cmd = string.format("%s %s %d %d %d %d %s 1 %d", TIFF_FIXTURE, H.shell_quote(path), h, w, spp, bits,
    compression, seed or 0)
  assert(os.execute(cmd), "cannot run " .. cmd .. " (build with scripts/build.sh)")
end

describe_tiff("TIFF through mien.image.load", function()
  local dir = tmpdir("tiff")
  -- the fixture's pattern: sample k of pixel (y, x) is (7y + 13x + 50k + seed) mod 256 (0-based)
  local function expected(y, x, k, seed) return (7 * y + 13 * x + 50 * k + seed) % 256 end

  for _, c in ipairs { { 1, 8, "none" }, { 1, 16, "lzw" }, { 3, 8, "deflate" }, { 3, 16, "none" }, { 1, 8, "lzw" } } do
    it(string.format("%d-bit %s %s", c[2], c[1] == 1 and "grey" or "RGB", c[3]), function()
      local path = string.format("%s/%d_%d_%s.tiff", dir, c[1], c[2], c[3])
      tiff(path, 5, 7, c[1], c[2], c[3], 11)
      local img = mien.image.load(path)
      assert.same({ 5, 7, c[1] }, img:shape())
      local t = img:totable()
      for y = 1, 5 do
        for x = 1, 7 do
          for k = 1, c[1] do assert.equal(expected(y - 1, x - 1, k - 1, 11), t[y][x][k]) end
        end
      end
      assert.same({ 5, 7, 1 }, mien.image.load(path, 1):shape())
      assert.same({ 5, 7, 3 }, mien.image.load(path, 3):shape())
    end)
  end

  it("is an error naming the file when the TIFF is broken", function()
    write(dir .. "/broken.tif", "II*\0\8\0\0\0garbage")
    fails_with(function() mien.image.load(dir .. "/broken.tif") end, "broken.tif")
  end)
end)

describe_tiff("data.jaffe", function()
  local dir = tmpdir("jaffe")
  local subjects = { "KA", "KL", "MK" }
  local codes = { "AN", "DI", "FE", "HA", "NE", "SA", "SU" }
  local id = 0
  for _, s in ipairs(subjects) do
    for k, code in ipairs(codes) do
      id = id + 1
      tiff(string.format("%s/%s.%s%d.%d.tiff", dir, s, code, k % 3 + 1, id), 32, 32, 1, 8, "lzw", id)
    end
  end
  write(dir .. "/README_FIRST.txt", "not an image")

  it("reads every TIFF with its expression and subject", function()
    local ds = data.jaffe(dir)
    assert.equal(21, #ds)
    assert.same({ "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise" }, ds.classes)
    assert.same({ 21, 32, 32, 1 }, ds.images:shape())
    local counts = ds:class_counts()
    for c = 1, 7 do assert.equal(3, counts[c]) end
    for _, s in ipairs(subjects) do assert.equal(7, count(ds.groups, s)) end
    for i, f in ipairs(ds.files) do
      local s, code = f:match("([A-Z]+)%.([A-Z][A-Z])%d%.%d+%.tiff$")
      assert.equal(s, ds.groups[i])
      assert.equal(codes[ds:labels_table()[i]], code)
    end
    -- the subjects make subject-wise folds
    for _, tr, va in data.group_kfold(ds, 3, { seed = 1 }) do
      local held = {}
      for _, i in ipairs(va) do held[ds.groups[i]] = true end
      for _, i in ipairs(tr) do assert.is_nil(held[ds.groups[i]]) end
    end
  end)

  it("resizes on request", function()
    assert.same({ 21, 16, 16, 1 }, data.jaffe(dir, { size = 16 }).images:shape())
  end)

  it("fails with one line saying what it expected", function()
    fails_with(function() data.jaffe(dir .. "/nowhere") end, "jaffe:", "nowhere", "KA.AN1.39.tiff")
    local empty = tmpdir("jaffe_empty")
    fails_with(function() data.jaffe(empty) end, "jaffe: no .tiff files", empty)
    local bad = tmpdir("jaffe_bad_code")
    tiff(bad .. "/KA.XY1.40.tiff", 8, 8, 1, 8, "none")
    fails_with(function() data.jaffe(bad) end, "KA.XY1.40.tiff", "'XY'", "AN DI FE HA NE SA SU")
    local badname = tmpdir("jaffe_bad_name")
    tiff(badname .. "/face.tiff", 8, 8, 1, 8, "none")
    fails_with(function() data.jaffe(badname) end, "face.tiff", "SUBJECT.CODEn.ID.tiff")
  end)
end)

-- CK+ -----------------------------------------------------------------------

-- A CK+ release tree: sequences {subject, seq, frames, emotion (nil: no
-- file), aus {{au, intensity}}}.
local SEQUENCES = {
  { "S005", "001", 5, 3, { { 1, 2 }, { 9, 4 }, { 17, 3 } } },
  { "S005", "002", 4, nil, {} },
  { "S010", "001", 6, 5, { { 6, 3 }, { 12, 5 } } },
  { "S010", "004", 4, 1, { { 4, 2 }, { 17, 1 } } },
  { "S011", "002", 5, 7, { { 1, 4 }, { 2, 4 }, { 27, 0 } } },
}

local function ckplus_tree(name, edit)
  local dir = tmpdir(name)
  local k = 0
  for _, s in ipairs(SEQUENCES) do
    local subject, seq, frames, emotion, aus = table.unpack(s)
    local rel = subject .. "/" .. seq
    for f = 1, frames do
      k = k + 1
      local stem = string.format("%s_%s_%08d", subject, seq, f)
      write_image(string.format("%s/cohn-kanade-images/%s/%s.png", dir, rel, stem), face(k))
      local pts = {}
      for p = 1, 68 do pts[p] = string.format("   %.7e   %.7e", p + f / 10, 100 + p) end
      write(string.format("%s/Landmarks/%s/%s_landmarks.txt", dir, rel, stem), table.concat(pts, "\n") .. "\n")
    end
    local last = string.format("%s_%s_%08d", subject, seq, frames)
    if emotion then
      write(string.format("%s/Emotion/%s/%s_emotion.txt", dir, rel, last), string.format("   %.7e\n", emotion))
      local lines = {}
      for _, au in ipairs(aus) do lines[#lines + 1] = string.format("   %.7e   %.7e", au[1], au[2]) end
      write(string.format("%s/FACS/%s/%s_facs.txt", dir, rel, last), table.concat(lines, "\n") .. "\n")
    else
      H.mkdir(string.format("%s/Emotion/%s", dir, rel)) -- unlabelled: an empty folder, as in the release
      write(string.format("%s/FACS/%s/%s_facs.txt", dir, rel, last), "   1.0000000e+00   0.0000000e+00\n")
    end
  end
  if edit then edit(dir) end
  return dir
end

describe("data.ckplus", function()
  local dir = ckplus_tree("ckplus")

  it("takes the last frames of each labelled sequence, with subjects, AUs and landmarks", function()
    local ds = data.ckplus(dir)
    assert.same({ "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise" }, ds.classes)
    assert.equal(12, #ds) -- 4 labelled sequences x 3 frames
    assert.same({ 12, 48, 48, 1 }, ds.images:shape())
    local counts = ds:class_counts()
    assert.equal(3, counts.disgust)
    assert.equal(3, counts.happy)
    assert.equal(3, counts.anger)
    assert.equal(3, counts.surprise)
    assert.equal(0, counts.contempt)
    assert.equal(3, count(ds.groups, "S005"))
    assert.equal(6, count(ds.groups, "S010"))
    assert.equal(3, count(ds.sequences, "S010/004"))
    -- the unlabelled sequence is left out, and its frames too
    for _, f in ipairs(ds.files) do assert.is_nil(f:find("S005_002", 1, true)) end
    -- S005/001 has 5 frames: 3, 4, 5 are taken
    assert.truthy(ds.files[1]:find("S005_001_00000003.png", 1, true))
    assert.same({ 1, 2, 4, 6, 9, 12, 17, 27 }, ds.au_list)
    local aus = ds.aus:totable()
    assert.same({ 1, 0, 0, 0, 1, 0, 1, 0 }, aus[1]) -- S005/001: AUs 1, 9, 17
    assert.same({ 0, 0, 0, 1, 0, 1, 0, 0 }, aus[4]) -- S010/001: AUs 6, 12
    assert.same({ 2, 0, 0, 0, 4, 0, 3, 0 }, ds.au_intensity:totable()[1])
    assert.same({ 12, 68, 2 }, ds.landmarks:shape())
    local p = ds.landmarks:totable()[1]
    assert.near(1.3, p[1][1], 1e-5) -- frame 3, point 1: x = 1 + 3/10
    assert.near(168, p[68][2], 1e-5)
  end)

  it("takes k frames and the neutral first frames on request; subsets keep the extra labels", function()
    local ds = data.ckplus(dir, { frames = 1, neutral = true })
    assert.equal("neutral", ds.classes[1])
    assert.equal(8, #ds)
    assert.equal(4, ds:class_counts().neutral)
    assert.truthy(ds.files[1]:find("S005_001_00000001.png", 1, true))
    assert.same({ 0, 0, 0, 0, 0, 0, 0, 0 }, ds.aus:totable()[1]) -- neutral frames code no AU
    local sub = ds:subset({ 2, 4 })
    assert.same({ 2, 8 }, sub.aus:shape())
    assert.same({ 2, 68, 2 }, sub.landmarks:shape())
    assert.same(ds.aus:totable()[2], sub.aus:totable()[1])
    assert.same(ds.au_list, sub.au_list)
  end)

  it("fails with one line saying what it expected", function()
    local no_emotion = ckplus_tree("ckplus_no_emotion", function(d) H.remove_dir(d .. "/Emotion") end)
    fails_with(function() data.ckplus(no_emotion) end, "ckplus: no Emotion/ folder under " .. no_emotion ..
      " (expected the CK+ release layout: cohn-kanade-images/, Emotion/, FACS/, Landmarks/)")
    local no_images = ckplus_tree("ckplus_no_images", function(d) H.remove_dir(d .. "/cohn-kanade-images") end)
    fails_with(function() data.ckplus(no_images) end, "no cohn-kanade-images/ folder")
    local out_of_range = ckplus_tree("ckplus_label", function(d)
      write(d .. "/Emotion/S010/004/S010_004_00000004_emotion.txt", "   9.0000000e+00\n")
    end)
    fails_with(function() data.ckplus(out_of_range) end, "S010_004_00000004_emotion.txt", "0..7", "9")
    local bad_facs = ckplus_tree("ckplus_facs", function(d)
      write(d .. "/FACS/S010/001/S010_001_00000006_facs.txt", "   6.0000000e+00\n")
    end)
    fails_with(function() data.ckplus(bad_facs) end, "S010_001_00000006_facs.txt", "AU intensity")
    local short = ckplus_tree("ckplus_landmarks", function(d)
      write(d .. "/Landmarks/S011/002/S011_002_00000005_landmarks.txt", "1 2\n3 4\n")
    end)
    fails_with(function() data.ckplus(short) end, "S011_002_00000005_landmarks.txt", "2 points, expected 68")
    fails_with(function() data.ckplus(dir, { frames = 6 }) end, "fewer than the 6")
    fails_with(function() data.ckplus(dir .. "/none") end, "is not a directory", "cohn-kanade-images/")
  end)
end)

-- FER+ ----------------------------------------------------------------------

-- rows: usage, image name, the ten vote counts; the fer2013.csv row i holds face(i)
local VOTES = {
  { "Training", "fer0000000.png", { 0, 10, 0, 0, 0, 0, 0, 0, 0, 0 } }, -- happiness by majority
  { "Training", "fer0000001.png", { 4, 3, 0, 0, 3, 0, 0, 0, 0, 0 } },  -- no majority; plurality neutral
  { "Training", "", { 0, 0, 0, 0, 0, 0, 0, 0, 0, 10 } },               -- not a face: no image name
  { "Training", "fer0000003.png", { 1, 0, 0, 0, 0, 0, 0, 0, 6, 3 } },  -- unknown wins: dropped
  { "Training", "fer0000004.png", { 0, 0, 7, 0, 0, 0, 0, 0, 0, 3 } },  -- surprise
  { "PublicTest", "fer0000005.png", { 0, 0, 0, 6, 0, 0, 0, 0, 2, 2 } }, -- sadness
  { "PublicTest", "fer0000006.png", { 0, 0, 0, 0, 0, 0, 5, 5, 0, 0 } }, -- a tie: plurality takes fear
  { "PrivateTest", "fer0000007.png", { 2, 2, 2, 2, 2, 0, 0, 0, 0, 0 } },
}
local FER_HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"

local function ferplus_files(name, opts)
  opts = opts or {}
  local dir = tmpdir(name)
  local csv, votes = { "emotion,pixels,Usage" }, { FER_HEADER }
  for i, row in ipairs(VOTES) do
    local px = {}
    for _, v in ipairs(H.flat(face(i))) do px[#px + 1] = tostring(v) end
    csv[#csv + 1] = string.format("%d,%s,%s", (i - 1) % 7, table.concat(px, " "), row[1])
    votes[#votes + 1] = string.format("%s,%s,%s", row[1], row[2], table.concat(row[3], ","))
    if opts.folder and row[2] ~= "" then
      local sub = ({ Training = "FER2013Train", PublicTest = "FER2013Valid", PrivateTest = "FER2013Test" })[row[1]]
      write_image(string.format("%s/images/%s/%s", dir, sub, row[2]), face(i))
    end
  end
  if opts.edit_votes then opts.edit_votes(votes) end
  write(dir .. "/fer2013.csv", table.concat(csv, "\n") .. "\n")
  write(dir .. "/fer2013new.csv", table.concat(votes, "\n") .. "\n")
  return dir
end

describe("data.ferplus", function()
  local dir = ferplus_files("ferplus", { folder = true })
  local CLASSES = { "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt" }

  local function names(ds)
    local out = {}
    for i, y in ipairs(ds:labels_table()) do out[i] = ds.classes[y] end
    return out
  end

  it("labels by majority vote, dropping rows without one and unknown / not-a-face rows", function()
    local sets = data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv")
    assert.same(CLASSES, sets.Training.classes)
    assert.same({ "happiness", "surprise" }, names(sets.Training))
    assert.same({ "sadness" }, names(sets.PublicTest))
    assert.is_nil(sets.PrivateTest)
    assert.equal(3, sets.Training.dropped)
    -- the images are fer2013.csv's rows 1 and 5
    assert.same(H.flat(face(1)), H.flat(sets.Training.images[1]))
    assert.same(H.flat(face(5)), H.flat(sets.Training.images[2]))
    assert.same({ 0, 0, 7, 0, 0, 0, 0, 0, 0, 3 }, sets.Training.votes:totable()[2])
  end)

  it("labels by plurality (ties to the first column)", function()
    local sets = data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv", { mode = "plurality" })
    assert.same({ "happiness", "neutral", "surprise" }, names(sets.Training))
    assert.same({ "sadness", "fear" }, names(sets.PublicTest))
    assert.same({ "neutral" }, names(sets.PrivateTest))
  end)

  it("gives the vote shares as soft targets that a loader and F.cross_entropy take", function()
    local sets = data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv", { mode = "soft" })
    local t = sets.Training.targets:totable()
    assert.equal(3, #t)
    local expected = { 0.4, 0.3, 0, 0, 0.3, 0, 0, 0 }
    for k = 1, 8 do assert.near(expected[k], t[2][k], 1e-6) end
    for k = 1, 8 do assert.near(k == 4 and 1 or 0, sets.PublicTest.targets:totable()[1][k], 1e-6) end
    local loader = data.loader(sets.Training, { batch = 3, shuffle = false, targets = "targets" })
    for x, y in loader() do
      assert.same({ 3, 8 }, y:shape())
      local logits = mien.zeros({ 3, 8 })
      assert.near(math.log(8), mien.F.cross_entropy(logits, y):item(), 1e-5)
      assert.same({ 3, 1, 48, 48 }, x:shape())
    end
  end)

  it("reads FERPlus's own PNGs from a folder the same way", function()
    local a = data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv", { mode = "plurality" })
    local b = data.ferplus(dir .. "/images", dir .. "/fer2013new.csv", { mode = "plurality" })
    for _, usage in ipairs { "Training", "PublicTest", "PrivateTest" } do
      assert.same(a[usage]:labels_table(), b[usage]:labels_table())
      assert.same(H.flat(a[usage].images), H.flat(b[usage].images))
    end
  end)

  it("keeps unknown and NF as classes on request", function()
    local sets = data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv", { mode = "plurality", keep_unknown = true })
    assert.equal(10, #sets.Training.classes)
    assert.same({ "happiness", "neutral", "unknown", "surprise" }, names(sets.Training))
  end)

  it("fails with one line saying what it expected", function()
    local truncated = ferplus_files("ferplus_truncated", { edit_votes = function(v) v[#v] = v[#v]:sub(1, 20) end })
    fails_with(function() data.ferplus(truncated .. "/fer2013.csv", truncated .. "/fer2013new.csv") end,
      "fer2013new.csv' line 9", "expected 12", "truncated")
    local short = ferplus_files("ferplus_short", { edit_votes = function(v) v[#v] = nil end })
    fails_with(function() data.ferplus(short .. "/fer2013.csv", short .. "/fer2013new.csv") end,
      "0 PrivateTest rows", "fer2013.csv' 1", "row for row")
    local bad = ferplus_files("ferplus_bad_vote", { edit_votes = function(v) v[3] = v[3]:gsub(",3,", ",x,", 1) end })
    fails_with(function() data.ferplus(bad .. "/fer2013.csv", bad .. "/fer2013new.csv") end, "line 3", "'x'")
    local header = ferplus_files("ferplus_header", { edit_votes = function(v) v[1] = "a,b" end })
    fails_with(function() data.ferplus(header .. "/fer2013.csv", header .. "/fer2013new.csv") end, "line 1",
      "Usage,Image name,neutral")
    fails_with(function() data.ferplus(dir .. "/fer2013.csv", dir .. "/missing.csv") end, "missing.csv")
    fails_with(function() data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv", { mode = "vote" }) end,
      "'majority', 'plurality' or 'soft'")
    fails_with(function() data.ferplus(dir .. "/nothing", dir .. "/fer2013new.csv") end, "neither fer2013.csv")
  end)
end)

-- RAF-DB --------------------------------------------------------------------

local function rafdb_tree(name, list)
  local dir = tmpdir(name)
  local lines = {}
  for i, row in ipairs(list) do
    lines[i] = row[1] .. " " .. row[2]
    local img = core.image_resize(mien.image.rgb(face(i)), 100, 100, "bilinear")
    write_image(string.format("%s/Image/aligned/%s_aligned.jpg", dir, row[1]:gsub("%.jpg$", "")), img)
  end
  write(dir .. "/EmoLabel/list_patition_label.txt", table.concat(lines, "\n") .. "\n")
  return dir
end

describe("data.rafdb", function()
  local list = { { "train_00001.jpg", 5 }, { "train_00002.jpg", 1 }, { "train_00003.jpg", 7 },
    { "test_0001.jpg", 7 }, { "test_0002.jpg", 4 } }
  local dir = rafdb_tree("rafdb", list)

  it("reads the aligned faces, split by their names", function()
    local raf = data.rafdb(dir)
    assert.same({ "surprise", "fear", "disgust", "happiness", "sadness", "anger", "neutral" }, raf.train.classes)
    assert.equal(3, #raf.train)
    assert.equal(2, #raf.test)
    assert.same({ 5, 1, 7 }, raf.train:labels_table())
    assert.same({ 7, 4 }, raf.test:labels_table())
    assert.same({ 3, 100, 100, 3 }, raf.train.images:shape())
    assert.truthy(raf.test.files[1]:find("Image/aligned/test_0001_aligned.jpg", 1, true))
    assert.same({ 2, 48, 48, 1 }, data.rafdb(dir, { size = 48, channels = 1 }).test.images:shape())
  end)

  it("fails with one line saying what it expected", function()
    local bad = rafdb_tree("rafdb_label", { { "train_00001.jpg", 5 }, { "train_00002.jpg", 8 } })
    fails_with(function() data.rafdb(bad) end, "list_patition_label.txt' line 2", "label 8 is outside 1..7")
    local no_list = rafdb_tree("rafdb_no_list", list)
    os.remove(no_list .. "/EmoLabel/list_patition_label.txt")
    fails_with(function() data.rafdb(no_list) end, "rafdb: no EmoLabel/list_patition_label.txt under " .. no_list,
      "Image/aligned/")
    local missing = rafdb_tree("rafdb_missing", list)
    os.remove(missing .. "/Image/aligned/test_0002_aligned.jpg")
    fails_with(function() data.rafdb(missing) end, "test_0002_aligned.jpg")
    local escape = rafdb_tree("rafdb_escape", { { "train_00001.jpg", 5 } })
    write(escape .. "/EmoLabel/list_patition_label.txt", "../train_00001.jpg 5\n")
    fails_with(function() data.rafdb(escape) end, "line 1", "not a train_*/test_* image name")
  end)
end)

-- AffectNet -----------------------------------------------------------------

local AFFECT_HEADER = "subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal"

-- Images 60 high, 80 wide: black with a white face box at (x 20, y 10, 30 x 40).
local function affectnet_tree(name, rows)
  local dir = tmpdir(name)
  local img = mien.zeros({ 60, 80, 3 }, { dtype = "uint8" })
  img:narrow(1, 11, 40):narrow(2, 21, 30):fill_(255)
  local lines = { AFFECT_HEADER }
  for i, r in ipairs(rows) do
    local path = string.format("%d/img%d.jpg", 100 + i % 2, i)
    write_image(dir .. "/images/" .. path, img)
    local pts = {}
    for p = 1, 68 do pts[#pts + 1] = string.format("%.2f;%.2f", 20 + p % 30, 10 + p % 40) end
    lines[#lines + 1] = string.format("%s,20,10,30,40,%s,%s,%s,%s", r.path or path, table.concat(pts, ";"), r[1],
      r[2], r[3])
  end
  write(dir .. "/training.csv", table.concat(lines, "\n") .. "\n")
  return dir
end

describe("data.affectnet", function()
  local rows = { { 0, 0.1, 0.2 }, { 1, 0.8, 0.5 }, { 6, -0.7, 0.6 }, { 7, -0.3, 0.1 }, { 8, -2, -2 }, { 10, -2, -2 } }
  local dir = affectnet_tree("affectnet", rows)

  it("crops the face boxes, with the 8-class subset and valence/arousal targets", function()
    local ds = data.affectnet(dir .. "/training.csv", dir .. "/images", { size = 32 })
    assert.same({ "neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt" }, ds.classes)
    assert.same({ 1, 2, 7, 8 }, ds:labels_table())
    assert.same({ 4, 32, 32, 3 }, ds.images:shape())
    -- the crop is the white box (JPEG: near 255 everywhere)
    assert.is_true(ds.images:to("float32"):min():item() > 200)
    local va = ds.valence_arousal:totable()
    assert.near(0.8, va[2][1], 1e-6)
    assert.near(0.6, va[3][2], 1e-6)
    assert.same({ 4, 68, 2 }, ds.landmarks:shape())
    local p = ds.landmarks:totable()[1][30] -- point 30 at (20 + 0, 10 + 30): (0, 30) in the box, times 32/30, 32/40
    assert.near(0, p[1], 1e-4)
    assert.near(24, p[2], 1e-4)
  end)

  it("takes the 7-class subset", function()
    local ds = data.affectnet(dir .. "/training.csv", dir .. "/images", { size = 16, classes = 7, channels = 1 })
    assert.equal(7, #ds.classes)
    assert.same({ 1, 2, 7 }, ds:labels_table())
    assert.same({ 3, 16, 16, 1 }, ds.images:shape())
    assert.same({ 3, 2 }, ds:subset({ 1, 2, 3 }).valence_arousal:shape())
  end)

  it("fails with one line saying what it expected", function()
    local bad = affectnet_tree("affectnet_label", { { 0, 0, 0 }, { 11, 0, 0 } })
    fails_with(function() data.affectnet(bad .. "/training.csv", bad .. "/images") end, "line 3",
      "expression '11' is outside 0..10")
    local escape = affectnet_tree("affectnet_escape", { { 0, 0, 0, path = "../../etc/passwd" } })
    fails_with(function() data.affectnet(escape .. "/training.csv", escape .. "/images") end, "leaves")
    local header = affectnet_tree("affectnet_header", { { 0, 0, 0 } })
    write(header .. "/training.csv", "path,label\nx.jpg,1\n")
    fails_with(function() data.affectnet(header .. "/training.csv", header .. "/images") end,
      "no column 'subDirectory_filePath'")
    local box = affectnet_tree("affectnet_box", { { 0, 0, 0 } })
    local text = H.read_file(box .. "/training.csv"):gsub(",20,10,30,40,", ",500,10,30,40,")
    write(box .. "/training.csv", text)
    fails_with(function() data.affectnet(box .. "/training.csv", box .. "/images") end, "face box", "outside")
    local missing = affectnet_tree("affectnet_missing", { { 0, 0, 0 }, { 1, 0, 0 } })
    os.remove(missing .. "/images/100/img2.jpg")
    fails_with(function() data.affectnet(missing .. "/training.csv", missing .. "/images") end, "img2.jpg", "line 3")
    assert.equal(1, #data.affectnet(missing .. "/training.csv", missing .. "/images", { skip_bad = true }))
    fails_with(function() data.affectnet(dir .. "/training.csv", dir .. "/images", { classes = 6 }) end, "7 or 8")
  end)
end)

-- class names across data sets ------------------------------------------------

describe("data.classes", function()
  local classes = data.classes

  it("maps every data set's names to one canonical list", function()
    assert.equal("happy", classes.canonical("happiness"))
    assert.equal("angry", classes.canonical("Anger"))
    assert.equal("sad", classes.canonical("sadness"))
    assert.equal("fear", classes.canonical("fearful"))
    assert.equal("surprise", classes.canonical("SU"))
    assert.is_nil(classes.canonical("positive"))
  end)

  it("matches classes by name, reporting those one side lacks", function()
    local fer = data.FER_CLASSES -- angry, disgust, fear, happy, sad, surprise, neutral
    local ck = { "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise" }
    local m = classes.match(ck, fer)
    assert.same({ 1, nil, 2, 3, 4, 5, 6 }, { m.to_model[1], m.to_model[2], m.to_model[3], m.to_model[4],
      m.to_model[5], m.to_model[6], m.to_model[7] })
    assert.same({ "contempt" }, m.only_data)
    assert.same({ "neutral" }, m.only_model)
    assert.equal("not in the model: contempt; not in the data: neutral", classes.describe(m))
    assert.has_error(function() classes.match({ "happy", "bored" }, fer) end)
  end)

  it("relabels a data set into a model's classes", function()
    local ds = data.dataset { images = mien.zeros({ 4, 2, 2, 1 }, { dtype = "uint8" }),
      labels = mien.tensor({ 1, 2, 3, 2 }, { dtype = "int64" }), classes = { "happiness", "contempt", "sadness" } }
    local out, m = classes.align(ds, data.FER_CLASSES)
    assert.equal(2, #out)
    assert.same({ 4, 5 }, out:labels_table())
    assert.same(data.FER_CLASSES, out.classes)
    assert.same({ contempt = 2 }, m.dropped)
  end)
end)

-- malformed fields, one at a time -------------------------------------------

-- Each field of each line of a reader's text file replaced in turn by each of
-- these, and each line dropped and doubled: the reader takes the file or fails
-- with its own error, never with a Lua runtime error (a check it lacks).
local FIELD_VALUES = { "", "x", "-1", "0", "1.5", "1e309", "nan", "-nan", "99999999999999999999", "0x10", " 7 " }

-- {first, past-the-end} of each field: between commas, or runs of non-blanks.
local function field_spans(line, sep)
  local spans = {}
  if sep == " " then
    for s, e in line:gmatch("()%S+()") do spans[#spans + 1] = { s, e } end
    return spans
  end
  local s = 1
  while true do
    local e = line:find(sep, s, true)
    spans[#spans + 1] = { s, e or #line + 1 }
    if not e then return spans end
    s = e + 1
  end
end

-- {what=, text=} for every mutation of the first max_lines lines of text.
local function mutations(text, sep, max_lines)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local out = {}
  local function add(what, i, replacement)
    local copy = { table.unpack(lines) }
    if replacement then copy[i] = replacement else table.remove(copy, i) end
    out[#out + 1] = { what = what, text = table.concat(copy, "\n") .. "\n" }
  end
  for i = 1, math.min(#lines, max_lines or #lines) do
    local line = lines[i]
    for f, span in ipairs(field_spans(line, sep)) do
      for _, v in ipairs(FIELD_VALUES) do
        add(string.format("line %d field %d = %q", i, f, v), i, line:sub(1, span[1] - 1) .. v .. line:sub(span[2]))
      end
    end
    add(string.format("line %d dropped", i), i, nil)
    add(string.format("line %d doubled", i), i, line .. "\n" .. line)
  end
  return out
end

-- Rewrites path with every mutation, calls load each time, and puts it back.
local function each_field(path, sep, load, max_lines)
  local original = H.read_file(path)
  local failures, all = {}, mutations(original, sep, max_lines)
  for _, m in ipairs(all) do
    H.write_file(path, m.text)
    local err = H.runtime_error(load)
    if err then failures[#failures + 1] = path:match("[^/]+$") .. " " .. m.what .. ": " .. err end
  end
  H.write_file(path, original)
  assert.is_true(#all >= #FIELD_VALUES, "only " .. #all .. " mutations")
  assert(#failures == 0, string.format("%d of %d mutations raised a Lua runtime error; the first:\n%s", #failures,
    #all, failures[1]))
end

describe("the data set readers with one field malformed at a time", function()
  it("CK+ Emotion, FACS and Landmarks files", function()
    local dir = ckplus_tree("ckplus_fields")
    local function load() data.ckplus(dir) end
    each_field(dir .. "/Emotion/S010/004/S010_004_00000004_emotion.txt", " ", load)
    each_field(dir .. "/FACS/S011/002/S011_002_00000005_facs.txt", " ", load)
    each_field(dir .. "/Landmarks/S011/002/S011_002_00000005_landmarks.txt", " ", load, 2)
  end)

  it("FER+ fer2013new.csv", function()
    local dir = ferplus_files("ferplus_fields")
    each_field(dir .. "/fer2013new.csv", ",",
      function() data.ferplus(dir .. "/fer2013.csv", dir .. "/fer2013new.csv") end)
  end)

  it("RAF-DB list_patition_label.txt", function()
    local dir = rafdb_tree("rafdb_fields", { { "train_00001.jpg", 5 }, { "test_0001.jpg", 7 } })
    each_field(dir .. "/EmoLabel/list_patition_label.txt", " ", function() data.rafdb(dir) end)
  end)

  it("AffectNet training.csv", function()
    local dir = affectnet_tree("affectnet_fields", { { 0, 0.1, 0.2 }, { 8, -2, -2 } })
    each_field(dir .. "/training.csv", ",", function() data.affectnet(dir .. "/training.csv", dir .. "/images") end)
  end)
end)
