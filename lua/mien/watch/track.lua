--- Face tracks across video frames: greedy IoU matching of each frame's
-- detections to the live tracks (best overlap first), so each person keeps
-- an id, and per-track smoothing of the class probabilities over time.
local iou = require("mien.face.detect").iou

local track = {}

local Tracker = {}
Tracker.__index = Tracker

--- A tracker.
-- @tparam[opt] table opts fields: iou (0.3: the least overlap that continues
--   a track), max_missed (10: processed frames a track may go unseen before it
--   ends), smooth ("ema" (default), "window" or "none"), alpha (0.4: the EMA's
--   weight of the newest frame), window (5: frames averaged by "window")
-- @return a tracker: `tracker:update(detections)`
function track.new(opts)
  opts = opts or {}
  local smooth = opts.smooth or "ema"
  if smooth ~= "ema" and smooth ~= "window" and smooth ~= "none" then
    error("track: smooth must be 'ema', 'window' or 'none', got '" .. tostring(smooth) .. "'", 2)
  end
  local alpha = opts.alpha or 0.4
  if type(alpha) ~= "number" or alpha <= 0 or alpha > 1 then error("track: alpha must be in (0, 1]", 2) end
  local window = opts.window or 5
  if math.type(window) ~= "integer" or window < 1 then error("track: window must be a positive integer", 2) end
  return setmetatable({ iou = opts.iou or 0.3, max_missed = opts.max_missed or 10, smooth = smooth, alpha = alpha,
    window = window, tracks = {}, next_id = 1 }, Tracker)
end

local function smoothed(self, t, probs)
  if self.smooth == "none" or not t.probs then return probs end
  if self.smooth == "ema" then
    local out = {}
    for k, p in ipairs(probs) do out[k] = self.alpha * p + (1 - self.alpha) * t.probs[k] end
    return out
  end
  t.history[#t.history + 1] = probs
  if #t.history > self.window then table.remove(t.history, 1) end
  local out = {}
  for k = 1, #probs do
    local s = 0
    for _, h in ipairs(t.history) do s = s + h[k] end
    out[k] = s / #t.history
  end
  return out
end

--- Matches one frame's detections to the tracks and smooths their probabilities.
-- @tparam table detections a list of {x=, y=, w=, h=, probs={...}, ...}
-- @treturn table the same detections, each given .id (its track) and
--   .smoothed (the track's smoothed probabilities), in the input order
function Tracker:update(detections)
  local pairs_ = {}
  for ti, t in ipairs(self.tracks) do
    for di, d in ipairs(detections) do
      local o = iou(t.box, d)
      if o >= self.iou then pairs_[#pairs_ + 1] = { o = o, t = ti, d = di } end
    end
  end
  table.sort(pairs_, function(a, b)
    if a.o ~= b.o then return a.o > b.o end
    if a.t ~= b.t then return a.t < b.t end
    return a.d < b.d
  end)
  local track_of, taken = {}, {}
  for _, p in ipairs(pairs_) do
    if not track_of[p.d] and not taken[p.t] then track_of[p.d], taken[p.t] = p.t, true end
  end
  for _, t in ipairs(self.tracks) do t.missed = t.missed + 1 end
  for di, d in ipairs(detections) do
    local t = track_of[di] and self.tracks[track_of[di]]
    if not t then
      t = { id = self.next_id, missed = 0, history = { d.probs } }
      self.next_id = self.next_id + 1
      self.tracks[#self.tracks + 1] = t
    end
    t.box, t.missed = d, 0
    if d.probs then
      t.probs = smoothed(self, t, d.probs)
      d.smoothed = t.probs
    end
    d.id = t.id
  end
  local live = {}
  for _, t in ipairs(self.tracks) do
    if t.missed <= self.max_missed then live[#live + 1] = t end
  end
  self.tracks = live
  return detections
end

return track
