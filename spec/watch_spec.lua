-- mien watch: IoU tracking and smoothing on made-up detections, and with
-- ../shared the whole command on a video the spec writes from CK+ faces
-- with one known expression per segment.
local mien = require "mien"
local track = require "mien.watch.track"
local H = require "spec.support.helpers"

local function det(x, y, probs) return { x = x, y = y, w = 40, h = 40, score = 0.9, probs = probs } end

describe("watch tracks", function()
  it("keep each face's id while it moves and give a new face a new id", function()
    local t = track.new { smooth = "none" }
    local a = t:update { det(10, 10, { 1, 0 }), det(200, 10, { 0, 1 }) }
    assert.are.same({ 1, 2 }, { a[1].id, a[2].id })
    -- both move a little, listed in the other order, and a third face appears
    local b = t:update { det(205, 14, { 0, 1 }), det(300, 300, { 1, 0 }), det(14, 12, { 1, 0 }) }
    assert.are.same({ 2, 3, 1 }, { b[1].id, b[2].id, b[3].id })
  end)

  it("end a track after max_missed frames without it", function()
    local t = track.new { max_missed = 2 }
    t:update { det(10, 10, { 1, 0 }) }
    t:update {}
    t:update {}
    assert.are.equal(1, t:update({ det(10, 10, { 1, 0 }) })[1].id) -- missed twice: still alive
    t:update {}
    t:update {}
    t:update {}
    assert.are.equal(2, t:update({ det(10, 10, { 1, 0 }) })[1].id)
  end)

  it("smooth probabilities by EMA or a window", function()
    local t = track.new { smooth = "ema", alpha = 0.5 }
    t:update { det(0, 0, { 1, 0 }) }
    H.assert_close(t:update({ det(0, 0, { 0, 1 }) })[1].smoothed, { 0.5, 0.5 }, 1e-12, "ema")
    H.assert_close(t:update({ det(0, 0, { 0, 1 }) })[1].smoothed, { 0.25, 0.75 }, 1e-12, "ema")
    t = track.new { smooth = "window", window = 2 }
    t:update { det(0, 0, { 1, 0 }) }
    H.assert_close(t:update({ det(0, 0, { 0, 1 }) })[1].smoothed, { 0.5, 0.5 }, 1e-12, "window")
    H.assert_close(t:update({ det(0, 0, { 0, 1 }) })[1].smoothed, { 0, 1 }, 1e-12, "window")
    assert.has_error(function() track.new { smooth = "median" } end,
      "track: smooth must be 'ema', 'window' or 'none', got 'median'")
  end)
end)

describe("mien watch", function()
  local video = require "mien.video"
  -- one CK+ face per segment, with faceapi_expression's name for it
  -- (faces the classifier is sure of in this framing, so the spec tests the pipeline, not the net)
  local SEGMENTS = { { "happy/S010_006_00000013.png", "happy" }, { "surprise/S026_001_00000013.png", "surprised" },
    { "anger/S503_001_00000069.png", "angry" } }
  local PER_SEGMENT = 6

  it("names a video it cannot read", function()
    if not video.available() then return pending("built without libav") end
    local dir = H.tmpdir()
    H.write_file(dir .. "/broken.mp4", "not a video")
    local p = io.popen(string.format("scripts/mien watch %s/broken.mp4 --out %s/out 2>&1", dir, dir))
    local out = p:read("a")
    assert.is_nil(p:close())
    assert.truthy(out:find("cannot open '" .. dir .. "/broken.mp4'", 1, true), out)
    H.remove_dir(dir)
  end)

  it("finds the face of a test video and gives each segment's emotion", function()
    if not video.available() then return pending("built without libav") end
    if not H.has_shared("data/ckplus48/labels.csv") or
      not H.has_shared("weights/face-api/face_expression_model-weights_manifest.json") then
      return pending("../shared (CK+ and the face-api weights) not found")
    end
    local image = require "mien.image"
    local dir = H.tmpdir()
    do -- the face drifts across a 320x240 frame, PER_SEGMENT frames per expression
      local w <close> = video.writer(dir .. "/faces.mp4", { fps = 10 })
      for _, seg in ipairs(SEGMENTS) do
        local face = image.resize(image.load(H.SHARED .. "/data/ckplus48/" .. seg[1], 3), 144, 144, "bilinear")
        for k = 1, PER_SEGMENT do
          local frame = mien.full({ 240, 320, 3 }, 90, { dtype = "uint8" })
          frame:narrow(1, 40 + 2 * k, 144):narrow(2, 60 + 5 * k, 144):copy_(face)
          w:write(frame)
        end
      end
    end
    local p = io.popen(string.format("scripts/mien watch %s/faces.mp4 --out %s/out --threads 1 2>&1", dir, dir))
    local out = p:read("a")
    assert.is_true(p:close(), out)
    assert.truthy(out:find("18 frames"), out)
    assert.truthy(out:find("frames/s"), out)
    -- faces.csv: per frame the face's id and smoothed label
    local lines = {}
    for line in H.read_file(dir .. "/out/faces.csv"):gmatch("[^\n]+") do lines[#lines + 1] = line end
    local header = {}
    for name in lines[1]:gmatch("[^,]+") do header[#header + 1] = name end
    assert.are.same({ "time", "frame", "face", "x", "y", "w", "h", "score", "fresh", "label" },
      { table.unpack(header, 1, 10) })
    assert.truthy(lines[1]:find(",AU1,AU2,AU4,", 1, true))
    local votes, frames_with_face, ids = {}, {}, {}
    for i = 2, #lines do
      local f = {}
      for v in lines[i]:gmatch("[^,]+") do f[#f + 1] = v end
      local frame = tonumber(f[2])
      local seg = (frame - 1) // PER_SEGMENT + 1
      frames_with_face[frame], ids[f[3]] = true, true
      votes[seg] = votes[seg] or {}
      votes[seg][f[10]] = (votes[seg][f[10]] or 0) + 1
    end
    local n = 0
    for _ in pairs(frames_with_face) do n = n + 1 end
    assert.is_true(n >= 16, "frames with a face: " .. n)
    assert.are.same({ ["1"] = true }, ids) -- one face in one place throughout: one track
    for s, seg in ipairs(SEGMENTS) do -- the expected label wins each segment outright
      local v = votes[s] or {}
      for label, c in pairs(v) do
        if label ~= seg[2] then
          assert.is_true((v[seg[2]] or 0) > c, string.format("segment %d: %s %d, %s %d", s, seg[2], v[seg[2]] or 0, label, c))
        end
      end
      assert.is_true((v[seg[2]] or 0) >= PER_SEGMENT // 2, "segment " .. s)
    end
    assert.truthy(H.read_file(dir .. "/out/timeline_face1.svg"):find("<svg", 1, true))
    local frames = 0
    for _ in video.frames(dir .. "/out/annotated.mp4") do frames = frames + 1 end
    assert.are.equal(18, frames)
    H.remove_dir(dir)
  end)
end)
