-- mien.face: decoding and NMS of detector outputs, the alignment geometry
-- (synthetic images, no weights needed), and with ../shared the whole
-- pipeline on real photos: the tiny face detector, 68 landmarks, aligned
-- crops, crop_folder.
local mien = require "mien"
local image = require "mien.image"
local face = require "mien.face"
local detect = require "mien.face.detect"
local align = require "mien.face.align"
local H = require "spec.support.helpers"

-- 68 points all at the origin except the two eyes' six points each.
local function eye_points(lx, ly, rx, ry)
  local p = {}
  for i = 1, 68 do p[i] = { 0, 0 } end
  for i = 37, 42 do p[i] = { lx, ly } end
  for i = 43, 48 do p[i] = { rx, ry } end
  return p
end

-- The source point an output point (X, Y) samples under warp matrix m.
local function apply(m, X, Y) return m[1] * X + m[2] * Y + m[3], m[4] * X + m[5] * Y + m[6] end

describe("face alignment geometry", function()
  it("puts the eyes level at the framing's places", function()
    local frame = { size = 48, eye_y = 0.38, eye_distance = 0.37 }
    for _, eyes in ipairs { { 30, 40, 70, 40 }, { 30, 40, 70, 60 }, { 100, 80, 60, 50 }, { 10, 10, 11, 30 } } do
      local m = align.matrix(eyes[1], eyes[2], eyes[3], eyes[4], frame)
      local half = 0.37 * 48 / 2
      local lx, ly = apply(m, 24 - half, 0.38 * 48)
      local rx, ry = apply(m, 24 + half, 0.38 * 48)
      H.assert_close({ lx, ly, rx, ry }, eyes, 1e-9, "eyes")
    end
  end)

  it("an aligned crop of a tilted synthetic face has its eye dots level", function()
    -- a black 100x100 image with two white 3x3 dots at (30.5, 40.5) and (70.5, 60.5)
    local img = mien.zeros({ 100, 100, 1 }, { dtype = "uint8" })
    img:narrow(1, 40, 3):narrow(2, 30, 3):fill_(255)
    img:narrow(1, 60, 3):narrow(2, 70, 3):fill_(255)
    local crop = face.align(img, eye_points(30.5, 40.5, 70.5, 60.5), { size = 64, eye_y = 0.4, eye_distance = 0.5 })
    assert.are.same({ 64, 64, 1 }, crop:shape())
    local t = crop:totable()
    -- the dots land at (16, 25.6) and (48, 25.6): pixels (row 26, cols 16-17 and 48-49)
    local function bright(r, c) return t[r][c][1] > 100 end
    assert.is_true(bright(26, 16) or bright(26, 17))
    assert.is_true(bright(26, 48) or bright(26, 49))
    local rows = {}
    for r = 1, 64 do
      for c = 1, 64 do if bright(r, c) then rows[r] = true end end
    end
    for r in pairs(rows) do assert.is_true(r >= 24 and r <= 28, "bright pixel off the eye line at row " .. r) end
  end)

  it("channels and bad input", function()
    local img = mien.zeros({ 50, 50, 3 }, { dtype = "uint8" })
    local pts = eye_points(15, 20, 35, 20)
    assert.are.same({ 48, 48, 1 }, face.align(img, pts, { channels = 1 }):shape())
    assert.are.same({ 32, 32, 3 }, face.align(img, { landmarks = pts }, { size = 32 }):shape())
    assert.has_error(function() face.align(img, { { 1, 2 } }) end, "face.align: expected 68 landmarks, got 1")
    assert.has_error(function() face.align(img, eye_points(5, 5, 5, 5)) end, "face.align: the two eye centres coincide")
    assert.has_error(function() face.align(img, pts, { channels = 2 }) end, "face.align: channels must be 1 or 3")
    assert.has_error(function() face.detect(mien.zeros({ 4, 4 })) end,
      "face.detect: expected an image path or a uint8 tensor [H,W,C]")
  end)
end)

describe("face detector output decoding", function()
  -- A [25][G][G] output with every score very low except the given cells.
  local function output(G, hits)
    local out = {}
    for ch = 1, 25 do
      out[ch] = {}
      for r = 1, G do
        out[ch][r] = {}
        for c = 1, G do out[ch][r][c] = (ch % 5 == 0) and -20 or 0 end
      end
    end
    for _, h in ipairs(hits) do
      local k = (h.anchor - 1) * 5
      out[k + 5][h.row][h.col] = h.logit
    end
    return out
  end

  it("decodes centre, size and score in image pixels", function()
    -- G = 4, canvas 128, letterbox scale 0.5 (a 256x200 image): cell (2, 3),
    -- anchor 1, zero offsets -> centre ((2 + 0.5)/4, (1 + 0.5)/4) * 128 / 0.5
    local boxes = detect.decode(output(4, { { row = 2, col = 3, anchor = 1, logit = 2 } }), 128, 0.5, 200, 256, 0.5)
    assert.are.equal(1, #boxes)
    local b = boxes[1]
    local cx, cy = 2.5 / 4 * 256, 1.5 / 4 * 256
    local w, h = 1.603231 / 4 * 256, 2.094468 / 4 * 256
    H.assert_close({ b.x, b.y, b.w, b.h, b.score }, { cx - w / 2, cy - h / 2, w, h, 1 / (1 + math.exp(-2)) }, 1e-9)
  end)

  it("clips to the image and keeps only scores above the threshold", function()
    local boxes = detect.decode(output(4, { { row = 1, col = 1, anchor = 5, logit = 3 },
      { row = 4, col = 4, anchor = 2, logit = -0.1 } }), 128, 1, 128, 128, 0.5)
    assert.are.equal(1, #boxes)
    assert.are.same({ 0, 0 }, { boxes[1].x, boxes[1].y })
  end)

  it("NMS keeps the best of overlapping boxes, best first", function()
    local kept = detect.nms({
      { x = 0, y = 0, w = 10, h = 10, score = 0.6 },
      { x = 1, y = 1, w = 10, h = 10, score = 0.9 },
      { x = 50, y = 50, w = 10, h = 10, score = 0.7 },
      { x = 5, y = 0, w = 10, h = 10, score = 0.8 }, -- IoU with the best: 36/164 < 0.4
    }, 0.4)
    assert.are.same({ 0.9, 0.8, 0.7 }, { kept[1].score, kept[2].score, kept[3].score })
    assert.are.equal(0, detect.iou({ x = 0, y = 0, w = 1, h = 1 }, { x = 2, y = 2, w = 1, h = 1 }))
  end)
end)

describe("face pipeline on real photos", function()
  if not H.has_shared("weights/face-api/tiny_face_detector_model-weights_manifest.json") then
    pending("../shared not found")
    return
  end
  local dir = H.SHARED .. "/weights"
  local photos = H.SHARED .. "/photos/"

  it("the tiny face detector loads with all its tensors", function()
    local net = mien.models.load("faceapi_tiny_face_detector", { dir = dir })
    local n = 0
    for _, p in ipairs(net:parameters()) do n = n + p:numel() end
    assert.are.equal(193321, n)
    local out = mien.no_grad(function() return net:eval()(mien.zeros({ 1, 3, 416, 416 })) end)
    assert.are.same({ 1, 25, 13, 13 }, out:shape())
    assert.has_error(function() mien.models.load("faceapi_tiny_face_detector", { dir = dir, include_top = false }) end)
  end)

  it("finds the one face of the astronaut photo, eyes inside the box", function()
    local img = image.load(photos .. "astronaut_eileen_collins.png", 3)
    local faces = face.landmarks(img, face.detect(img, { dir = dir }), { dir = dir })
    assert.are.equal(1, #faces)
    local f = faces[1]
    assert.is_true(f.score > 0.8)
    -- the face is in the upper middle of the 512x512 portrait
    assert.is_true(f.x > 100 and f.x + f.w < 350 and f.y > 30 and f.y + f.h < 250)
    local lx, ly, rx, ry = align.eyes(f.landmarks)
    assert.is_true(lx < rx, "image-left eye left of the other")
    for _, p in ipairs { { lx, ly }, { rx, ry } } do
      assert.is_true(p[1] > f.x and p[1] < f.x + f.w and p[2] > f.y and p[2] < f.y + f.h / 2 + 10)
    end
    assert.is_true(math.abs(ry - ly) < 0.25 * (rx - lx), "a nearly upright face")
  end)

  it("finds all six faces of the group photo and crops them aligned", function()
    local crops, faces = face.crops(photos .. "oarriaga_test_image_group.jpg", { dir = dir, size = 48, channels = 1 })
    assert.are.equal(6, #faces)
    assert.are.same({ 6, 48, 48, 1 }, crops:shape())
    -- no two faces overlap, and the selfie face in front is the largest
    for i = 1, 6 do
      for j = i + 1, 6 do assert.are.equal(0, detect.iou(faces[i], faces[j])) end
    end
    local biggest = 1
    for i = 2, 6 do if faces[i].w > faces[biggest].w then biggest = i end end
    assert.is_true(faces[biggest].y > 800, "the big face is the one in front")
  end)

  it("re-aligning an aligned FER2013 face puts the eyes back on the framing (detect = false)", function()
    if not H.has_shared("data/fer2013/publictest/happy") then return pending("FER2013 not in ../shared") end
    local dir_happy = H.SHARED .. "/data/fer2013/publictest/happy/"
    local files = mien.core.listdir(dir_happy)
    table.sort(files)
    local good = 0
    for i = 1, 4 do
      local crops, faces = face.crops(dir_happy .. files[i], { dir = dir, detect = false, size = 96 })
      assert.are.same({ 1, 96, 96, 3 }, crops:shape())
      assert.are.equal(1, #faces)
      local f = face.landmarks(crops[1], { { x = 0, y = 0, w = 96, h = 96 } }, { dir = dir })[1]
      local lx, ly, rx, ry = align.eyes(f.landmarks)
      local want = { 48 - 0.37 * 48, 0.38 * 96, 48 + 0.37 * 48, 0.38 * 96 }
      local err = math.max(math.abs(lx - want[1]), math.abs(ly - want[2]), math.abs(rx - want[3]), math.abs(ry - want[4]))
      if err < 3 then good = good + 1 end
    end
    assert.is_true(good >= 3, good .. " of 4 faces re-aligned within 3 px")
  end)

  it("a blank image has no faces", function()
    local crops, faces = face.crops(mien.full({ 240, 320, 3 }, 128, { dtype = "uint8" }), { dir = dir })
    assert.is_nil(crops)
    assert.are.same({}, faces)
  end)

  it("the FER2013 classifier reads the astronaut's smile as happy", function()
    local net = mien.models.load("emotion_xception", { dir = dir }):eval()
    local crops = face.crops(photos .. "astronaut_eileen_collins.png", { dir = dir, size = 64, channels = 1 })
    local p = mien.no_grad(function() return net(net.preprocess(crops)) end)
    assert.are.equal("happy", net.classes[p:argmax(2):totable()[1]])
  end)

  it("crop_folder writes aligned crops per class and reports photos without faces", function()
    local tmp = H.tmpdir()
    H.mkdir(tmp .. "/raw/happy")
    H.mkdir(tmp .. "/raw/blank")
    H.write_file(tmp .. "/raw/happy/a.png", H.read_file(photos .. "astronaut_eileen_collins.png"))
    H.write_file(tmp .. "/raw/happy/notes.txt", "not an image")
    image.write(tmp .. "/raw/blank/grey.png", mien.full({ 64, 64, 3 }, 90, { dtype = "uint8" }))
    local summary = face.crop_folder(tmp .. "/raw", tmp .. "/aligned", { dir = dir, size = 48, channels = 1 })
    assert.are.equal(1, summary.written)
    assert.are.same({ tmp .. "/raw/blank/grey.png" }, summary.no_face)
    local ds = mien.data.image_folder(tmp .. "/aligned")
    assert.are.equal(1, #ds)
    assert.are.same({ 1, 48, 48, 1 }, ds.images:shape())
    H.write_file(tmp .. "/raw/happy/bad.png", "truncated")
    local ok, err = pcall(face.crop_folder, tmp .. "/raw", tmp .. "/aligned", { dir = dir })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("cannot decode '" .. tmp .. "/raw/happy/bad.png'", 1, true))
    H.remove_dir(tmp)
  end)
end)
