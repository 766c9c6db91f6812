--- mien.watch: expressions of every face in a video, frame by frame -- the
-- pipeline behind `mien watch`. For each processed frame: detect the faces
-- (face-api's tiny detector), locate their 68 landmarks, align and classify
-- each face, estimate its AUs from the landmarks (mien.au), and match the
-- faces to tracks (mien.watch.track) whose probabilities are smoothed over
-- time. Frames that are near duplicates of the last processed one (the
-- dedup_frames criterion, on small grey thumbnails), and with every = k all
-- but every k-th frame, keep the last results instead of being processed.
--
--   local watch = require "mien.watch"
--   local summary = watch.run("interview.mp4", {out = "runs/interview"})
--   -- runs/interview/faces.csv, timeline_face1.svg, ..., annotated.mp4
local mien = require "mien"
local image = require "mien.image"
local face = require "mien.face"
local video = require "mien.video"
local au = require "mien.au"
local plot = require "mien.plot"
local fs = require "mien.util.fs"
local track = require "mien.watch.track"
local frame_difference = require("mien.data").frame_difference

local watch = {}

-- Box colours by the top class (Tableau 10, RGB).
local COLOURS = { { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 }, { 148, 103, 189 },
  { 140, 86, 75 }, { 227, 119, 194 }, { 127, 127, 127 }, { 188, 189, 34 }, { 23, 190, 207 } }

--- The expression classifier of a checkpoint (written by mien.train.fit) or
-- a pretrained mien.models name.
-- @string model a checkpoint path or a model name ("faceapi_expression", "emotion_xception")
-- @tparam[opt] table opts fields: dir (the weights folder of mien.models)
-- @treturn table {name=, classes=, size=, channels=, predict=function(crops) -> probabilities [N][C]}
function watch.classifier(model, opts)
  opts = opts or {}
  if fs.exists(model) then
    local recipe = require "mien.train.recipe"
    local net, r = recipe.load_model(model)
    net = net:fuse() -- BatchNorm folded, ReLU and pooling fused (mien.nn.fuse)
    local input = r.input or {}
    local size = type(input.size) == "table" and input.size[1] or input.size or 48
    local classes = r.classes
    if not classes then error("watch: the checkpoint '" .. model .. "' names no classes", 2) end
    return { name = model, classes = classes, size = size, channels = input.channels or 1,
      predict = function(crops)
        return mien.no_grad(function() return mien.F.softmax(net(recipe.prepare(crops, r)), 2) end):totable()
      end }
  end
  local ok, net = pcall(mien.models.load, model, { dir = opts.dir })
  if not ok then error("watch: --model '" .. model .. "' is neither a checkpoint file nor a model: " .. tostring(net), 2) end
  if not net.classes then error("watch: the model '" .. model .. "' is not a classifier", 2) end
  local fast = net:fuse() -- in eval mode, BatchNorm folded (mien.nn.fuse)
  return { name = model, classes = net.classes, size = net.input.size[1], channels = net.input.channels,
    predict = function(crops) return mien.no_grad(function() return fast(net.preprocess(crops)) end):totable() end }
end

-- A filled rectangle (0-based pixel ranges, clipped) in an RGB image.
local function fill(img, x0, y0, x1, y1, colour)
  local H, W = img:size(1), img:size(2)
  x0, y0 = math.max(0, math.floor(x0)), math.max(0, math.floor(y0))
  x1, y1 = math.min(W, math.floor(x1)), math.min(H, math.floor(y1))
  if x1 <= x0 or y1 <= y0 then return end
  local v = img:narrow(1, y0 + 1, y1 - y0):narrow(2, x0 + 1, x1 - x0)
  for k = 1, 3 do v:narrow(3, k, 1):fill_(colour[k]) end
end

local function top_class(p)
  local best = 1
  for k = 2, #p do if p[k] > p[best] then best = k end end
  return best
end

-- Boxes coloured by each face's top class, with a bar per class under the
-- box (length: its smoothed probability; colour: the class's).
local function annotate(img, faces)
  for _, f in ipairs(faces) do
    local p = f.smoothed or f.probs
    image.draw_box(img, f, COLOURS[(top_class(p) - 1) % #COLOURS + 1], 2)
    local bar = math.max(3, math.floor(f.h / 20))
    for k, v in ipairs(p) do
      local y = f.y + f.h + 2 + (k - 1) * (bar + 1)
      fill(img, f.x, y, f.x + v * f.w, y + bar, COLOURS[(k - 1) % #COLOURS + 1])
    end
  end
  return img
end

-- Between detections a face's box comes from its landmarks in the last
-- processed frame: their bounding box, grown 1.35 times about its centre
-- (the detector's boxes are about 1.35 times the landmarks' extent, measured
-- on the faces of ../shared/photos), clipped to the frame.
local function box_from_landmarks(f, frame)
  local x0, y0, x1, y1 = math.huge, math.huge, -math.huge, -math.huge
  for _, q in ipairs(f.landmarks) do
    x0, y0 = math.min(x0, q[1]), math.min(y0, q[2])
    x1, y1 = math.max(x1, q[1]), math.max(y1, q[2])
  end
  local cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, 0.675 * (x1 - x0), 0.675 * (y1 - y0)
  local H, W = frame:size(1), frame:size(2)
  local bx0, by0 = math.max(0, cx - hw), math.max(0, cy - hh)
  local bx1, by1 = math.min(W, cx + hw), math.min(H, cy + hh)
  return { x = bx0, y = by0, w = math.max(1, bx1 - bx0), h = math.max(1, by1 - by0), score = f.score }
end

local function thumbnail(frame)
  local h, w = frame:size(1), frame:size(2)
  local s = math.min(1, 160 / math.max(h, w))
  return image.grey(image.resize(frame, math.max(1, math.floor(h * s + 0.5)), math.max(1, math.floor(w * s + 0.5)), "area"))
end

--- Runs detection, landmarks, classification, AUs and tracking over every
-- frame of a video, and writes the results.
-- @string path the video file (any format libavformat reads)
-- @tparam[opt] table opts fields: model ("faceapi_expression", or a checkpoint path),
--   dir (weights folder), out (output folder; nil writes nothing),
--   every (1: process every frame; k: every k-th), detect_every (1: run the detector on every
--   processed frame; k: on every k-th, the boxes in between following the landmarks), dedup (1.5: a frame whose mean absolute
--   difference to the last processed one, on 160-pixel grey thumbnails, is below this keeps its
--   results; 0 processes all), min_score (0.5), input_size (the detector's side, a multiple of
--   32; 416, or the frame's own when smaller), smooth ("ema"), alpha (0.4), window (5),
--   video (true: write annotated.mp4), fps (of the annotated video; default the input's),
--   max_frames (stop after this many), on_frame (function(index, time, faces) after each frame),
--   verbose (a progress line per second)
-- @treturn table {frames=, processed=, seconds=, fps=, stages={decode=, detect=, landmarks=,
--   classify=, aus=, encode=} (seconds), tracks=, classes=, csv=, video=, timelines={paths}}
-- @usage local s = watch.run("clip.mp4", {out = "runs/clip", every = 2}); print(s.fps)
function watch.run(path, opts)
  opts = opts or {}
  local every = opts.every or 1
  if math.type(every) ~= "integer" or every < 1 then error("watch: every must be a positive integer", 2) end
  local dedup = opts.dedup or 1.5
  local detect_every = opts.detect_every or 1
  if math.type(detect_every) ~= "integer" or detect_every < 1 then
    error("watch: detect_every must be a positive integer", 2)
  end
  local tracker = track.new { smooth = opts.smooth, alpha = opts.alpha, window = opts.window }
  local reader <close> = video.open(path)
  local clf = opts.classifier or watch.classifier(opts.model or "faceapi_expression", { dir = opts.dir })
  if opts.out then fs.mkdir_p(opts.out) end
  local writer
  if opts.out and opts.video ~= false then
    writer = video.writer(opts.out .. "/annotated.mp4", { fps = opts.fps or (reader.fps > 0 and reader.fps or 25) })
  end
  local now = mien.core.now
  local stages = { decode = 0, detect = 0, landmarks = 0, classify = 0, aus = 0, encode = 0 }
  local header = { "time", "frame", "face", "x", "y", "w", "h", "score", "fresh", "label" }
  for _, c in ipairs(clf.classes) do header[#header + 1] = c end
  for _, name in ipairs(au.LANDMARK_AUS) do header[#header + 1] = name end
  local lines = { table.concat(header, ",") }
  local timelines = {} -- track id -> {times, probs per class}
  local last_thumb, last_faces, processed = nil, {}, 0
  local t_start, t_log = now(), now()
  local index = 0
  local ok, err = pcall(function()
    while true do
      local t0 = now()
      local frame, time = reader:read()
      stages.decode = stages.decode + now() - t0
      if not frame or (opts.max_frames and index >= opts.max_frames) then break end
      index = index + 1
      local thumb = thumbnail(frame)
      local fresh = (index - 1) % every == 0
        and not (dedup > 0 and last_thumb and frame_difference(thumb, last_thumb) < dedup)
      if fresh then
        processed = processed + 1
        last_thumb = thumb
        local t1 = now()
        local faces
        if (processed - 1) % detect_every == 0 or #last_faces == 0 then
          local S = opts.input_size or math.min(416, math.ceil(math.max(frame:size(1), frame:size(2)) / 32) * 32)
          faces = face.detect(frame, { min_score = opts.min_score, input_size = S, dir = opts.dir })
        else
          faces = {}
          for i, f in ipairs(last_faces) do faces[i] = box_from_landmarks(f, frame) end
        end
        local t2 = now()
        face.landmarks(frame, faces, { dir = opts.dir })
        local t3 = now()
        if #faces > 0 then
          local crops = {}
          for i, f in ipairs(faces) do
            crops[i] = face.align(frame, f, { size = clf.size, channels = clf.channels }):unsqueeze(1)
          end
          local probs = clf.predict(mien.cat(crops, 1))
          for i, f in ipairs(faces) do f.probs = probs[i] end
        end
        local t4 = now()
        for _, f in ipairs(faces) do f.aus = au.from_landmarks(f.landmarks) end
        local t5 = now()
        tracker:update(faces)
        stages.detect, stages.landmarks = stages.detect + t2 - t1, stages.landmarks + t3 - t2
        stages.classify, stages.aus = stages.classify + t4 - t3, stages.aus + t5 - t4
        last_faces = faces
      end
      for _, f in ipairs(last_faces) do
        local p = f.smoothed
        local row = { string.format("%.4f", time), index, f.id, string.format("%.1f", f.x), string.format("%.1f", f.y),
          string.format("%.1f", f.w), string.format("%.1f", f.h), string.format("%.3f", f.score), fresh and 1 or 0,
          clf.classes[top_class(p)] }
        for _, v in ipairs(p) do row[#row + 1] = string.format("%.4f", v) end
        for _, v in ipairs(au.vector(f.aus)) do row[#row + 1] = string.format("%.3f", v) end
        lines[#lines + 1] = table.concat(row, ",")
        local tl = timelines[f.id] or { times = {}, probs = {} }
        timelines[f.id] = tl
        tl.times[#tl.times + 1] = time
        for k, v in ipairs(p) do
          tl.probs[k] = tl.probs[k] or {}
          tl.probs[k][#tl.times] = v
        end
      end
      if writer then
        local t6 = now()
        local H, W = frame:size(1) // 2 * 2, frame:size(2) // 2 * 2 -- the encoder wants even sizes
        local out = annotate(frame, last_faces)
        if H ~= frame:size(1) or W ~= frame:size(2) then out = out:narrow(1, 1, H):narrow(2, 1, W):contiguous() end
        writer:write(out)
        stages.encode = stages.encode + now() - t6
      end
      if opts.on_frame then opts.on_frame(index, time, last_faces) end
      if opts.verbose and now() - t_log >= 1 then
        t_log = now()
        io.stderr:write(string.format("\r%s: frame %d, %.1f frames/s", path, index, index / (t_log - t_start)))
      end
    end
  end)
  if not ok then
    if writer then writer:abort() end
    error(err, 0)
  end
  if opts.verbose then io.stderr:write("\n") end
  if writer then
    if index > 0 then writer:close() else writer:abort(); writer = nil end
  end
  local seconds = now() - t_start
  local summary = { frames = index, processed = processed, seconds = seconds, fps = index / math.max(seconds, 1e-9),
    stages = stages, classes = clf.classes, timelines = {}, tracks = 0 }
  for _ in pairs(timelines) do summary.tracks = summary.tracks + 1 end
  if opts.out then
    summary.csv = opts.out .. "/faces.csv"
    fs.write_atomic(summary.csv, table.concat(lines, "\n") .. "\n")
    summary.video = writer and opts.out .. "/annotated.mp4" or nil
    local ids = {}
    for id in pairs(timelines) do ids[#ids + 1] = id end
    table.sort(ids)
    for _, id in ipairs(ids) do
      local tl, series = timelines[id], {}
      for k, c in ipairs(clf.classes) do series[k] = { name = c, x = tl.times, y = tl.probs[k] } end
      local file = string.format("%s/timeline_face%d.svg", opts.out, id)
      plot.save(plot.lines { title = string.format("face %d: %s (smoothed)", id, clf.name), xlabel = "time (s)",
        ylabel = "probability", yrange = { 0, 1 }, series = series }, file)
      summary.timelines[#summary.timelines + 1] = file
    end
  end
  return summary
end

return watch
