--- Decoding the tiny face detector's output into boxes, and non-maximum
-- suppression. The net sees the image letterboxed into an S x S canvas
-- (mien.image.letterbox); a cell (row, col) of the G x G grid and an anchor
-- (aw, ah) predict, with sigma the logistic function,
--   centre = ((col - 1 + sigma(tx)) / G, (row - 1 + sigma(ty)) / G) * S
--   size   = (aw * exp(tw) / G, ah * exp(th) / G) * S
--   score  = sigma(t_score)
-- in canvas pixels; dividing by the letterbox scale gives image pixels.
local anchors = require("mien.models.faceapi_tiny_detector").ANCHORS

local detect = {}

local function sigmoid(v) return 1 / (1 + math.exp(-v)) end

--- out: the net's output for one image as a table [25][G][G]; s the letterbox
-- scale; (h, w) the image size. Boxes scoring above min_score, clipped to the image.
function detect.decode(out, canvas_size, s, h, w, min_score)
  local G = #out[1]
  local boxes = {}
  for row = 1, G do
    for col = 1, G do
      for a, anchor in ipairs(anchors) do
        local k = (a - 1) * 5
        local score = sigmoid(out[k + 5][row][col])
        if score > min_score then
          local cx = (col - 1 + sigmoid(out[k + 1][row][col])) / G * canvas_size / s
          local cy = (row - 1 + sigmoid(out[k + 2][row][col])) / G * canvas_size / s
          local bw = anchor[1] * math.exp(out[k + 3][row][col]) / G * canvas_size / s
          local bh = anchor[2] * math.exp(out[k + 4][row][col]) / G * canvas_size / s
          local x0, y0 = math.max(0, cx - bw / 2), math.max(0, cy - bh / 2)
          local x1, y1 = math.min(w, cx + bw / 2), math.min(h, cy + bh / 2)
          if x1 > x0 and y1 > y0 then
            boxes[#boxes + 1] = { x = x0, y = y0, w = x1 - x0, h = y1 - y0, score = score }
          end
        end
      end
    end
  end
  return boxes
end

--- Intersection over union of two boxes {x=, y=, w=, h=}.
-- @tparam table a box
-- @tparam table b box
-- @treturn number in [0, 1]; 0 when they do not overlap
function detect.iou(a, b)
  local ix = math.min(a.x + a.w, b.x + b.w) - math.max(a.x, b.x)
  local iy = math.min(a.y + a.h, b.y + b.h) - math.max(a.y, b.y)
  if ix <= 0 or iy <= 0 then return 0 end
  local inter = ix * iy
  return inter / (a.w * a.h + b.w * b.h - inter)
end

--- Greedy NMS: highest score first, dropping boxes overlapping a kept one by
-- more than iou. Returns the kept boxes, best first.
function detect.nms(boxes, iou)
  table.sort(boxes, function(a, b) return a.score > b.score end)
  local kept = {}
  for _, b in ipairs(boxes) do
    local ok = true
    for _, k in ipairs(kept) do
      if detect.iou(b, k) > iou then
        ok = false
        break
      end
    end
    if ok then kept[#kept + 1] = b end
  end
  return kept
end

return detect
