-- mien.image: warping, grey/RGB, letterboxing and box drawing on uint8 images.
local mien = require "mien"
local image = require "mien.image"
local H = require "spec.support.helpers"

-- A w x h x c image whose pixel (i, j, k) is (i*7 + j*3 + k*50) % 256.
local function ramp(h, w, c)
  local t = {}
  for i = 1, h do
    t[i] = {}
    for j = 1, w do
      t[i][j] = {}
      for k = 1, c do t[i][j][k] = (i * 7 + j * 3 + k * 50) % 256 end
    end
  end
  return mien.tensor(t, { dtype = "uint8" })
end

describe("image.warp", function()
  it("the identity map returns the image unchanged", function()
    local img = ramp(9, 13, 3)
    local out = image.warp(img, { 1, 0, 0, 0, 1, 0 }, 9, 13)
    assert.are.same(img:totable(), out:totable())
  end)

  it("an integer shift moves the pixels and fills the outside with black", function()
    local img = ramp(6, 8, 1)
    -- output (X, Y) samples the source at (X + 2, Y - 1)
    local out = image.warp(img, { 1, 0, 2, 0, 1, -1 }, 6, 8):totable()
    local src = img:totable()
    for i = 2, 6 do
      for j = 1, 6 do assert.are.equal(src[i - 1][j + 2][1], out[i][j][1]) end
    end
    for j = 1, 8 do assert.are.equal(0, out[1][j][1]) end -- row 0 of the output is above the source
    assert.are.equal(0, out[3][8][1])                     -- right of the source
    local rep = image.warp(img, { 1, 0, 2, 0, 1, -1 }, 6, 8, "replicate"):totable()
    assert.are.equal(src[1][3][1], rep[1][1][1])
  end)

  it("scaling by 2 agrees with bilinear resize (half-pixel centres)", function()
    local img = ramp(5, 7, 3)
    local a = image.warp(img, { 0.5, 0, 0, 0, 0.5, 0 }, 10, 14, "replicate")
    local b = image.resize(img, 10, 14, "bilinear")
    assert.is_true((a:float() - b:float()):abs():max():item() <= 1)
  end)

  it("a 90 degree turn maps the corners where they belong", function()
    local img = ramp(4, 4, 1)
    -- output (X, Y) <- source (Y, 4 - X): a quarter turn
    local out = image.warp(img, { 0, 1, 0, -1, 0, 4 }, 4, 4):totable()
    local src = img:totable()
    for i = 1, 4 do
      for j = 1, 4 do assert.are.equal(src[4 - j + 1][i][1], out[i][j][1]) end
    end
  end)

  it("bad arguments are clear errors", function()
    local img = ramp(4, 4, 1)
    assert.has_error(function() image.warp(img, { 1, 0, 0, 0, 1 }, 4, 4) end,
      "image_warp: the matrix must have 6 numbers, got 5")
    assert.has_error(function() image.warp(img:float(), { 1, 0, 0, 0, 1, 0 }, 4, 4) end)
    assert.has_error(function() image.warp(img, { 1, 0, 0, 0, 1, 0 }, 0, 4) end,
      "image_warp: output size must be positive, got 0x4")
    assert.has_error(function() image.warp(img, { 1, 0, 0 / 0, 0, 1, 0 }, 4, 4) end,
      "warp_affine: matrix entry 3 is not finite")
    assert.has_error(function() image.warp(img, { 1, 0, 0, 0, 1, 0 }, 4, 4, "wrap") end,
      "image.warp: border must be 'zero' or 'replicate', got 'wrap'")
  end)
end)

describe("image colour, letterbox and boxes", function()
  it("grey uses the BT.601 weights and rgb replicates", function()
    local img = mien.tensor({ { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 10, 20, 30 } } }, { dtype = "uint8" })
    assert.are.same({ { { 76 }, { 150 }, { 29 }, { 18 } } }, image.grey(img):totable())
    local g = image.grey(img)
    assert.are.same({ 1, 4, 3 }, image.rgb(g):shape())
    assert.are.same(H.flat(g), H.flat(image.rgb(g):narrow(3, 2, 1)))
    assert.has_error(function() image.grey(mien.zeros({ 2, 2, 2 }, { dtype = "uint8" })) end,
      "image.grey: expected 1 or 3 channels, got 2")
    assert.has_error(function() image.grey(img:float()) end,
      "image.grey: expected a uint8 image [H,W] or [H,W,C], got a float32 tensor with 3 dims")
    assert.has_error(function() image.letterbox(img, 0) end, "image.letterbox: size must be a positive integer, got 0")
  end)

  it("letterbox keeps the aspect ratio at the top-left of a black square", function()
    local img = mien.full({ 20, 40, 3 }, 200, { dtype = "uint8" })
    local canvas, s = image.letterbox(img, 32)
    assert.are.equal(0.8, s)
    assert.are.same({ 32, 32, 3 }, canvas:shape())
    assert.are.equal(200, canvas:narrow(1, 1, 16):min():item())
    assert.are.equal(0, canvas:narrow(1, 17, 16):max():item())
    -- enlarging interpolates (bilinear), shrinking averages (area)
    local up = image.letterbox(mien.tensor({ { { 0 }, { 100 } } }, { dtype = "uint8" }), 4)
    assert.are.same({ 0, 25, 75, 100 }, H.flat(up:narrow(1, 1, 1)))
    assert.are.same({ 0, 0, 0, 0 }, H.flat(up:narrow(1, 3, 1)))
  end)

  it("draw_box draws a clipped outline in place", function()
    local img = mien.zeros({ 10, 10, 3 }, { dtype = "uint8" })
    image.draw_box(img, { x = 2, y = 3, w = 4, h = 5 }, { 255, 0, 9 }, 1)
    local t = img:totable()
    assert.are.same({ 255, 0, 9 }, t[4][3]) -- top-left corner: row y+1, column x+1
    assert.are.same({ 255, 0, 9 }, t[8][6]) -- bottom-right corner
    assert.are.same({ 0, 0, 0 }, t[5][4])   -- inside
    local lit = 0
    for _, row in ipairs(t) do
      for _, px in ipairs(row) do if px[1] == 255 then lit = lit + 1 end end
    end
    assert.are.equal(2 * 4 + 2 * 3, lit) -- the perimeter of a 4x5 box
    image.draw_box(img, { x = 8, y = 8, w = 10, h = 10 }, 7, 1) -- clipped to the image
    assert.are.equal(7, img:totable()[10][10][1])
  end)
end)
