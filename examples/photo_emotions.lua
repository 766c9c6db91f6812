-- What is each face in a photo feeling? Finds the faces (face-api's tiny
-- face detector), levels their eyes with the 68 landmarks, crops them like
-- FER2013 images, and classifies the crops with a pretrained expression net.
-- Prints the top classes per face and writes PHOTO_faces.png (boxes and
-- landmarks) and PHOTO_crops.png (the aligned crops) into --out.
--
--   mien run examples/photo_emotions.lua                       # the photos in ../shared/photos
--   mien run examples/photo_emotions.lua me.jpg --model faceapi_expression --out runs/faces
local mien = require "mien"
local face = require "mien.face"
local image = require "mien.image"
local argparse = require "argparse"

local parser = argparse("photo_emotions", "Detect, align and classify the faces in photos")
parser:argument("photos", "image files"):args("*")
parser:option("--model", "expression classifier: emotion_xception (FER2013) or faceapi_expression",
  "emotion_xception")
parser:option("--weights", "weights folder (face-api/, human-models/); default $MIEN_WEIGHTS or ../shared/weights")
parser:option("--min-score", "detection threshold", "0.5"):convert(tonumber)
parser:option("--out", "folder for the annotated images", "runs/photo_emotions")
local args = parser:parse(arg)

if #args.photos == 0 then
  for _, name in ipairs { "astronaut_eileen_collins.png", "justin_fer_repo.jpg", "oarriaga_test_image_group.jpg" } do
    args.photos[#args.photos + 1] = "../shared/photos/" .. name
  end
end
os.execute("mkdir -p '" .. args.out .. "'")

local net = mien.models.load(args.model, { dir = args.weights }):eval()
local size, channels = net.input.size[1], net.input.channels
for _, path in ipairs(args.photos) do
  local t0 = mien.core.now()
  local img = image.load(path, 3)
  local crops, faces = face.crops(img, { size = size, channels = channels, min_score = args.min_score,
    dir = args.weights })
  print(string.format("%s: %dx%d, %d face%s (%.2f s)", path, img:size(2), img:size(1), #faces,
    #faces == 1 and "" or "s", mien.core.now() - t0))
  if crops then
    local probs = mien.no_grad(function() return net(net.preprocess(crops)) end):totable()
    for i, f in ipairs(faces) do
      local order = {}
      for k = 1, #net.classes do order[k] = k end
      table.sort(order, function(a, b) return probs[i][a] > probs[i][b] end)
      print(string.format("  face %d at (%d, %d) %dx%d, detector score %.2f: %s %.2f, %s %.2f, %s %.2f", i,
        math.floor(f.x), math.floor(f.y), math.floor(f.w), math.floor(f.h), f.score,
        net.classes[order[1]], probs[i][order[1]], net.classes[order[2]], probs[i][order[2]],
        net.classes[order[3]], probs[i][order[3]]))
      image.draw_box(img, f, { 255, 40, 40 })
      for _, q in ipairs(f.landmarks) do image.draw_box(img, { x = q[1] - 1, y = q[2] - 1, w = 3, h = 3 }, { 40, 255, 40 }, 1) end
    end
    local row = {}
    for i = 1, crops:size(1) do row[i] = crops[i] end
    local stem = args.out .. "/" .. path:match("([^/]*)$"):gsub("%.[^.]*$", "")
    image.write(stem .. "_faces.png", img)
    image.write(stem .. "_crops.png", mien.cat(row, 2):contiguous())
  end
end
