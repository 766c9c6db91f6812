-- The augmentation kernel against its specification in core/image/augment.h:
-- a Lua reimplementation of the random draw (Philox stream layout) and of the
-- per-pixel formula, in float32 arithmetic (each operation rounded), must
-- reproduce core.augment_batch bit for bit. Also the draw's ranges and the
-- batch-position / stream-block layout the loader and a GPU kernel rely on.
local mien = require "mien"
local core = require "mien.core"

local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end

-- Philox4x32-10 as in core/rng.c: key = seed (lo, hi), counter = (block lo, hi, 0, 0).
local M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
local MASK = 0xffffffff
local function philox(seed, block)
  local c0, c1, c2, c3 = block & MASK, (block >> 32) & MASK, 0, 0
  local k0, k1 = seed & MASK, (seed >> 32) & MASK
  for _ = 1, 10 do
    local p0, p1 = M0 * c0, M1 * c2
    local hi0, lo0 = (p0 >> 32) & MASK, p0 & MASK
    local hi1, lo1 = (p1 >> 32) & MASK, p1 & MASK
    c0, c1, c2, c3 = hi1 ~ c1 ~ k0, lo1, hi0 ~ c3 ~ k1, lo0
    k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
  end
  return { c0, c1, c2, c3 }
end

local function unit(w) return f32((w >> 8) * (1.0 / 16777216.0)) end
local function uniform(w, lo, hi) return lo + (hi - lo) * unit(w) end
local function symmetric(w, r) return r * (2.0 * unit(w) - 1.0) end

-- The spec table as the binding reads it, with the defaults of augment.h.
local function params(spec, h, w)
  local p = {
    rotate = f32(spec.rotation or 0), shear = f32(spec.shear or 0),
    zoom_lo = f32(spec.zoom and spec.zoom[1] or 1), zoom_hi = f32(spec.zoom and spec.zoom[2] or 1),
    tx = f32(spec.shift or 0), ty = f32(spec.shift or 0), flip = f32(spec.flip or 0),
    brightness = f32(spec.brightness or 0),
    contrast_lo = f32(spec.contrast and spec.contrast[1] or 1), contrast_hi = f32(spec.contrast and spec.contrast[2] or 1),
    erase = f32(spec.erase or 0),
    area_lo = f32(spec.erase_area and spec.erase_area[1] or 0.02), area_hi = f32(spec.erase_area and spec.erase_area[2] or 0.33),
    ratio_lo = f32(0.3), ratio_hi = f32(3.3),
    zero_border = spec.zero_border or false,
    oc = spec.channels or 1, mean = {}, std = {},
  }
  local size = spec.size
  if type(size) == "number" then p.oh, p.ow = size, size
  elseif type(size) == "table" then p.oh, p.ow = size[1], size[2]
  else p.oh, p.ow = h, w end
  for k = 1, 3 do
    local m, s = spec.mean or 0, spec.std or 1
    p.mean[k] = f32(type(m) == "table" and (m[k] or m[#m]) or m)
    p.std[k] = f32(type(s) == "table" and (s[k] or s[#s]) or s)
  end
  return p
end

local function draw(p, h, w, seed, base, i)
  local deg = math.pi / 180
  local block = base + 4 * i
  local g, ph = philox(seed, block), philox(seed, block + 1)
  local d = { flip = unit(g[1]) < p.flip }
  local theta, phi = symmetric(g[2], p.rotate) * deg, symmetric(g[3], p.shear) * deg
  local zoom = uniform(g[4], p.zoom_lo, p.zoom_hi)
  local sx, sy = symmetric(ph[1], p.tx) * w, symmetric(ph[2], p.ty) * h
  local c, s, t = math.cos(theta), math.sin(theta), math.tan(phi)
  local m00, m01, m10, m11 = (c + t * s) / zoom, (s - t * c) / zoom, -s / zoom, c / zoom
  local kx, ky = f32(f32(w) / f32(p.ow)), f32(f32(h) / f32(p.oh))
  local cx, cy = w / 2 + sx, h / 2 + sy
  d.a = { f32(m00 * kx), f32(m01 * ky), f32(-(m00 * cx + m01 * cy) + w / 2 - 0.5),
    f32(m10 * kx), f32(m11 * ky), f32(-(m10 * cx + m11 * cy) + h / 2 - 0.5) }
  local gain = uniform(ph[4], p.contrast_lo, p.contrast_hi)
  d.gain, d.offset = f32(gain), f32(0.5 * (1 - gain) + symmetric(ph[3], p.brightness))
  d.erase = { 0, 0, 0, 0 }
  if p.erase > 0 then
    local e, ex = philox(seed, block + 2), philox(seed, block + 3)
    if unit(e[1]) < p.erase then
      local area = uniform(e[2], p.area_lo, p.area_hi) * p.oh * p.ow
      local ratio = math.exp(uniform(e[3], math.log(p.ratio_lo), math.log(p.ratio_hi)))
      local function side(v, limit) return math.tointeger(math.max(1, math.min(math.floor(v + 0.5), limit))) end
      local eh, ew = side(math.sqrt(area * ratio), p.oh), side(math.sqrt(area / ratio), p.ow)
      d.erase = { math.floor(unit(e[4]) * (p.oh - eh + 1)), math.floor(unit(ex[1]) * (p.ow - ew + 1)), eh, ew }
    end
  end
  return d
end

-- The per-pixel formula of augment.h, every float operation rounded.
-- src: a Lua table [y][x][k] of 0..255; returns [k][oy][ox].
local function reference(p, d, src, h, w, c)
  local out = {}
  for k = 1, p.oc do out[k] = {} end
  local inv255 = f32(1 / 255)
  local inv_std = {}
  for k = 1, p.oc do inv_std[k] = f32(1 / p.std[k]) end
  local a = d.a
  local wr, wg, wb = f32(0.299), f32(0.587), f32(0.114)
  for oy = 0, p.oh - 1 do
    for k = 1, p.oc do out[k][oy + 1] = {} end
    local Y = oy + 0.5
    local row_x, row_y = f32(f32(a[2] * Y) + a[3]), f32(f32(a[5] * Y) + a[6])
    for ox = 0, p.ow - 1 do
      local X = (d.flip and (p.ow - 1 - ox) or ox) + 0.5
      local xs, ys = f32(f32(a[1] * X) + row_x), f32(f32(a[4] * X) + row_y)
      local outside = p.zero_border and (xs < -0.5 or xs > w - 0.5 or ys < -0.5 or ys > h - 0.5)
      xs = math.min(math.max(xs, 0), w - 1)
      ys = math.min(math.max(ys, 0), h - 1)
      local x0, y0 = math.floor(xs), math.floor(ys)
      local x1, y1 = x0 + (x0 < w - 1 and 1 or 0), y0 + (y0 < h - 1 and 1 or 0)
      local tx, ty = f32(xs - x0), f32(ys - y0)
      local v = {}
      for ch = 1, c do
        if outside then v[ch] = 0 else
          local p00, p01 = src[y0 + 1][x0 + 1][ch], src[y0 + 1][x1 + 1][ch]
          local p10, p11 = src[y1 + 1][x0 + 1][ch], src[y1 + 1][x1 + 1][ch]
          local top = f32(p00 + f32(f32(p01 - p00) * tx))
          local bot = f32(p10 + f32(f32(p11 - p10) * tx))
          v[ch] = f32(top + f32(f32(bot - top) * ty))
        end
      end
      if c == 3 and p.oc == 1 then v[1] = f32(f32(f32(wr * v[1]) + f32(wg * v[2])) + f32(wb * v[3])) end
      local erased = oy >= d.erase[1] and oy < d.erase[1] + d.erase[3] and ox >= d.erase[2] and ox < d.erase[2] + d.erase[4]
      for k = 1, p.oc do
        local x = v[c == 1 and 1 or k]
        x = f32(x * inv255)
        x = f32(f32(x * d.gain) + d.offset)
        x = math.min(math.max(x, 0), 1)
        out[k][oy + 1][ox + 1] = erased and 0 or f32(f32(x - p.mean[k]) * inv_std[k])
      end
    end
  end
  return out
end

-- n random images [n,h,w,c] (a smooth pattern plus noise, so bilinear
-- weights matter), as a tensor and as Lua tables.
local function images(n, h, w, c, seed)
  mien.manual_seed(seed)
  local noise = (mien.rand(n, h, w, c) * 60):floor()
  local t = mien.zeros({ n, h, w, c })
  local pattern = {}
  for y = 1, h do
    pattern[y] = {}
    for x = 1, w do
      pattern[y][x] = {}
      for k = 1, c do pattern[y][x][k] = (x * 9 + y * 5 + k * 30) % 190 end
    end
  end
  local imgs = t + mien.tensor(pattern) + noise
  imgs = imgs:clamp(0, 255):byte():contiguous()
  return imgs, imgs:totable()
end

local function compare(spec, c, seed, base)
  local n, h, w = 5, 13, 17
  local imgs, tables = images(n, h, w, c, seed)
  local idx = mien.tensor({ 4, 1, 5, 2, 3 }, { dtype = "int64" })
  local x = core.augment_batch(imgs, idx, spec, seed, base)
  local p = params(spec, h, w)
  assert.same({ n, p.oc, p.oh, p.ow }, x:shape())
  local got = x:totable()
  local order = idx:totable()
  local worst = 0
  for i = 0, n - 1 do
    local d = draw(p, h, w, seed, base, i)
    local want = reference(p, d, tables[order[i + 1]], h, w, c)
    for k = 1, p.oc do
      for oy = 1, p.oh do
        for ox = 1, p.ow do
          local diff = math.abs(got[i + 1][k][oy][ox] - want[k][oy][ox])
          if diff > worst then worst = diff end
        end
      end
    end
  end
  return worst
end

describe("augmentation kernel", function()
  it("draws exactly as documented (Philox blocks base + 4i)", function()
    local specs = {
      { flip = 0.5, rotation = 30, shear = 10, zoom = { 0.8, 1.25 }, shift = 0.15, brightness = 0.2, contrast = { 0.7, 1.3 }, erase = 0.7 },
      { rotation = 180, size = { 20, 9 }, erase = 1, erase_area = { 0.1, 0.5 } },
      {},
    }
    for _, spec in ipairs(specs) do
      local p = params(spec, 31, 23)
      for i = 0, 40 do
        local want = draw(p, 31, 23, 77, 1000, i)
        local got = core.augment_draw(spec, 31, 23, 77, 1000, i)
        assert.same(want.a, got.a)
        assert.equal(want.flip, got.flip)
        assert.equal(want.gain, got.gain)
        assert.equal(want.offset, got.offset)
        assert.same(want.erase, got.erase)
      end
    end
  end)

  local cases = {
    { name = "identity, grey", spec = {}, c = 1 },
    { name = "identity resize up, grey to RGB, normalised", spec = { size = { 29, 23 }, channels = 3, mean = { 0.485, 0.456, 0.406 }, std = { 0.229, 0.224, 0.225 } }, c = 1 },
    { name = "resize down", spec = { size = 7 }, c = 1 },
    { name = "geometry + photometric, replicate border", spec = { flip = 0.5, rotation = 25, shear = 8, zoom = { 0.8, 1.2 }, shift = 0.2, brightness = 0.15, contrast = { 0.6, 1.4 } }, c = 1 },
    { name = "geometry, zero border, erasing", spec = { flip = 0.5, rotation = 40, zoom = { 0.7, 1.1 }, shift = 0.25, zero_border = true, erase = 0.8, mean = 0.5, std = 0.25 }, c = 1 },
    { name = "RGB to grey", spec = { rotation = 15, flip = 0.5, size = { 11, 19 } }, c = 3 },
    { name = "RGB to RGB, normalised, zero border", spec = { rotation = 20, shift = 0.1, channels = 3, zero_border = true, mean = { 0.4, 0.5, 0.6 }, std = { 0.2, 0.3, 0.4 }, contrast = { 0.8, 1.2 } }, c = 3 },
  }
  for n, case in ipairs(cases) do
    it("matches the per-pixel formula of augment.h: " .. case.name, function()
      local worst = compare(case.spec, case.c, 100 + n, 8 * n)
      -- bit for bit (a build that contracted a*b+c into FMAs would break this)
      assert.is_true(worst == 0, "largest difference " .. worst)
    end)
  end

  it("gives image i of a batch the stream blocks base + 4i", function()
    local imgs = images(6, 20, 20, 1, 3)
    local spec = { flip = 0.5, rotation = 20, zoom = { 0.9, 1.1 }, shift = 0.1, erase = 0.5, brightness = 0.1 }
    local idx = mien.tensor({ 6, 5, 4, 3, 2, 1 }, { dtype = "int64" })
    local batch = core.augment_batch(imgs, idx, spec, 11, 500)
    for i = 1, 6 do
      local one = core.augment_batch(imgs, mien.tensor({ 7 - i }, { dtype = "int64" }), spec, 11, 500 + 4 * (i - 1))
      assert.equal(0, (one[1]:ne(batch[i])):sum():item(), "image " .. i)
    end
    -- indices nil = images in order
    local all = core.augment_batch(imgs, nil, spec, 11, 500)
    local in_order = core.augment_batch(imgs, mien.tensor({ 1, 2, 3, 4, 5, 6 }, { dtype = "int64" }), spec, 11, 500)
    assert.equal(0, (all:ne(in_order)):sum():item())
  end)

  it("keeps the draws within the configured ranges", function()
    local spec = { flip = 0.3, rotation = 20, zoom = { 0.8, 1.2 }, brightness = 0.1, contrast = { 0.7, 1.3 },
      erase = 0.5, erase_area = { 0.05, 0.2 } }
    local flips, erased, n = 0, 0, 2000
    for i = 0, n - 1 do
      local d = core.augment_draw(spec, 48, 48, 5, 0, i)
      if d.flip then flips = flips + 1 end
      -- no shear, same size: a = (1/s) R^T, so s and theta come back
      local a = d.a
      local s = 1 / math.sqrt(a[1] ^ 2 + a[4] ^ 2)
      local theta = math.deg(math.atan(-a[4], a[1]))
      assert.is_true(s >= 0.8 - 1e-5 and s <= 1.2 + 1e-5, "zoom " .. s)
      assert.is_true(math.abs(theta) <= 20 + 1e-3, "angle " .. theta)
      assert.is_true(d.gain >= 0.7 - 1e-6 and d.gain <= 1.3 + 1e-6)
      assert.is_true(math.abs(d.offset - 0.5 * (1 - d.gain)) <= 0.1 + 1e-6)
      local e = d.erase
      if e[3] > 0 then
        erased = erased + 1
        assert.is_true(e[1] >= 0 and e[2] >= 0 and e[1] + e[3] <= 48 and e[2] + e[4] <= 48)
        local frac = e[3] * e[4] / (48 * 48)
        assert.is_true(frac > 0.02 and frac < 0.3, "erase fraction " .. frac)
      end
    end
    assert.is_true(math.abs(flips / n - 0.3) < 0.04, "flip rate " .. flips / n)
    assert.is_true(math.abs(erased / n - 0.5) < 0.04, "erase rate " .. erased / n)
  end)

  it("zero border blacks out what is shifted in, replicate border does not", function()
    local imgs = mien.full({ 1, 16, 16, 1 }, 200, { dtype = "uint8" })
    local z = core.augment_batch(imgs, nil, { shift = 0.5, zero_border = true }, 4, 0)
    local r = core.augment_batch(imgs, nil, { shift = 0.5 }, 4, 0)
    assert.equal(0, z:min():item())
    assert.near(200 / 255, r:min():item(), 1e-6)
    assert.near(200 / 255, r:max():item(), 1e-6)
  end)

  it("erases to the channel mean (0 after normalising)", function()
    local imgs = mien.full({ 4, 16, 16, 1 }, 255, { dtype = "uint8" })
    local x = core.augment_batch(imgs, nil, { erase = 1, mean = 0.2, std = 0.5 }, 9, 0)
    for i = 1, 4 do
      local d = core.augment_draw({ erase = 1 }, 16, 16, 9, 0, i - 1)
      local e = d.erase
      local box = x[i][1]:narrow(1, e[1] + 1, e[3]):narrow(2, e[2] + 1, e[4])
      assert.equal(0, box:abs():max():item())
      assert.near(e[3] * e[4], (x[i]:eq(0)):sum():item(), 0)
      assert.near((1 - 0.2) / 0.5, x[i]:max():item(), 1e-6)
    end
  end)

  it("rejects bad specs with the field's name", function()
    local imgs = mien.zeros({ 1, 8, 8, 1 }, { dtype = "uint8" })
    for _, case in ipairs {
      { { rotation = -1 }, "rotate_deg" }, { { shear = 90 }, "shear_deg" }, { { zoom = { 1.2, 1.1 } }, "zoom" },
      { { flip = 1.5 }, "flip_prob" }, { { contrast = { -1, 1 } }, "contrast" }, { { erase = 2 }, "erase_prob" },
      { { std = { 1, 0, 1 }, channels = 3 }, "std" }, { { channels = 2 }, "channels" }, { { shift = -0.1 }, "translate" },
    } do
      local ok, err = pcall(core.augment_batch, imgs, nil, case[1], 0, 0)
      assert.is_false(ok)
      assert.truthy(tostring(err):find(case[2], 1, true), tostring(err))
    end
    local ok, err = pcall(core.augment_batch, imgs, mien.tensor({ 2 }, { dtype = "int64" }), {}, 0, 0)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("out of range", 1, true), tostring(err))
  end)
end)
