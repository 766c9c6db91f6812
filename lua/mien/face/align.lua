--- Alignment geometry: the similarity transform that puts the eyes on a
-- level line at a fixed place of a size x size crop.
--
-- With eye centres l (image left) and r, mid = (l + r) / 2, theta the angle
-- of r - l and k = |r - l| / (eye_distance * size) source pixels per output
-- pixel, the output point (X, Y) samples the source at
--   mid + k R(theta) ((X, Y) - (size / 2, eye_y * size)),
-- so the eyes land at (size/2 -+ eye_distance*size/2, eye_y*size), level.
local align = {}

-- 68-point layout (iBUG 300-W, 1-based): 37-42 the eye on the image's left,
-- 43-48 the other.
align.LEFT_EYE = { 37, 42 }
align.RIGHT_EYE = { 43, 48 }

local function centre(points, range)
  local x, y = 0, 0
  for i = range[1], range[2] do
    x, y = x + points[i][1], y + points[i][2]
  end
  local n = range[2] - range[1] + 1
  return x / n, y / n
end

--- Eye centres {lx, ly, rx, ry} from 68 landmarks {{x, y}, ...}.
function align.eyes(points)
  if #points ~= 68 then error(string.format("face.align: expected 68 landmarks, got %d", #points), 3) end
  local lx, ly = centre(points, align.LEFT_EYE)
  local rx, ry = centre(points, align.RIGHT_EYE)
  return lx, ly, rx, ry
end

--- The warp matrix (mien.image.warp) for eye centres and a framing
-- {size=, eye_y=, eye_distance=}.
function align.matrix(lx, ly, rx, ry, frame)
  local dx, dy = rx - lx, ry - ly
  local dist = math.sqrt(dx * dx + dy * dy)
  if dist <= 0 then error("face.align: the two eye centres coincide", 3) end
  local size = frame.size
  local k = dist / (frame.eye_distance * size)
  local c, s = k * dx / dist, k * dy / dist
  local mx, my = (lx + rx) / 2, (ly + ry) / 2
  local tx, ty = size / 2, frame.eye_y * size
  return { c, -s, mx - (c * tx - s * ty), s, c, my - (s * tx + c * ty) }
end

return align
