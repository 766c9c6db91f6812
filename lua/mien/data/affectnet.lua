--- AffectNet from its official CSV (training.csv / validation.csv): columns
-- subDirectory_filePath, face_x, face_y, face_width, face_height,
-- facial_landmarks ("x;y;x;y;..." 68 points), expression (0 neutral, 1 happy,
-- 2 sad, 3 surprise, 4 fear, 5 disgust, 6 anger, 7 contempt, 8 none,
-- 9 uncertain, 10 non-face), valence, arousal (-1..1; -2 where not coded).
local mien = require "mien"
local core = require "mien.core"
local dataset = require "mien.data.dataset"
local layout = require "mien.data.layout"

local EXPECTED = "expected the AffectNet CSV: subDirectory_filePath,face_x,face_y,face_width,face_height,"
  .. "facial_landmarks,expression,valence,arousal"
local NAMES = { [0] = "neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt", "none",
  "uncertain", "non-face" }
local COLUMNS = { "subDirectory_filePath", "face_x", "face_y", "face_width", "face_height", "facial_landmarks",
  "expression", "valence", "arousal" }

local function fail(fmt, ...) error("affectnet: " .. string.format(fmt, ...), 0) end

-- The rows of the CSV kept for the class subset.
local function read_rows(csv, images_dir, n_classes)
  local lines, err = layout.lines(csv)
  if not lines then fail("cannot open '%s': %s (%s)", csv, tostring(err), EXPECTED) end
  local header = lines[1] and layout.csv_fields(lines[1]) or {}
  local col = {}
  for i, name in ipairs(header) do col[name] = i end
  for _, name in ipairs(COLUMNS) do
    if not col[name] then fail("'%s' has no column '%s' (%s)", csv, name, EXPECTED) end
  end
  local rows = {}
  for i = 2, #lines do
    if lines[i]:match("%S") then
      local f = layout.csv_fields(lines[i])
      if not f or #f ~= #header then fail("'%s' line %d has %d fields, expected %d", csv, i, f and #f or 0, #header) end
      local function num(name)
        local v = tonumber(f[col[name]])
        if not v then fail("'%s' line %d: %s '%s' is not a number", csv, i, name, f[col[name]]) end
        return v
      end
      local expression = math.tointeger(num("expression"))
      if not expression or expression < 0 or expression > 10 then
        fail("'%s' line %d: expression '%s' is outside 0..10", csv, i, f[col.expression])
      end
      local path = f[col.subDirectory_filePath]
      if not layout.is_inside(path) then fail("'%s' line %d: image path '%s' leaves %s", csv, i, path, images_dir) end
      if expression < n_classes then
        local points = {}
        for v in f[col.facial_landmarks]:gmatch("[^;%s]+") do points[#points + 1] = tonumber(v) end
        rows[#rows + 1] = { line = i, file = layout.join(images_dir, path), label = expression + 1,
          box = { num("face_x"), num("face_y"), num("face_width"), num("face_height") },
          points = points, va = { num("valence"), num("arousal") } }
      end
    end
  end
  return rows
end

-- The face box of a row cut out of its image and resized to size x size;
-- the landmarks moved into the crop's pixels.
local function crop(row, csv, size, channels)
  local img = core.image_load(row.file, channels)
  local h, w = img:size(1), img:size(2)
  local bx, by, bw, bh = table.unpack(row.box)
  local x0, y0 = math.max(0, math.floor(bx)), math.max(0, math.floor(by))
  local x1, y1 = math.min(w, math.floor(bx + bw + 0.5)), math.min(h, math.floor(by + bh + 0.5))
  if x1 - x0 < 1 or y1 - y0 < 1 then
    fail("'%s' line %d: the face box (%g, %g, %g x %g) is outside the %dx%d image '%s'", csv, row.line, bx, by, bw, bh,
      w, h, row.file)
  end
  local face = img:narrow(1, y0 + 1, y1 - y0):narrow(2, x0 + 1, x1 - x0):contiguous()
  local out = core.image_resize(face, size, size, (x1 - x0 >= size) and "area" or "bilinear")
  local points
  if #row.points >= 2 then
    points = {}
    local sx, sy = size / (x1 - x0), size / (y1 - y0)
    for k = 1, #row.points // 2 do
      points[k] = { (row.points[2 * k - 1] - x0) * sx, (row.points[2 * k] - y0) * sy }
    end
  end
  return out, points
end

--- AffectNet as a data set: each image cropped to its face box, the 7
-- (neutral, happy, sad, surprise, fear, disgust, anger) or 8 (+ contempt)
-- class subset; rows of other expressions are left out. ds.valence_arousal
-- float32 [N,2] holds the regression targets, ds.landmarks float32 [N,68,2]
-- the points in the crop's pixels (when every kept row has 68).
-- @string csv the official CSV (training.csv or validation.csv)
-- @string images_dir the folder the CSV's subDirectory_filePath is relative to
-- @tparam[opt] table opts classes (8; or 7), size (96), channels (3), skip_bad
--   (false: an image that cannot be decoded is an error naming it; true: left
--   out and listed in ds.skipped_files)
-- @treturn Dataset the data set
-- @usage local ds = mien.data.affectnet("Manually_Annotated/validation.csv", "Manually_Annotated_Images", {classes = 7})
local function affectnet(csv, images_dir, opts)
  opts = opts or {}
  local n_classes = opts.classes or 8
  if n_classes ~= 7 and n_classes ~= 8 then error("affectnet: classes must be 7 or 8, got " .. tostring(n_classes), 2) end
  if not layout.is_dir(images_dir) then
    error(string.format("affectnet: '%s' is not a directory (the folder of the images the CSV names)", images_dir), 2)
  end
  local size, channels = opts.size or 96, opts.channels or 3
  local ok, result = pcall(function()
    local rows = read_rows(csv, images_dir, n_classes)
    if #rows == 0 then fail("'%s' has no rows of the %d classes (%s)", csv, n_classes, EXPECTED) end
    local images, labels, va, points, files, skipped = {}, {}, {}, {}, {}, {}
    local all_points = true
    for _, row in ipairs(rows) do
      local good, img, pts = pcall(crop, row, csv, size, channels)
      if good then
        images[#images + 1] = img:unsqueeze(1)
        labels[#labels + 1], va[#va + 1], files[#files + 1] = row.label, row.va, row.file
        points[#points + 1] = pts
        all_points = all_points and pts ~= nil and #pts == 68
      elseif opts.skip_bad then
        skipped[#skipped + 1] = row.file
      elseif tostring(img):match("^affectnet:") then
        error(img, 0)
      else
        fail("%s (line %d of '%s')", tostring(img), row.line, csv)
      end
    end
    if #images == 0 then fail("no image of '%s' could be read (first: %s)", csv, skipped[1]) end
    local classes = {}
    for k = 0, n_classes - 1 do classes[#classes + 1] = NAMES[k] end
    local ds = dataset.new { images = mien.cat(images, 1), labels = mien.tensor(labels, { dtype = "int64" }),
      classes = classes, files = files }
    ds.valence_arousal = mien.tensor(va, { dtype = "float32" })
    if all_points then ds.landmarks = mien.tensor(points, { dtype = "float32" }) end
    ds.skipped, ds.skipped_files = #skipped, skipped
    ds.extras = { "valence_arousal", "landmarks" }
    return ds
  end)
  if not ok then error(result, 2) end
  return result
end

return affectnet
