-- mien.ensemble: checkpoints loaded as `mien eval` loads them, their
-- probabilities matched by class name (members trained in different class
-- orders), weighted and averaged, with TTA.
local mien = require "mien"
local core = require "mien.core"
local H = require "spec.support.helpers"

local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)

-- output k = brightness of pixel pixel_of[k]: an image lit at pixel p is the class whose pixel is p
local MODEL = [[
local nn = require "mien.nn"
return function(opts)
  return nn.Sequential(nn.Flatten(), nn.Linear(16, #opts.pixels))
end
]]

local FER_CSV_ORDER = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }
local ALPHABETICAL = { "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise" }
local PIXEL = { angry = 1, disgust = 2, fear = 3, happy = 4, sad = 5, surprise = 6, neutral = 7 }

-- a checkpoint whose model sees class c at pixel PIXEL[c] (at the next pixel with shift: always wrong)
local function checkpoint(name, classes, shift)
  local dir = ROOT .. "/" .. name
  H.mkdir(dir)
  H.write_file(dir .. "/model.lua", MODEL)
  local pixels = {}
  for k, c in ipairs(classes) do pixels[k] = shift and PIXEL[c] % 7 + 1 or PIXEL[c] end
  local model = load(MODEL)() { pixels = pixels }
  local w = mien.zeros({ #classes, 16 })
  for k, p in ipairs(pixels) do w[k][p] = 10 end
  mien.no_grad(function()
    model:parameters()[1]:copy_(w)
    model:parameters()[2]:zero_()
  end)
  local path = dir .. "/best.ckpt"
  mien.io.save_checkpoint(path, { model = model, extra = { recipe = { script = dir .. "/model.lua",
    opts = { pixels = pixels }, classes = classes, input = { size = 4, channels = 1 } } } })
  return path
end

local function folder()
  local dir = ROOT .. "/data"
  for _, name in ipairs(ALPHABETICAL) do
    H.mkdir(dir .. "/" .. name)
    local img = mien.zeros({ 4, 4, 1 }, { dtype = "uint8" })
    local p = PIXEL[name]
    img[(p - 1) // 4 + 1][(p - 1) % 4 + 1][1] = 255
    core.image_write(string.format("%s/%s/1.png", dir, name), img)
  end
  return dir
end

describe("mien.ensemble", function()
  local csv_ckpt = checkpoint("csv", FER_CSV_ORDER)
  local alpha_ckpt = checkpoint("alpha", ALPHABETICAL)
  local data = folder()

  it("matches members by class name and averages their probabilities", function()
    local ens = mien.ensemble { csv_ckpt, alpha_ckpt }
    assert.are.same(FER_CSV_ORDER, ens.classes)
    local r = ens:evaluate(data, { quiet = true, cache = false })
    assert.are.equal(7, r.n)
    assert.are.equal(1, r.acc)
    assert.are.equal(1, r.members[1].acc)
    assert.are.equal(1, r.members[2].acc)
    -- the same model in two class orders: the average is each member's probabilities
    local img = mien.zeros({ 1, 4, 4, 1 }, { dtype = "uint8" })
    img[1][2][1][1] = 255 -- pixel 5: "sad"
    local p = ens:predict(img):totable()[1]
    local best = 1
    for k = 2, 7 do if p[k] > p[best] then best = k end end
    assert.are.equal("sad", ens.classes[best])
    H.assert_close({ p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7] }, { 1 }, 1e-5)
  end)

  it("weights members and applies TTA to each", function()
    -- a member that is always wrong loses to a heavier right one
    local wrong = checkpoint("wrong", FER_CSV_ORDER, true)
    local ens = mien.ensemble { csv_ckpt, wrong, weights = { 3, 1 } }
    local r = ens:evaluate(data, { quiet = true, cache = false })
    assert.are.equal(0, r.members[2].acc)
    assert.are.equal(1, r.acc)
    local flipped = mien.ensemble { csv_ckpt, tta = { flip = true } }
    assert.is_true(flipped:evaluate(data, { quiet = true, cache = false }).acc < 1) -- mirrored pixels mislead it
  end)

  it("names a member without a class of the ensemble, and bad arguments", function()
    local six = checkpoint("six", { "angry", "disgust", "fear", "happy", "sad", "surprise" })
    assert.has_error(function() mien.ensemble { csv_ckpt, six } end)
    local ok, err = pcall(mien.ensemble, { csv_ckpt, six })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("has no class 'neutral'", 1, true), err)
    assert.has_error(function() mien.ensemble {} end,
      "ensemble: expected a list of checkpoint paths {ckpt1, ckpt2, ..., tta=, weights=}")
    assert.has_error(function() mien.ensemble { csv_ckpt, weights = { 1, 2 } } end, "ensemble: 2 weights for 1 checkpoints")
  end)
end)
