-- mien watch's pipeline in frames/s at 640x480 with one face, and each
-- stage's share: decoding, detection (face-api's tiny detector), 68
-- landmarks, classification (alignment + faceapi_expression), AUs from the
-- landmarks, annotation + encoding (mpeg4). Every frame is processed (no
-- de-duplication, every = 1). The goal is real time, 30 frames/s, on 2 cores.
-- On a shared machine the wall clock counts the other processes' time too;
-- the CPU time per frame (os.clock: this process, all threads) says what an
-- idle core would give.
-- The test video is written first from ../shared/photos (the astronaut's
-- face drifting across the frame).
-- Each configuration is a detector input side, a thread count and how often
-- the detector runs (watch's detect_every: in between, boxes follow the landmarks).
-- Run: lua5.4 bench/video_pipeline.lua [--frames N] [--threads 1,2] [--input-size 416,320] [--detect-every 1,5]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local image = require "mien.image"
local video = require "mien.video"
local watch = require "mien.watch"

local frames, threads, sizes, detect_every = 60, { 1, 2 }, { 416 }, { 1, 5 }
local function list(s)
  local out = {}
  for v in s:gmatch("[^,]+") do out[#out + 1] = assert(math.tointeger(tonumber(v)), "expected integers: " .. s) end
  return out
end
for i = 1, #arg do
  if arg[i] == "--frames" then frames = assert(math.tointeger(tonumber(arg[i + 1])), "--frames N") end
  if arg[i] == "--threads" then threads = list(arg[i + 1]) end
  if arg[i] == "--input-size" then sizes = list(arg[i + 1]) end
  if arg[i] == "--detect-every" then detect_every = list(arg[i + 1]) end
end
if not video.available() then error("bench/video_pipeline.lua: this build has no video (install scripts/deps/video.txt)") end
local PHOTO = "../shared/photos/astronaut_eileen_collins.png"
if not io.open(PHOTO) then error("bench/video_pipeline.lua needs " .. PHOTO .. " and ../shared/weights") end

local f = io.open("/proc/loadavg")
local load = f and f:read("l"):match("^(%S+ %S+ %S+)") or "?"
if f then f:close() end
local nproc = io.popen("nproc"):read("l")
print(string.format("mien %s, %s cores, load average %s (1, 5, 15 min), OMP_WAIT_POLICY=%s", mien._VERSION, nproc,
  load, os.getenv("OMP_WAIT_POLICY") or "(default)"))

-- the test video: the photo's head and shoulders (256x256 around the face) scaled to 320x320 (the face
-- about 150 pixels wide), drifting over a 640x480 frame
local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
local path = dir .. "/one_face.mp4"
do
  local photo = image.load(PHOTO, 3)
  local face = image.resize(photo:narrow(1, 1, 256):narrow(2, 97, 256):contiguous(), 320, 320, "bilinear")
  local w <close> = video.writer(path, { fps = 30 })
  for k = 1, frames do
    local frame = mien.full({ 480, 640, 3 }, 60, { dtype = "uint8" })
    frame:narrow(1, 40 + k % 80, 320):narrow(2, 60 + (4 * k) % 240, 320):copy_(face)
    w:write(frame)
  end
end

local classifier = watch.classifier("faceapi_expression")
for _, size in ipairs(sizes) do
  for _, every in ipairs(detect_every) do
    for _, n in ipairs(threads) do
      mien.set_num_threads(n)
      local opts = { classifier = classifier, dedup = 0, input_size = size, detect_every = every }
      opts.max_frames = 3
      watch.run(path, opts) -- warm-up
      opts.max_frames, opts.out = nil, dir .. "/out"
      local c0 = os.clock()
      local s = watch.run(path, opts)
      local cpu = os.clock() - c0 -- process CPU time, all threads
      local st, total = s.stages, s.seconds
      local rows = 0
      for _ in io.lines(s.csv) do rows = rows + 1 end
      local function part(name, v)
        return string.format("%s %.1f ms (%.0f%%)", name, 1000 * v / s.frames, 100 * v / total)
      end
      print(string.format("detector input %d, detector on every %s frame, %d thread%s: %.1f frames/s wall clock; "
        .. "CPU %.1f ms/frame (%.1f frames per CPU second); %d frames, %d face rows", size,
        every == 1 and "" or (every .. "th"), n, n == 1 and "" or "s", s.fps, 1000 * cpu / s.frames, s.frames / cpu,
        s.frames, rows - 1))
      print("  per frame: " .. table.concat({ part("decode", st.decode), part("detection", st.detect),
        part("landmarks", st.landmarks), part("classification", st.classify), part("AUs", st.aus),
        part("annotation+encoding", st.encode),
        part("other", total - st.decode - st.detect - st.landmarks - st.classify - st.aus - st.encode) }, ", "))
    end
  end
end
os.execute("rm -rf " .. dir)
