--- Geometric measures of a face from its 68 landmarks (iBUG 300-W layout,
-- 1-based: jaw 1-17, brows 18-22 and 23-27, nose 28-36, eyes 37-42 and
-- 43-48, outer lips 49-60, inner lips 61-68), in a frame that removes the
-- pose in the image plane: the origin midway between the eye centres, x
-- along the line through them, y perpendicular to it (down), and one unit
-- the inter-ocular distance. Face size and head roll then drop out.
local geometry = {}

--- The names of the measures, in the order of geometry.measures' fields.
geometry.NAMES = { "brow_inner_height", "brow_outer_height", "inner_brow_distance", "eye_opening",
  "lip_corner_elevation", "lip_corner_asymmetry", "mouth_opening", "lip_stretch", "lip_thickness",
  "nose_wrinkle", "jaw_drop" }

local function mean_of(points, list)
  local x, y = 0, 0
  for _, i in ipairs(list) do x, y = x + points[i][1], y + points[i][2] end
  return x / #list, y / #list
end

--- The 68 points in the face frame (see above), and the inter-ocular
-- distance in the image's pixels.
-- @tparam table points 68 points {x, y} (pixels)
-- @treturn table 68 points {x, y} in face units
-- @treturn number the inter-ocular distance in pixels
function geometry.normalise(points)
  if type(points) ~= "table" or #points ~= 68 then
    error(string.format("au: expected 68 landmarks {x, y}, got %s", type(points) == "table" and #points or type(points)), 3)
  end
  local lx, ly = mean_of(points, { 37, 38, 39, 40, 41, 42 })
  local rx, ry = mean_of(points, { 43, 44, 45, 46, 47, 48 })
  local dx, dy = rx - lx, ry - ly
  local iod = math.sqrt(dx * dx + dy * dy)
  if not (iod > 0) then error("au: the two eye centres coincide", 3) end
  local c, s = dx / iod, dy / iod
  local mx, my = (lx + rx) / 2, (ly + ry) / 2
  local out = {}
  for i, p in ipairs(points) do
    local px, py = p[1] - mx, p[2] - my
    out[i] = { (c * px + s * py) / iod, (-s * px + c * py) / iod }
  end
  return out, iod
end

--- Geometric measures in inter-ocular units (y grows downwards, so heights
-- above a point are that point's y minus the feature's):
--   brow_inner_height   eye centre to the inner brow ends (22, 23), mean of both sides (AU1 up, AU4 down)
--   brow_outer_height   eye centre to the outer brow ends (18, 27) (AU2)
--   inner_brow_distance between the inner brow ends (AU4 pulls them together)
--   eye_opening         upper to lower lid, mean of both eyes (AU5 up; AU6, AU7 down)
--   lip_corner_elevation the lip midline (mean of 52, 58) minus the corners' height (49, 55) (AU12 +, AU15 -)
--   lip_corner_asymmetry |left corner - right corner| height (unilateral AU12/14, contempt)
--   mouth_opening       between the inner lips (63, 67) (AU25)
--   lip_stretch         corner to corner (AU20, AU12 widen; AU23 narrows)
--   lip_thickness       outer minus inner lip height (AU23, AU24 thin the lips)
--   nose_wrinkle        eye line to the nose base (34): shorter when AU9/AU10 wrinkle the nose
--   jaw_drop            nose base to chin (9) (AU26)
-- @tparam table points 68 points {x, y} (pixels)
-- @treturn table the measures by name
function geometry.measures(points)
  local p = geometry.normalise(points)
  local function y(i) return p[i][2] end
  local function x(i) return p[i][1] end
  local _, left_eye_y = mean_of(p, { 37, 38, 39, 40, 41, 42 })
  local _, right_eye_y = mean_of(p, { 43, 44, 45, 46, 47, 48 })
  local eye_y = (left_eye_y + right_eye_y) / 2
  local lip_mid = (y(52) + y(58)) / 2
  return {
    brow_inner_height = eye_y - (y(22) + y(23)) / 2,
    brow_outer_height = eye_y - (y(18) + y(27)) / 2,
    inner_brow_distance = math.abs(x(23) - x(22)),
    eye_opening = ((y(41) + y(42)) - (y(38) + y(39)) + (y(47) + y(48)) - (y(44) + y(45))) / 4,
    lip_corner_elevation = lip_mid - (y(49) + y(55)) / 2,
    lip_corner_asymmetry = math.abs(y(49) - y(55)),
    mouth_opening = math.max(0, y(67) - y(63)),
    lip_stretch = math.abs(x(55) - x(49)),
    lip_thickness = (y(58) - y(52)) - math.max(0, y(67) - y(63)),
    nose_wrinkle = y(34) - eye_y,
    jaw_drop = y(9) - y(34),
  }
end

return geometry
