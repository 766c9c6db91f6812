-- `mien eval` matches the data's classes to the checkpoint's by name: a
-- FER2013 image folder (alphabetical: ..., happy, neutral, sad, surprise)
-- against a checkpoint in FER2013-CSV order (..., sad, surprise, neutral)
-- scores every image under its own class; an unknown class name is an
-- error; a class the model lacks is reported and left out. And a checkpoint
-- whose model script is named by a relative path loads from elsewhere.
local mien = require "mien"
local core = require "mien.core"
local H = require "spec.support.helpers"

local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)
local MIEN = core.realpath("scripts/mien")

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

-- A model that reads its class from the image: 4x4 grey input, output c is
-- the brightness of pixel c (so an image lit at pixel c is class c).
local MODEL = [[
local nn = require "mien.nn"
return function(opts)
  return nn.Sequential(nn.Flatten(), nn.Linear(16, opts.classes))
end
]]

local FER_CSV_ORDER = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }

local function checkpoint(dir)
  H.write_file(dir .. "/model.lua", MODEL)
  local model = load(MODEL)() { classes = 7 }
  local w = mien.zeros({ 7, 16 })
  for c = 1, 7 do w[c][c] = 1 end
  mien.no_grad(function() model:parameters()[1]:copy_(w) end)
  local path = dir .. "/runs/tiny/best.ckpt"
  H.mkdir(dir .. "/runs/tiny")
  mien.io.save_checkpoint(path, { model = model, extra = { recipe = { script = "model.lua", opts = { classes = 7 },
    classes = FER_CSV_ORDER, input = { size = 4, channels = 1 } } } })
  return path
end

-- A folder data set: per class name, 2 images lit at the model's index of that class.
local function folder(dir, names)
  local index = {}
  for c, name in ipairs(FER_CSV_ORDER) do index[name] = c end
  for _, name in ipairs(names) do
    H.mkdir(dir .. "/" .. name)
    for k = 1, 2 do
      local img = mien.zeros({ 4, 4, 1 }, { dtype = "uint8" })
      local p = index[mien.data.classes.canonical(name) or name] or 1
      img[(p - 1) // 4 + 1][(p - 1) % 4 + 1][1] = 255
      core.image_write(string.format("%s/%s/%d.png", dir, name, k), img)
    end
  end
  return dir
end

describe("mien eval matches classes by name", function()
  local ckpt = checkpoint(ROOT)

  it("scores a folder in alphabetical order against a checkpoint in FER2013-CSV order", function()
    local data = folder(ROOT .. "/alphabetical", { "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise" })
    local code, out = run(string.format("%s eval %s --data %s", MIEN, ckpt, data))
    assert.equal(0, code, out)
    assert.truthy(out:find("14 images, accuracy 100.00%", 1, true), out)
    assert.truthy(out:find("classes matched by name", 1, true), out)
  end)

  it("takes the aliases of other data sets and reports a class the model lacks", function()
    local data = folder(ROOT .. "/ckplus_names", { "anger", "contempt", "happiness", "sadness", "surprise" })
    local code, out = run(string.format("%s eval %s --data %s", MIEN, ckpt, data))
    assert.equal(0, code, out)
    assert.truthy(out:find("not in the model: contempt (2 images dropped)", 1, true), out)
    assert.truthy(out:find("not in the data: disgust, fear, neutral", 1, true), out)
    assert.truthy(out:find("8 images, accuracy 100.00%", 1, true), out)
  end)

  it("fails on an unknown class name, naming it", function()
    local data = folder(ROOT .. "/unknown", { "angry", "bored" })
    local code, out = run(string.format("%s eval %s --data %s", MIEN, ckpt, data))
    assert.is_true(code ~= 0, out)
    assert.truthy(out:find("unknown class name 'bored'", 1, true), out)
  end)

  it("loads a model script named by a relative path from another working directory", function()
    local data = folder(ROOT .. "/again", { "happy", "sad" })
    local code, out = run(string.format("cd / && %s eval %s --data %s", MIEN, ckpt, data))
    assert.equal(0, code, out)
    assert.truthy(out:find("4 images, accuracy 100.00%", 1, true), out)
    code, out = run(string.format("cd / && %s predict %s %s/happy/1.png", MIEN, ckpt, data))
    assert.equal(0, code, out)
    assert.truthy(out:find("1.png: happy", 1, true), out)
  end)

  it("train.fit records the folder a relative script is relative to", function()
    local model = load(MODEL)() { classes = 7 }
    local ds = mien.data.dataset { images = mien.zeros({ 2, 4, 4, 1 }, { dtype = "uint8" }),
      labels = mien.tensor({ 1, 2 }, { dtype = "int64" }), classes = FER_CSV_ORDER }
    local dir = ROOT .. "/fit"
    mien.train.fit { model = model, optimizer = mien.optim.SGD(model:parameters(), { lr = 0 }), epochs = 1,
      quiet = true, dir = dir, train = mien.data.loader(ds, { batch = 2 }),
      recipe = { script = "some/model.lua", classes = FER_CSV_ORDER } }
    local r = mien.io.read_checkpoint(dir .. "/last.ckpt").extra.recipe
    assert.equal("some/model.lua", r.script)
    assert.equal(core.realpath("."), r.script_dir)
  end)
end)
