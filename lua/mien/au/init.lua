--- mien.au: facial action units (FACS) from landmarks, and emotions from AUs.
--
--   local au = require "mien.au"
--   local faces = require("mien.face").landmarks(img, require("mien.face").detect(img))
--   local aus = au.from_landmarks(faces[1].landmarks)   -- {AU1 = 0.2, AU12 = 0.9, ...} in 0..1
--   local scores = au.to_emotion(aus)                    -- {{emotion = "happiness", score = 0.9}, ...}
--
-- from_landmarks measures the face (mien.au.geometry: brow heights, eye and
-- mouth opening, lip-corner elevation, ... in inter-ocular units) and maps
-- each measure's departure from a neutral face to the intensity of the AUs
-- it indicates. It needs no AU training data; the neutral values are the
-- medians over 150 neutral FER2013 training faces (their 68 points from
-- face-api's landmark net on 112x112 upscales), and a per-person neutral
-- (opts.neutral, e.g. the first frames of a video) makes it more faithful.
local geometry = require "mien.au.geometry"
local emfacs = require "mien.au.emfacs"

local au = {
  measures = geometry.measures,
  MEASURES = geometry.NAMES,
  to_emotion = emfacs.to_emotion,
  PROTOTYPES = emfacs.PROTOTYPES,
  EMOTIONS = emfacs.EMOTIONS,
}

--- FACS names of the AUs mien estimates or generates.
au.NAMES = {
  AU1 = "inner brow raiser", AU2 = "outer brow raiser", AU4 = "brow lowerer", AU5 = "upper lid raiser",
  AU6 = "cheek raiser", AU7 = "lid tightener", AU9 = "nose wrinkler", AU10 = "upper lip raiser",
  AU12 = "lip corner puller", AU14 = "dimpler", AU15 = "lip corner depressor", AU20 = "lip stretcher",
  AU23 = "lip tightener", AU25 = "lips part", AU26 = "jaw drop",
}

--- The AUs from_landmarks returns, in this order (au.vector uses it).
au.LANDMARK_AUS = { "AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU12", "AU14", "AU15", "AU20", "AU23",
  "AU25", "AU26" }

--- The neutral face's measures (inter-ocular units; see mien.au.geometry).
au.NEUTRAL = {
  brow_inner_height = 0.302, brow_outer_height = 0.259, inner_brow_distance = 0.572, eye_opening = 0.112,
  lip_corner_elevation = 0.040, lip_corner_asymmetry = 0.014, mouth_opening = 0.034, lip_stretch = 0.763,
  lip_thickness = 0.208, nose_wrinkle = 0.774, jaw_drop = 0.891,
}

local function clamp01(v) return v < 0 and 0 or v > 1 and 1 or v end

-- The measure's departure from neutral in the given direction (+1: larger
-- than neutral, -1: smaller), as a fraction of `full` (the departure of a
-- full-intensity AU), clamped to 0..1.
local function rise(m, n, name, full) return clamp01((m[name] - n[name]) / full) end
local function fall(m, n, name, full) return clamp01((n[name] - m[name]) / full) end

--- The rules from measures to AU intensities: AU name -> function(m, n)
-- with m the face's measures and n the neutral ones. Replace or extend an
-- entry to recalibrate.
au.RULES = {
  AU1 = function(m, n) return rise(m, n, "brow_inner_height", 0.10) end,
  AU2 = function(m, n) return rise(m, n, "brow_outer_height", 0.08) end,
  AU4 = function(m, n)
    return clamp01(0.5 * fall(m, n, "brow_inner_height", 0.10) + 0.5 * fall(m, n, "inner_brow_distance", 0.06))
  end,
  AU5 = function(m, n) return rise(m, n, "eye_opening", 0.03) end,
  -- The eyes narrow from below when the cheeks rise (AU6, with a smile) and
  -- from the lids otherwise (AU7).
  AU6 = function(m, n)
    return fall(m, n, "eye_opening", 0.03) * rise(m, n, "lip_corner_elevation", 0.04)
  end,
  AU7 = function(m, n)
    return fall(m, n, "eye_opening", 0.03) * (1 - rise(m, n, "lip_corner_elevation", 0.04))
  end,
  AU9 = function(m, n) return fall(m, n, "nose_wrinkle", 0.12) end,
  AU12 = function(m, n)
    return clamp01(0.6 * rise(m, n, "lip_corner_elevation", 0.08) + 0.4 * rise(m, n, "lip_stretch", 0.15))
  end,
  AU14 = function(m, n) return rise(m, n, "lip_corner_asymmetry", 0.05) end,
  AU15 = function(m, n) return fall(m, n, "lip_corner_elevation", 0.07) end,
  AU20 = function(m, n)
    return rise(m, n, "lip_stretch", 0.12) * (1 - rise(m, n, "lip_corner_elevation", 0.04))
  end,
  AU23 = function(m, n) return fall(m, n, "lip_thickness", 0.05) end,
  AU25 = function(m, n) return rise(m, n, "mouth_opening", 0.06) end,
  AU26 = function(m, n) return rise(m, n, "jaw_drop", 0.2) * rise(m, n, "mouth_opening", 0.04) end,
}

--- AU intensities (0..1) of a face from its 68 landmarks.
-- @tparam table points 68 points {x, y} in pixels (mien.face.landmarks' f.landmarks)
-- @tparam[opt] table opts fields: neutral (a table of measures, au.NEUTRAL by
--   default; au.measures of the same person's neutral face is better), rules (au.RULES)
-- @treturn table AU name -> intensity in 0..1 (the AUs of au.LANDMARK_AUS)
-- @treturn table the measures they came from
-- @usage local aus = au.from_landmarks(face.landmarks)
function au.from_landmarks(points, opts)
  opts = opts or {}
  local m = geometry.measures(points)
  local n = opts.neutral or au.NEUTRAL
  for _, name in ipairs(geometry.NAMES) do
    if type(n[name]) ~= "number" then error("au.from_landmarks: opts.neutral has no number '" .. name .. "'", 2) end
  end
  local out = {}
  for name, rule in pairs(opts.rules or au.RULES) do out[name] = rule(m, n) end
  return out, m
end

--- An AU table as a list of numbers in a fixed order.
-- @tparam table aus AU name -> intensity
-- @tparam[opt] table names the order (au.LANDMARK_AUS); a missing AU is 0
-- @treturn table the intensities
function au.vector(aus, names)
  local v = {}
  for i, name in ipairs(names or au.LANDMARK_AUS) do v[i] = aus[name] or 0 end
  return v
end

--- The per-person neutral measures: the median of each measure over
-- several landmark sets (e.g. a track's first frames).
-- @tparam table point_sets a list of 68-point tables
-- @treturn table measures by name, for opts.neutral of from_landmarks
function au.neutral_from(point_sets)
  if #point_sets == 0 then error("au.neutral_from: no landmark sets", 2) end
  local lists = {}
  for _, points in ipairs(point_sets) do
    for k, v in pairs(geometry.measures(points)) do
      lists[k] = lists[k] or {}
      table.insert(lists[k], v)
    end
  end
  local out = {}
  for k, list in pairs(lists) do
    table.sort(list)
    out[k] = #list % 2 == 1 and list[(#list + 1) // 2] or (list[#list // 2] + list[#list // 2 + 1]) / 2
  end
  return out
end

--- AU-coded images from a CSV manifest with one column per AU: DISFA,
-- BP4D, CK+'s FACS files, ... once turned into rows of
-- `path,subject,AU1,AU2,AU4,...` (intensities 0..5 for DISFA, 0/1
-- occurrence for BP4D and CK+). The images, subjects and sequences load as
-- with mien.data.manifest; the AU columns become ds.aus, float32 [N, #AUs],
-- divided by opts.scale, and ds.au_names. A cell that is not a number is an
-- error naming the line and the column.
-- @string csv_path the manifest
-- @tparam[opt] table opts fields: aus (the AU columns; default every column named AU<n>),
--   scale (1; 5 for DISFA's 0..5 intensities), label (a column for ds.labels; default the
--   first AU column, so ds.labels is that AU's value), and those of mien.data.manifest
--   (size, channels, group = "subject", sequence, cache, ...)
-- @return the data set with .aus and .au_names
-- @usage local ds = au.manifest("disfa/train.csv", {scale = 5, size = 112, channels = 3})
function au.manifest(csv_path, opts)
  opts = opts or {}
  local f = io.open(csv_path, "r")
  if not f then error("au.manifest: cannot open '" .. tostring(csv_path) .. "'", 2) end
  local header = (f:read("l") or ""):gsub("^\239\187\191", ""):gsub("\r$", "")
  local col = {}
  for name in (header .. ","):gmatch("([^,]*),") do col[#col + 1] = name:gsub("^%s+", ""):gsub("%s+$", "") end
  local names = opts.aus
  if not names then
    names = {}
    for _, name in ipairs(col) do if name:match("^AU%d+$") then names[#names + 1] = name end end
  end
  local index = {}
  for i, name in ipairs(col) do index[name] = i end
  for _, name in ipairs(names) do
    if not index[name] then f:close(); error(string.format("au.manifest: '%s' has no column '%s'", csv_path, name), 2) end
  end
  if #names == 0 then f:close(); error("au.manifest: '" .. csv_path .. "' has no AU<n> columns", 2) end
  local scale = opts.scale or 1
  local rows, line_no = {}, 1
  for line in f:lines() do
    line_no = line_no + 1
    line = line:gsub("\r$", "")
    if line:match("%S") then
      local fields = {}
      for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
      local row = {}
      for j, name in ipairs(names) do
        local v = tonumber(fields[index[name]])
        if not v then
          f:close()
          error(string.format("au.manifest: '%s' line %d: %s is not a number", csv_path, line_no, name), 2)
        end
        row[j] = v / scale
      end
      rows[#rows + 1] = row
    end
  end
  f:close()
  local o = {}
  for key, v in pairs(opts) do o[key] = v end
  o.aus, o.scale, o.label = nil, nil, opts.label or names[1]
  local ds = require("mien.data").manifest(csv_path, o)
  ds.aus = require("mien").tensor(rows)
  ds.au_names = names
  return ds
end

return au
