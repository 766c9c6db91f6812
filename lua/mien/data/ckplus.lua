--- CK+ (Extended Cohn-Kanade) in its release layout:
--   cohn-kanade-images/S005/001/S005_001_00000001.png ...   the frames of each sequence
--   Emotion/S005/001/S005_001_00000011_emotion.txt           one number (0..7), labelled sequences only
--   FACS/S005/001/S005_001_00000011_facs.txt                 "AU intensity" per line (the peak frame)
--   Landmarks/S005/001/S005_001_00000011_landmarks.txt       68 "x y" lines per frame
local mien = require "mien"
local layout = require "mien.data.layout"

local EXPECTED = "expected the CK+ release layout: cohn-kanade-images/, Emotion/, FACS/, Landmarks/"

-- The emotion codes 0..7 of the release.
local NAMES = { [0] = "neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise" }

local function fail(fmt, ...) error("ckplus: " .. string.format(fmt, ...), 0) end

local function numbers(path, what)
  local lines, err = layout.lines(path)
  if not lines then fail("cannot read the %s file '%s': %s", what, path, tostring(err)) end
  local rows = {}
  for i, line in ipairs(lines) do
    if line:match("%S") then
      local row = {}
      for v in line:gmatch("%S+") do
        local x = tonumber(v)
        if not x then fail("'%s' line %d: '%s' is not a number", path, i, v) end
        row[#row + 1] = x
      end
      rows[#rows + 1] = row
    end
  end
  return rows
end

-- The sequence's one emotion code.
local function read_emotion(path)
  local rows = numbers(path, "emotion")
  local code = rows[1] and rows[1][1]
  if #rows ~= 1 or #rows[1] ~= 1 or math.type(code) == nil or code ~= math.floor(code) or code < 0 or code > 7 then
    fail("'%s' should hold one emotion code 0..7 (0 neutral, 1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, "
      .. "6 sadness, 7 surprise), got '%s'", path, table.concat(rows[1] or {}, " "))
  end
  return math.tointeger(code)
end

-- {[AU] = intensity} of a FACS file.
local function read_facs(path)
  local aus = {}
  for i, row in ipairs(numbers(path, "FACS")) do
    if #row ~= 2 or row[1] < 1 or row[1] ~= math.floor(row[1]) then
      fail("'%s' entry %d should be 'AU intensity' with a positive AU number", path, i)
    end
    aus[math.tointeger(row[1])] = row[2]
  end
  return aus
end

local function read_landmarks(path)
  local rows = numbers(path, "landmarks")
  if #rows ~= 68 then fail("'%s' has %d points, expected 68 'x y' lines", path, #rows) end
  for i, row in ipairs(rows) do
    if #row ~= 2 then fail("'%s' point %d has %d numbers, expected 2", path, i, #row) end
  end
  return rows
end

-- The one file of a folder ending in suffix, or nil.
local function only_file(dir, suffix)
  if not layout.is_dir(dir) then return nil end
  local _, files = layout.list(dir)
  local found
  for _, f in ipairs(files) do
    if f:sub(-#suffix) == suffix then
      if found then fail("'%s' has several *%s files", dir, suffix) end
      found = f
    end
  end
  return found and layout.join(dir, found)
end

--- CK+ from its release folders: the labelled sequences (those with an
-- Emotion file, 327 in the release), the last `frames` frames of each as
-- its emotion and optionally the first as neutral.
-- The data set has groups (subjects, for subject-wise splits), sequences
-- ("S005/001"), files; ds.aus float32 [N,#ds.au_list] (1 where the
-- sequence's FACS file codes the AU, for the emotion frames; 0 for neutral
-- frames) with ds.au_intensity alongside, ds.au_list the AU numbers; and
-- ds.landmarks float32 [N,68,2] (x, y in the original frame's pixels) when
-- Landmarks/ is there.
-- @string dir the folder holding cohn-kanade-images/ and Emotion/
-- @tparam[opt] table opts frames (3): frames per sequence taken as its
--   emotion; neutral (false): add each sequence's first frame as class
--   "neutral"; size (default the first frame's; others resized), channels (1),
--   resize ("auto"), cache (as data.image_folder)
-- @treturn Dataset classes anger, contempt, disgust, fear, happy, sadness,
--   surprise (neutral first with opts.neutral)
-- @usage local ds = mien.data.ckplus("CK+", {frames = 3, size = 96})
local function ckplus(dir, opts)
  opts = opts or {}
  local frames_per = opts.frames or 3
  if math.type(frames_per) ~= "integer" or frames_per < 1 then
    error("ckplus: frames must be a positive integer, got " .. tostring(opts.frames), 2)
  end
  if not layout.is_dir(dir) then error(string.format("ckplus: '%s' is not a directory (%s)", dir, EXPECTED), 2) end
  local images_dir, emotion_dir = layout.join(dir, "cohn-kanade-images"), layout.join(dir, "Emotion")
  local facs_dir, landmarks_dir = layout.join(dir, "FACS"), layout.join(dir, "Landmarks")
  for _, d in ipairs { { images_dir, "cohn-kanade-images" }, { emotion_dir, "Emotion" } } do
    if not layout.is_dir(d[1]) then error(string.format("ckplus: no %s/ folder under %s (%s)", d[2], dir, EXPECTED), 2) end
  end
  local has_facs, has_landmarks = layout.is_dir(facs_dir), layout.is_dir(landmarks_dir)

  local classes, first = {}, opts.neutral and 0 or 1
  for code = first, 7 do classes[#classes + 1] = NAMES[code] end
  local files, labels, groups, sequences, seq_aus, landmark_files = {}, {}, {}, {}, {}, {}
  local au_seen = {}
  local ok, err = pcall(function()
    local subjects = layout.list(emotion_dir)
    for _, subject in ipairs(subjects) do
      for _, seq in ipairs((layout.list(layout.join(emotion_dir, subject)))) do
        local rel = subject .. "/" .. seq
        local emo_file = only_file(layout.join(emotion_dir, rel), "_emotion.txt")
        if emo_file then
          local code = read_emotion(emo_file)
          if code == 0 and not opts.neutral then
            fail("'%s' labels the sequence neutral (0); pass neutral = true to keep neutral frames", emo_file)
          end
          local seq_dir = layout.join(images_dir, rel)
          if not layout.is_dir(seq_dir) then fail("no frames for %s: '%s' is missing (%s)", emo_file, seq_dir, EXPECTED) end
          local _, names = layout.list(seq_dir)
          local frames = {}
          for _, f in ipairs(names) do if f:lower():match("%.png$") then frames[#frames + 1] = f end end
          if #frames < frames_per + (opts.neutral and 1 or 0) then
            fail("'%s' has %d frames, fewer than the %d asked for", seq_dir, #frames, frames_per)
          end
          local aus = {}
          if has_facs then
            local facs_file = only_file(layout.join(facs_dir, rel), "_facs.txt")
            if not facs_file then fail("no FACS file for sequence %s under '%s'", rel, facs_dir) end
            aus = read_facs(facs_file)
            for au in pairs(aus) do au_seen[au] = true end
          end
          local function add(frame, label, with_aus)
            files[#files + 1] = layout.join(seq_dir, frame)
            labels[#labels + 1] = label
            groups[#groups + 1], sequences[#sequences + 1] = subject, rel
            seq_aus[#seq_aus + 1] = with_aus and aus or {}
            landmark_files[#landmark_files + 1] = layout.join(layout.join(landmarks_dir, rel),
              frame:gsub("%.[^.]+$", "") .. "_landmarks.txt")
          end
          if opts.neutral then add(frames[1], 1, false) end
          for k = #frames - frames_per + 1, #frames do add(frames[k], code - first + 1, true) end
        end
      end
    end
  end)
  if not ok then error(err, 2) end
  if #files == 0 then error(string.format("ckplus: no *_emotion.txt files under %s (%s)", emotion_dir, EXPECTED), 2) end

  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.groups, o.sequences, o.root, o.source = groups, sequences, dir, dir
  local ds = require("mien.data").from_files(files, labels, classes, o)
  -- the extra targets, for the images kept (skip_bad may have dropped some)
  local row_of = {}
  for i, f in ipairs(files) do row_of[f] = i end
  local au_list = {}
  for au in pairs(au_seen) do au_list[#au_list + 1] = au end
  table.sort(au_list)
  local au_col = {}
  for c, au in ipairs(au_list) do au_col[au] = c end
  local aus, intensity, points = {}, {}, has_landmarks and {} or nil
  ok, err = pcall(function()
    for i, f in ipairs(ds.files) do
      local r = row_of[f]
      local a, v = {}, {}
      for c = 1, #au_list do a[c], v[c] = 0, 0 end
      for au, value in pairs(seq_aus[r]) do a[au_col[au]], v[au_col[au]] = 1, value end
      aus[i], intensity[i] = a, v
      if points then points[i] = read_landmarks(landmark_files[r]) end
    end
  end)
  if not ok then error(err, 2) end
  if has_facs and #au_list > 0 then
    ds.au_list = au_list
    ds.aus = mien.tensor(aus, { dtype = "float32" })
    ds.au_intensity = mien.tensor(intensity, { dtype = "float32" })
  end
  if points then ds.landmarks = mien.tensor(points, { dtype = "float32" }) end
  ds.extras = { "aus", "au_intensity", "au_list", "landmarks" }
  return ds
end

return ckplus
