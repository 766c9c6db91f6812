--- JAFFE (Japanese Female Facial Expression): 213 grey 256x256 TIFFs in one
-- folder, named SUBJECT.CODEn.ID.tiff (e.g. KA.AN1.39.tiff): the subject's
-- initials, the expression code (AN DI FE HA NE SA SU) with the pose's
-- number, and the picture's number.
local mien = require "mien"
local core = require "mien.core"
local dataset = require "mien.data.dataset"
local layout = require "mien.data.layout"

local EXPECTED = "expected the JAFFE release: files like KA.AN1.39.tiff"

-- Expression codes in the order of the classes.
local CODES = { "AN", "DI", "FE", "HA", "NE", "SA", "SU" }
local CLASSES = { "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise" }

-- Each image as the aligned crop of its face (mien.face), or the whole image
-- resized where no face is found.
local function aligned_images(files, opts)
  local face = require "mien.face"
  local size, channels = opts.size or 48, opts.channels or 1
  local out, no_face = {}, {}
  for i, path in ipairs(files) do
    local img = core.image_load(path, channels)
    local crops = face.crops(img, { size = size, channels = channels, dir = opts.weights })
    if crops then
      out[i] = crops:narrow(1, 1, 1)
    else
      no_face[#no_face + 1] = path
      out[i] = core.image_resize(img, size, size, "area"):unsqueeze(1)
    end
  end
  return mien.cat(out, 1), no_face
end

--- JAFFE as a data set: classes angry, disgust, fear, happy, neutral, sad,
-- surprise; groups are the subjects (the leading initials), files the paths.
-- @string dir the folder holding the .tiff files (any others are ignored)
-- @tparam[opt] table opts size (default: the images' own, 256), channels (1),
--   resize ("auto"), cache (as data.image_folder); align (false): crop each
--   face and level its eyes with mien.face (size then defaults to 48; the
--   face models come from opts.weights, $MIEN_WEIGHTS or ../shared/weights),
--   images without a face found are kept whole and listed in ds.no_face
-- @treturn Dataset the data set
-- @usage local ds = mien.data.jaffe("jaffedbase")
local function jaffe(dir, opts)
  opts = opts or {}
  if not layout.is_dir(dir) then error(string.format("jaffe: '%s' is not a directory (%s)", dir, EXPECTED), 2) end
  local label_of = {}
  for i, code in ipairs(CODES) do label_of[code] = i end
  local _, names = layout.list(dir)
  local files, labels, subjects = {}, {}, {}
  for _, name in ipairs(names) do
    local ext = name:match("%.(%a+)$")
    if ext and (ext:lower() == "tiff" or ext:lower() == "tif") then
      local subject, code = name:match("^(%a+)%.(%a%a)%d*%.%d+%.%a+$")
      if not subject then
        error(string.format("jaffe: '%s' is not named SUBJECT.CODEn.ID.tiff (%s)", layout.join(dir, name), EXPECTED), 2)
      end
      local label = label_of[code:upper()]
      if not label then
        error(string.format("jaffe: '%s' has the expression code '%s', expected one of %s", layout.join(dir, name), code,
          table.concat(CODES, " ")), 2)
      end
      files[#files + 1], labels[#labels + 1], subjects[#subjects + 1] = layout.join(dir, name), label, subject:upper()
    end
  end
  if #files == 0 then error(string.format("jaffe: no .tiff files in '%s' (%s)", dir, EXPECTED), 2) end
  local ds
  if opts.align then
    local images, no_face = aligned_images(files, opts)
    ds = dataset.new { images = images, labels = mien.tensor(labels, { dtype = "int64" }), classes = CLASSES,
      files = files, groups = subjects }
    ds.no_face, ds.skipped, ds.skipped_files = no_face, 0, {}
  else
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.groups, o.root, o.source = subjects, dir, dir
    ds = require("mien.data").from_files(files, labels, CLASSES, o)
  end
  return ds
end

return jaffe
