-- mien.au: landmark geometry and AU intensities, EMFACS emotions from AUs,
-- the synthetic faces' AU labels, the per-AU report, and the AU training
-- path end to end on synthetic faces (a small CNN and a BCE-with-logits head).
local mien = require "mien"
local au = require "mien.au"
local geometry = require "mien.au.geometry"
local H = require "spec.support.helpers"

-- A schematic face in inter-ocular units (eye centres at x = -0.5 and 0.5,
-- y = 0, y down), in the 68-point layout.
local function template()
  local p = {}
  for i = 1, 17 do -- jaw, chin (9) lowest
    local a = math.pi * (i - 1) / 16
    p[i] = { -0.9 * math.cos(a), 0.1 + 1.0 * math.sin(a) }
  end
  for i = 18, 22 do p[i] = { -0.9 + 0.16 * (i - 18), -0.28 } end -- brow, outer (18) to inner (22)
  for i = 23, 27 do p[i] = { 0.26 + 0.16 * (i - 23), -0.28 } end -- inner (23) to outer (27)
  for i = 28, 31 do p[i] = { 0, 0.1 * (i - 27) } end
  for i = 32, 36 do p[i] = { -0.12 + 0.06 * (i - 32), 0.75 } end
  local function eye(first, cx, s)
    p[first] = { cx - s * 0.2, 0 }; p[first + 1] = { cx - s * 0.07, -0.055 }; p[first + 2] = { cx + s * 0.07, -0.055 }
    p[first + 3] = { cx + s * 0.2, 0 }; p[first + 4] = { cx + s * 0.07, 0.055 }; p[first + 5] = { cx - s * 0.07, 0.055 }
  end
  eye(37, -0.5, -1) -- 37 outer corner on the left, 40 inner
  eye(43, 0.5, -1)  -- 43 inner, 46 outer
  for i = 49, 60 do -- outer lips: 49 and 55 corners, 52 top, 58 bottom
    local a = 2 * math.pi * (i - 49) / 12
    p[i] = { -0.38 * math.cos(a), 1.0 - 0.1 * math.sin(a) }
  end
  for i = 61, 68 do -- inner lips: 63 top, 67 bottom, closed
    local a = 2 * math.pi * (i - 61) / 8
    p[i] = { -0.3 * math.cos(a), 1.0 }
  end
  -- the eye centres must be exactly at +-0.5
  return p
end

local function moved(points, list, dx, dy)
  local out = {}
  for i, q in ipairs(points) do out[i] = { q[1], q[2] } end
  for _, i in ipairs(list) do out[i] = { out[i][1] + dx, out[i][2] + dy } end
  return out
end

-- pixels: scaled by s, rotated by a, shifted by (tx, ty)
local function to_image(points, s, a, tx, ty)
  local out = {}
  for i, q in ipairs(points) do
    out[i] = { tx + s * (math.cos(a) * q[1] - math.sin(a) * q[2]), ty + s * (math.sin(a) * q[1] + math.cos(a) * q[2]) }
  end
  return out
end

describe("AU geometry", function()
  local neutral = geometry.measures(template())

  it("measures in inter-ocular units, whatever the face's size, roll and place", function()
    local m = geometry.measures(to_image(template(), 83, 0.3, 200, 140))
    for _, name in ipairs(geometry.NAMES) do
      assert.is_true(math.abs(m[name] - neutral[name]) < 1e-9, name)
    end
    assert.is_true(math.abs(neutral.brow_inner_height - 0.28) < 1e-9)
    assert.is_true(math.abs(neutral.lip_stretch - 0.76) < 1e-9)
    assert.are.equal(0, neutral.mouth_opening)
  end)

  it("maps each movement to its AUs", function()
    local base = template()
    local function aus(points) return au.from_landmarks(to_image(points, 60, -0.2, 100, 100), { neutral = neutral }) end
    for name, v in pairs(aus(base)) do assert.is_true(v < 1e-9, name) end
    local raised = aus(moved(base, { 18, 19, 20, 21, 22, 23, 24, 25, 26, 27 }, 0, -0.1))
    assert.is_true(raised.AU1 > 0.9 and raised.AU2 > 0.9 and raised.AU4 < 1e-9)
    local lowered = aus(moved(moved(base, { 21, 22, 23, 24 }, 0, 0.08), { 22 }, 0.05, 0))
    assert.is_true(lowered.AU4 > 0.5 and lowered.AU1 < 1e-9)
    local smile = aus(moved(moved(base, { 49 }, -0.05, -0.06), { 55 }, 0.05, -0.06))
    assert.is_true(smile.AU12 > 0.6 and smile.AU15 < 1e-9, "AU12 " .. smile.AU12)
    local frown = aus(moved(base, { 49, 55 }, 0, 0.06))
    assert.is_true(frown.AU15 > 0.8 and frown.AU12 < 1e-9)
    local open = aus(moved(base, { 56, 57, 58, 59, 60, 65, 66, 67, 68, 61, 7, 8, 9, 10, 11 }, 0, 0.25))
    assert.is_true(open.AU25 == 1 and open.AU26 > 0.5, "AU26 " .. open.AU26)
    local wide = aus(moved(moved(base, { 38, 39, 44, 45 }, 0, -0.03), { 41, 42, 47, 48 }, 0, 0.03))
    assert.is_true(wide.AU5 > 0.9 and wide.AU7 < 1e-9)
  end)

  it("checks its input", function()
    assert.has_error(function() au.from_landmarks({ { 1, 2 } }) end, "au: expected 68 landmarks {x, y}, got 1")
    assert.has_error(function() au.from_landmarks(template(), { neutral = { eye_opening = 1 } }) end,
      "au.from_landmarks: opts.neutral has no number 'brow_inner_height'")
    local n = au.neutral_from { template(), to_image(template(), 10, 1, 0, 0) }
    assert.is_true(math.abs(n.lip_stretch - 0.76) < 1e-9)
  end)

  it("sees a smile on a real photo (../shared)", function()
    if not H.has_shared("photos/astronaut_eileen_collins.png") or
      not H.has_shared("weights/face-api/face_landmark_68_model-weights_manifest.json") then
      return pending("../shared (photos, face-api weights) not found")
    end
    local face = require "mien.face"
    local img = require("mien.image").load(H.SHARED .. "/photos/astronaut_eileen_collins.png", 3)
    local f = face.landmarks(img, face.detect(img))[1]
    local aus = au.from_landmarks(f.landmarks)
    assert.is_true(aus.AU12 > 0.5, "AU12 " .. aus.AU12)
    assert.are.equal("happiness", au.to_emotion(aus)[1].emotion)
  end)
end)

describe("au.manifest", function()
  it("loads AU-coded images with one column per AU", function()
    local dir = H.tmpdir()
    local image = require "mien.image"
    for i = 1, 3 do image.write(dir .. "/f" .. i .. ".png", mien.full({ 8, 8, 1 }, 40 * i, { dtype = "uint8" })) end
    H.write_file(dir .. "/aus.csv", "path,subject,AU1,AU12,AU26\nf1.png,S1,0,5,1\nf2.png,S1,2,0,0\nf3.png,S2,5,5,5\n")
    local ds = au.manifest(dir .. "/aus.csv", { scale = 5 })
    assert.are.equal(3, #ds)
    assert.are.same({ "AU1", "AU12", "AU26" }, ds.au_names)
    H.assert_close(H.flat(ds.aus), { 0, 1, 0.2, 0.4, 0, 0, 1, 1, 1 }, 1e-6, "aus")
    assert.are.same({ "S1", "S1", "S2" }, ds.groups)
    H.write_file(dir .. "/bad.csv", "path,AU1\nf1.png,x\n")
    assert.has_error(function() au.manifest(dir .. "/bad.csv") end, "au.manifest: '" .. dir .. "/bad.csv' line 2: AU1 is not a number")
    assert.has_error(function() au.manifest(dir .. "/aus.csv", { aus = { "AU4" } }) end,
      "au.manifest: '" .. dir .. "/aus.csv' has no column 'AU4'")
    H.remove_dir(dir)
  end)
end)

describe("au.to_emotion", function()
  it("scores the EMFACS prototypes, partial matches included", function()
    local r = au.to_emotion { AU6 = 1, AU12 = 1 }
    assert.are.same({ "happiness", 1 }, { r[1].emotion, r[1].score })
    assert.are.same({ "contempt", 0.5 }, { r[2].emotion, r[2].score })
    assert.are.equal(#au.EMOTIONS, #r)
    r = au.to_emotion({ AU1 = true, AU2 = true, AU5 = true, AU26 = true }, { min_score = 0.1 })
    assert.are.same({ "surprise", 1 }, { r[1].emotion, r[1].score })
    assert.are.same({ "fear", 4 / 7 }, { r[2].emotion, r[2].score })
    assert.are.same({ "AU1", "AU2", "AU5", "AU26" }, r[2].matched)
    r = au.to_emotion({ AU9 = 0.6, AU15 = 0.6 }, { min_score = 0.3 })
    assert.are.same({ "disgust" }, { r[1].emotion })
    assert.is_true(math.abs(r[1].score - 0.4) < 1e-12)
  end)

  it("takes a replacement table and checks its input", function()
    local r = au.to_emotion({ AU4 = 1 }, { prototypes = { frown = { "AU4" }, smile = { "AU12" } } })
    assert.are.same({ "frown", 1, "smile", 0 }, { r[1].emotion, r[1].score, r[2].emotion, r[2].score })
    assert.has_error(function() au.to_emotion({ AU4 = "x" }) end, "au.to_emotion: AU4 must be a number or boolean, got string")
    assert.has_error(function() au.to_emotion({}, { prototypes = { x = {} } }) end,
      "au.to_emotion: the prototype of 'x' must be a non-empty list of AUs")
  end)
end)

describe("synthetic faces with AU labels", function()
  it("label each face with the AUs of its expression", function()
    local ds = mien.data.synthetic_faces { n = 140, size = 16, aus = true, seed = 3 }
    assert.are.same({ 140, 14 }, ds.aus:shape())
    assert.are.same({ "AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU15", "AU20", "AU23", "AU25",
      "AU26" }, ds.au_names)
    assert.is_true(ds.aus:min():item() >= 0 and ds.aus:max():item() <= 1)
    local col = {}
    for k, name in ipairs(ds.au_names) do col[name] = k end
    local aus = ds.aus:totable()
    local count = {}
    for i = 1, 140 do
      local c = ds.classes[ds.labels[i]]
      local function on(name) return aus[i][col[name]] >= 0.5 end
      count[c] = count[c] or { n = 0, hit = 0 }
      count[c].n = count[c].n + 1
      local hit = ({ happy = on("AU12"), surprise = on("AU26") and on("AU2"), sad = on("AU15"),
        angry = on("AU4"), disgust = on("AU10"), fear = on("AU20") or on("AU1"), neutral = not on("AU12") })[c]
      if hit then count[c].hit = count[c].hit + 1 end
    end
    for c, v in pairs(count) do assert.is_true(v.hit >= 0.8 * v.n, c .. ": " .. v.hit .. " of " .. v.n) end
    -- face i is the same whatever n
    local few = mien.data.synthetic_faces { n = 7, size = 16, aus = true, seed = 3 }
    H.assert_close(H.flat(few.aus), H.flat(ds.aus:narrow(1, 1, 7)), 0, "aus")
  end)
end)

describe("the AU training path", function()
  it("learns the synthetic faces' AUs with BCE-with-logits (a small CNN, 8 epochs)", function()
    -- small batches: one thread avoids OpenMP's spin-waits on a busy machine
    local threads = mien.core.num_threads()
    mien.set_num_threads(1)
    mien.manual_seed(1) -- the layers' initial weights: the same whatever ran before
    finally(function() mien.set_num_threads(threads) end)
    local nn = require "mien.nn"
    local head = require "mien.au.head"
    local metrics = require "mien.metrics"
    local train = mien.data.synthetic_faces { n = 1400, size = 32, aus = true, seed = 5 }
    local test = mien.data.synthetic_faces { n = 350, size = 32, aus = true, seed = 6 }
    local function x(ds) return ds.images:permute(1, 4, 2, 3):float() / 255 end
    local net = nn.Sequential(nn.Conv2d(1, 8, 3, { padding = 1 }), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
      nn.Conv2d(8, 16, 3, { padding = 1 }), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
      nn.Conv2d(16, 32, 3, { padding = 1 }), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
      nn.Flatten(), head.new(32 * 4 * 4, 14))
    local losses = head.train(net, x(train), train.aus:ge(0.5):float(), { epochs = 8, lr = 3e-3, seed = 1 })
    assert.is_true(losses[8] < 0.85 * losses[1], string.format("loss %.3f -> %.3f", losses[1], losses[8]))
    local probs = head.predict(net, x(test))
    local text, r = metrics.multilabel_report(probs, test.aus:ge(0.5):float():totable(), train.au_names)
    assert.truthy(text:find("AU26", 1, true))
    print(string.format("  AU head: macro AUC %.3f", r.macro.auc))
    assert.is_true(r.macro.auc > 0.85, text)
    assert.is_true(r.auc[13] > 0.85 and r.auc[14] > 0.85, text) -- lips part, jaw drop
    local svg = require("mien.plot").multilabel(r, { title = "AUs" })
    assert.truthy(svg:find("<svg", 1, true) and svg:find("AU26", 1, true))
  end)
end)

describe("metrics.multilabel_report", function()
  it("gives per-label P/R/F1/AUC and the averages", function()
    local scores = { { 0.9, 0.2 }, { 0.8, 0.6 }, { 0.3, 0.1 }, { 0.1, 0.4 } }
    local targets = { { 1, 0 }, { 0, 1 }, { 1, 0 }, { 0, 0 } }
    local text, r = require("mien.metrics").multilabel_report(scores, targets, { "AU1", "AU2" })
    assert.are.same({ 0.5, 0.5 }, { r.precision[1], r.recall[1] })
    assert.are.same({ 1, 1 }, { r.precision[2], r.recall[2] })
    H.assert_close({ r.auc[1], r.auc[2] }, { 0.75, 1 }, 1e-12, "auc")
    assert.is_true(math.abs(r.macro.auc - 0.875) < 1e-12)
    assert.truthy(text:find("AU1", 1, true) and text:find("macro avg", 1, true))
    local _, r2 = require("mien.metrics").multilabel_report({ { 0.9 }, { 0.1 } }, { { 1 }, { 1 } })
    assert.is_true(r2.auc[1] ~= r2.auc[1]) -- one-valued targets: NaN
  end)
end)
