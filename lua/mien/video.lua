--- mien.video: video files in and out, through Debian's libavformat,
-- libavcodec and libswscale (no ffmpeg command). Frames are uint8 [H,W,3]
-- RGB tensors, as mien.image uses.
--
--   local video = require "mien.video"
--   for frame, t in video.frames("interview.mp4") do ... end
--   local out <close> = video.writer("annotated.mp4", {fps = 25})
--   out:write(frame)
--
-- Without libav at build time every function but available() raises an
-- error saying what to install.
local mien = require "mien"
local core = require "mien.core"
local image = require "mien.image"

local video = {}

local MISSING = "mien.video: this mien was built without libav; install libavformat-dev libavcodec-dev "
  .. "libswscale-dev libavutil-dev (scripts/deps/video.txt) and rebuild (bash scripts/build.sh)"

--- Whether this build reads and writes video (libav was found when it was built).
-- @treturn boolean
function video.available() return core.video_open ~= nil end

local function need_libav(level)
  if not core.video_open then error(MISSING, level + 1) end
end

local Reader = {}
Reader.__index = Reader
Reader.__close = function(self) self:close() end

--- Opens a video file (any format libavformat reads) for reading.
-- The reader has fields width, height, fps (0 if unknown), duration
-- (seconds, 0 if unknown), frame_count (the count the container declares, 0
-- if unknown) and codec. A file that cannot be opened is an error naming it.
-- @string path the file
-- @return a reader: `reader:read()`, `reader:frames()`, `reader:close()`
-- @usage local r <close> = video.open("clip.mp4"); local frame, t = r:read()
function video.open(path)
  need_libav(2)
  if type(path) ~= "string" then error("video.open: expected a file path, got " .. type(path), 2) end
  local handle = core.video_open(path)
  local self = setmetatable({ path = path, handle = handle }, Reader)
  local info = handle:info()
  self.width, self.height, self.fps, self.duration, self.codec = info.width, info.height, info.fps, info.duration, info.codec
  self.frame_count = info.frames
  return self
end

--- The next frame: a uint8 [H,W,3] RGB tensor and its time in seconds, or
-- nil at the end. A damaged or truncated file is an error naming the file
-- and the frame.
-- @return frame, time (nil at the end)
function Reader:read()
  if not self.handle then error("video: '" .. self.path .. "' is closed", 2) end
  return self.handle:read()
end

--- An iterator over the remaining frames: frame, time, index (1-based).
-- The reader is closed when the iteration ends (or is left by `break`, in a
-- generic for with its closing value).
-- @return the iterator triple and the reader as the closing value
function Reader:frames()
  local index = 0
  local function step()
    local frame, t = self:read()
    if not frame then self:close(); return nil end
    index = index + 1
    return frame, t, index
  end
  return step, nil, nil, self
end

--- Releases the file (also done by the garbage collector and by `<close>`).
function Reader:close()
  if self.handle then self.handle:close(); self.handle = nil end
end

--- Every frame of a video file: `for frame, time, index in video.frames(path) do`.
-- @string path the file
-- @return an iterator (frame, time in seconds, 1-based index)
function video.frames(path)
  need_libav(2)
  return video.open(path):frames()
end

local Writer = {}
Writer.__index = Writer
Writer.__close = function(self, err)
  if err == nil then self:close() else self:abort() end
end

--- Starts writing a video file; the container comes from the extension
-- (.mp4, .avi, .mkv, ...), the frame size from the first frame written.
-- Frames go to a temporary file that `close()` renames over path, so path
-- never holds a partial video.
-- @string path the file to write
-- @tparam[opt] table opts fields: fps (25), codec (an encoder of this
--   libavcodec: "mpeg4" (default), "libx264", "mjpeg", ...), quality (0 for the
--   codec's default; mpeg4: quantiser 1 (best) .. 31; libx264: CRF)
-- @return a writer: `writer:write(frame)`, `writer:close()`, `writer:abort()`
-- @usage local out <close> = video.writer("out.mp4", {fps = 30}); out:write(frame)
function video.writer(path, opts)
  need_libav(2)
  opts = opts or {}
  if type(path) ~= "string" then error("video.writer: expected a file path, got " .. type(path), 2) end
  local fps = opts.fps or 25
  if type(fps) ~= "number" or not (fps > 0) then error("video.writer: fps must be a positive number", 2) end
  return setmetatable({ path = path, fps = fps, codec = opts.codec, quality = opts.quality or 0, count = 0 }, Writer)
end

--- Encodes one frame: uint8 [H,W,3] RGB, or grey [H,W] / [H,W,1]. Every
-- frame must have the first one's size (even width and height).
-- @param frame the image tensor
function Writer:write(frame)
  if self.closed then error("video.writer: '" .. self.path .. "' is closed", 2) end
  if not mien.is_tensor(frame) or frame:dtype() ~= "uint8" or (frame:dim() ~= 2 and frame:dim() ~= 3) then
    error(string.format("video.writer: '%s' frame %d: expected a uint8 image [H,W,3], got %s", self.path, self.count,
      mien.is_tensor(frame) and frame:dtype() .. " with " .. frame:dim() .. " dims" or type(frame)), 2)
  end
  frame = image.rgb(frame)
  if not self.handle then
    self.handle = core.video_writer(self.path, frame:size(2), frame:size(1), self.fps, self.codec, self.quality)
  end
  self.handle:write(frame)
  self.count = self.count + 1
end

--- Finishes the file and puts it in place (a writer given no frame writes
-- nothing and is an error). Idempotent.
function Writer:close()
  if self.closed then return end
  self.closed = true
  if not self.handle then error("video.writer: '" .. self.path .. "': no frame was written", 2) end
  self.handle:close()
end

--- Drops the partial file; path is left as it was.
function Writer:abort()
  self.closed = true
  if self.handle then self.handle:abort() end
end

return video
