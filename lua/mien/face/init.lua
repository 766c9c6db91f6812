--- mien.face: find faces in photos, locate their 68 landmarks, and cut out
-- crops with the eyes level, ready for an expression classifier.
--
--   local face = require "mien.face"
--   local crops, faces = face.crops("group.jpg", {size = 48, channels = 1})
--   -- crops: uint8 [N,48,48,1]; faces[i] = {x=, y=, w=, h=, score=, landmarks={{x,y}, ...}}
--
-- Detection is face-api's tiny face detector, landmarks its 68-point net
-- (mien.models; weights from $MIEN_WEIGHTS or ../shared/weights, or opts.dir).
-- Boxes and points are in pixels from the image's top-left corner (see
-- mien.image). Everything runs on the CPU in C.
local mien = require "mien"
local image = require "mien.image"
local models = require "mien.models"
local detect = require "mien.face.detect"
local align = require "mien.face.align"
local core = require "mien.core"
local fs = require "mien.util.fs"
local args = require "mien.util.args"
local extensions = require("mien.data").IMAGE_EXTENSIONS

local face = {}

-- The default framing of crops: eyes level at 38% of the height, 37% of the
-- width apart -- the medians of 560 FER2013 training faces (their 68-point
-- landmarks), so aligned crops look like FER2013 images.
face.FRAME = { eye_y = 0.38, eye_distance = 0.37 }

local loaded = {}
local function model(name, opts)
  local dir = models.weights_dir(opts)
  local key = name .. "\0" .. dir
  if not loaded[key] then loaded[key] = models.load(name, { dir = dir }):eval() end
  return loaded[key]
end

local function as_image(img, what)
  if type(img) == "string" then return image.load(img, 3) end
  if not mien.is_tensor(img) or img:dtype() ~= "uint8" or (img:dim() ~= 3 and img:dim() ~= 2) then
    error(what .. ": expected an image path or a uint8 tensor [H,W,C]", 3)
  end
  return img
end

-- The detector's input side for an image: its longer side rounded up to a
-- multiple of 32, between 128 and 832 (small faces in big photos need the
-- larger inputs; face-api's own default is 416).
local function input_size(h, w)
  local s = math.ceil(math.max(h, w) / 32) * 32
  return math.max(128, math.min(832, s))
end

--- Faces in an image (a path or uint8 [H,W,C] tensor), best first:
-- {x=, y=, w=, h=, score=}. opts: min_score (0.5), iou (NMS overlap, 0.4),
-- input_size (multiple of 32; default from the image size), dir.
function face.detect(img, opts)
  opts = args.options("face.detect", 2, opts, "{min_score=, iou=, input_size=}")
  img = image.rgb(as_image(img, "face.detect"))
  local S = opts.input_size or input_size(img:size(1), img:size(2))
  if S % 32 ~= 0 or S < 32 then error(string.format("face.detect: input_size must be a multiple of 32, got %s", S), 2) end
  local net = model("faceapi_tiny_face_detector", opts)
  local canvas, s = image.letterbox(img, S)
  local spec = { size = { S, S }, channels = 3, mean = net.input.mean, std = net.input.std }
  local out = mien.no_grad(function() return net(models.preprocess(spec, canvas)) end)
  local boxes = detect.decode(out:totable()[1], S, s, img:size(1), img:size(2), opts.min_score or 0.5)
  return detect.nms(boxes, opts.iou or 0.4)
end

-- The square (side = the box's longer side) centred on a face box.
local function square(f)
  local side = math.max(f.w, f.h)
  return f.x + f.w / 2 - side / 2, f.y + f.h / 2 - side / 2, side
end

--- Adds f.landmarks = 68 points {x, y} to each face (one batched forward pass
-- of the landmark net over 112x112 crops of the faces' squares). Returns faces.
function face.landmarks(img, faces, opts)
  img = image.rgb(as_image(img, "face.landmarks"))
  if #faces == 0 then return faces end
  local net = model("faceapi_landmarks68", opts)
  local n = net.input.size[1]
  local crops = {}
  for i, f in ipairs(faces) do
    local x0, y0, side = square(f)
    local k = side / n
    crops[i] = image.warp(img, { k, 0, x0, 0, k, y0 }, n, n, "zero"):unsqueeze(1)
  end
  local batch = mien.cat(crops, 1)
  local out = mien.no_grad(function() return net(net.preprocess(batch)) end):totable()
  for i, f in ipairs(faces) do
    local x0, y0, side = square(f)
    local pts = {}
    for p = 1, 68 do pts[p] = { x0 + out[i][2 * p - 1] * side, y0 + out[i][2 * p] * side } end
    f.landmarks = pts
  end
  return faces
end

--- The aligned crop of one face (a face with .landmarks, or the 68 points
-- themselves): uint8 [size,size,C]. opts: size (48), channels (1 or 3;
-- default the image's), eye_y, eye_distance (fractions of size; default
-- face.FRAME), border ("replicate" default, or "zero").
function face.align(img, f, opts)
  opts = args.options("face.align", 3, opts, "{size=, channels=, eye_distance=, eye_y=, border=}")
  img = as_image(img, "face.align")
  local points = f.landmarks or f
  local frame = { size = opts.size or 48, eye_y = opts.eye_y or face.FRAME.eye_y,
    eye_distance = opts.eye_distance or face.FRAME.eye_distance }
  local lx, ly, rx, ry = align.eyes(points)
  local m = align.matrix(lx, ly, rx, ry, frame)
  local out = image.warp(img, m, frame.size, frame.size, opts.border or "replicate")
  if opts.channels == 1 then return image.grey(out) end
  if opts.channels == 3 then return image.rgb(out) end
  if opts.channels ~= nil then error("face.align: channels must be 1 or 3", 2) end
  return out:dim() == 2 and out:unsqueeze(3) or out
end

-- The faces to align: detected, or the whole image with detect = false.
local function find(img, opts)
  if opts.detect == false then return { { x = 0, y = 0, w = img:size(2), h = img:size(1), score = 1 } } end
  return face.detect(img, opts)
end

--- Detect, locate landmarks and align every face of an image: returns
-- uint8 [N,size,size,C] crops (N may be 0: nil then) and the faces, best
-- first. opts: those of detect and align; detect = false takes the whole
-- image as the one face (for images that are face crops already, such as
-- FER2013's, where the detector finds only about half of the faces).
function face.crops(img, opts)
  opts = args.options("face.crops", 2, opts, "{size=, channels=, detect=}")
  img = as_image(img, "face.crops")
  local faces = face.landmarks(img, find(img, opts), opts)
  if #faces == 0 then return nil, faces end
  local crops = {}
  for i, f in ipairs(faces) do crops[i] = face.align(img, f, opts):unsqueeze(1) end
  return mien.cat(crops, 1), faces
end

local function largest(faces)
  local best
  for _, f in ipairs(faces) do
    if not best or f.w * f.h > best.w * best.h then best = f end
  end
  return best
end

--- Raw photos in class folders (src/<class>/<image>) -> aligned crops of
-- their largest face as PNGs in dst/<class>/<name>.png, ready for
-- mien.data.image_folder(dst). A photo whose file cannot be decoded is an
-- error naming it. Returns a summary {written=, no_face={paths},
-- several={paths}} (several: more than one face found; the largest kept).
-- opts: those of crops (size 48, channels, min_score, ...), verbose.
function face.crop_folder(src, dst, opts)
  args.check("face.crop_folder", 1, src, "string", "a folder of class folders")
  args.check("face.crop_folder", 2, dst, "string", "the output folder")
  opts = args.options("face.crop_folder", 3, opts, "{size=, channels=, detect=}")
  if not core.is_dir(src) then error("face.crop_folder: '" .. tostring(src) .. "' is not a directory", 2) end
  local summary = { written = 0, no_face = {}, several = {} }
  local names, dirs = core.listdir(src)
  for i, class in ipairs(names) do
    if dirs[i] and class:sub(1, 1) ~= "." then
      local files, sub_dirs = core.listdir(src .. "/" .. class)
      fs.mkdir_p(dst .. "/" .. class)
      for j, name in ipairs(files) do
        local ext = name:match("%.([^./]+)$")
        if not sub_dirs[j] and name:sub(1, 1) ~= "." and ext and extensions[ext:lower()] then
          local path = src .. "/" .. class .. "/" .. name
          local img = image.load(path, 3)
          local faces = find(img, opts)
          if #faces == 0 then
            summary.no_face[#summary.no_face + 1] = path
          else
            if #faces > 1 then summary.several[#summary.several + 1] = path end
            local f = face.landmarks(img, { largest(faces) }, opts)[1]
            image.write(dst .. "/" .. class .. "/" .. name:gsub("%.[^.]*$", "") .. ".png", face.align(img, f, opts))
            summary.written = summary.written + 1
          end
          if opts.verbose then io.write(string.format("\r%s: %d written", src, summary.written)) end
        end
      end
    end
  end
  if opts.verbose then io.write("\n") end
  return summary
end

return face
