--- mien.image: single images as uint8 tensors [H,W,C] (row-major, HWC, as
-- decoded), for photo pipelines such as face detection and alignment.
-- Coordinates are in pixels from the image's top-left corner: pixel (i, j)
-- (1-based row i, column j) covers [j-1, j] x [i-1, i], its centre is at
-- (j - 0.5, i - 0.5).
local mien = require "mien"
local core = require "mien.core"

local image = {}

--- Decodes a JPEG/PNG/BMP/TGA/PNM/GIF/TIFF file; channels 1 (grey) or 3 (RGB)
-- converts, nil keeps the file's own.
function image.load(path, channels) return core.image_load(path, channels or 0) end

--- The most pixels (width x height) an image file may claim before it is
-- decoded; larger claims are refused as decode bombs.
-- @treturn integer the limit (64000000 unless set)
function image.max_pixels() return core.image_max_pixels() end

--- Set the pixel limit for every later decode (image.load, image_folder,
-- manifests, predict), process-wide.
-- @int n a positive number of pixels
-- @treturn integer the previous limit
-- @usage local old = mien.image.set_max_pixels(200e6 // 1); ...; mien.image.set_max_pixels(old)
function image.set_max_pixels(n)
  local v = math.tointeger(n)
  if not v or v < 1 then error("image.set_max_pixels: expected a positive integer, got " .. tostring(n), 2) end
  return core.image_set_max_pixels(v)
end

--- PNG, or JPEG/BMP by the extension; written in one go.
function image.write(path, img) core.image_write(path, img) end

--- mode "bilinear" (half-pixel centres) or "area" (box filter; for shrinking).
function image.resize(img, h, w, mode) return core.image_resize(img, h, w, mode or "bilinear") end

--- Affine warp into an out_h x out_w image. m = {a, b, c, d, e, f} maps an
-- output point (X, Y) to the source point (aX + bY + c, dX + eY + f);
-- border "zero" (default) makes points outside the source black,
-- "replicate" repeats the edge.
function image.warp(img, m, out_h, out_w, border)
  if border ~= nil and border ~= "zero" and border ~= "replicate" then
    error("image.warp: border must be 'zero' or 'replicate', got '" .. tostring(border) .. "'", 2)
  end
  return core.image_warp(img, m, out_h, out_w, border ~= "replicate")
end

local function channels(img) return img:dim() == 3 and img:size(3) or 1 end

-- Raises "<who>: expected a uint8 image ..." (blaming the caller of the
-- function that checks) unless img is a uint8 [H,W] or [H,W,C] tensor.
local function check(img, who)
  if not mien.is_tensor(img) or img:dtype() ~= "uint8" or (img:dim() ~= 2 and img:dim() ~= 3) then
    local got = mien.is_tensor(img) and string.format("a %s tensor with %d dims", img:dtype(), img:dim()) or type(img)
    error(string.format("%s: expected a uint8 image [H,W] or [H,W,C], got %s", who, got), 3)
  end
end

-- img as [H,W,C] with 1 or 3 channels, converted to `want` channels in C.
-- image.grey/rgb tail-call it, so error levels here count from their caller.
local function convert(img, want, who)
  check(img, who)
  if img:dim() == 2 then img = img:unsqueeze(3) end
  local c = img:size(3)
  if c ~= 1 and c ~= 3 then error(string.format("%s: expected 1 or 3 channels, got %d", who, c), 2) end
  return core.image_convert(img, want)
end

--- RGB -> grey [H,W,1] (ITU-R BT.601 weights in fixed point, as image.load
-- converts); grey passes through.
function image.grey(img) return convert(img, 1, "image.grey") end

--- Grey -> RGB by replication; RGB passes through.
function image.rgb(img) return convert(img, 3, "image.rgb") end

--- The image scaled (area filter when shrinking, bilinear when enlarging) so
-- that its longer side is `size`, at the top-left of a black size x size
-- canvas, as detectors take it; returns the canvas and the scale (canvas
-- pixels per image pixel).
function image.letterbox(img, size)
  check(img, "image.letterbox")
  if math.type(size) ~= "integer" or size < 1 then
    error("image.letterbox: size must be a positive integer, got " .. tostring(size), 2)
  end
  local h, w = img:size(1), img:size(2)
  local s = size / math.max(h, w)
  local rh, rw = math.max(1, math.floor(h * s + 0.5)), math.max(1, math.floor(w * s + 0.5))
  local canvas = mien.zeros({ size, size, channels(img) }, { dtype = "uint8" })
  local scaled = (rh == h and rw == w) and img or core.image_resize(img, rh, rw, s < 1 and "area" or "bilinear")
  canvas:narrow(1, 1, rh):narrow(2, 1, rw):copy_(scaled:view(rh, rw, channels(img)))
  return canvas, s
end

--- Draws the outline of the box {x=, y=, w=, h=} (pixels, as above) in place,
-- clipped to the image; colour {r, g, b} (or a grey level), thickness in pixels.
function image.draw_box(img, box, colour, thickness)
  check(img, "image.draw_box")
  local H, W, C = img:size(1), img:size(2), channels(img)
  thickness = thickness or math.max(1, math.floor(math.min(H, W) / 200 + 0.5))
  colour = type(colour) == "table" and colour or { colour or 255, colour or 255, colour or 255 }
  local x0 = math.max(0, math.floor(box.x + 0.5))
  local y0 = math.max(0, math.floor(box.y + 0.5))
  local x1 = math.min(W, math.floor(box.x + box.w + 0.5))
  local y1 = math.min(H, math.floor(box.y + box.h + 0.5))
  if x1 <= x0 or y1 <= y0 then return img end
  local t = math.min(thickness, x1 - x0, y1 - y0)
  local function fill(r0, r1, c0, c1) -- 0-based half-open pixel ranges
    local v = img:narrow(1, r0 + 1, r1 - r0):narrow(2, c0 + 1, c1 - c0)
    if img:dim() == 2 then
      v:fill_(colour[1])
    else
      for k = 1, C do v:narrow(3, k, 1):fill_(colour[math.min(k, #colour)]) end
    end
  end
  fill(y0, y0 + t, x0, x1)
  fill(y1 - t, y1, x0, x1)
  fill(y0, y1, x0, x0 + t)
  fill(y0, y1, x1 - t, x1)
  return img
end

return image
