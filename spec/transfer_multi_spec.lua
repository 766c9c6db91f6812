-- Multi-backbone transfer (mien.transfer, mien.transfer.finetune): the
-- features of several backbones cached per backbone and per view (plain,
-- mirrored), their concatenation, flip TTA, a head on them, fine-tuning the
-- top blocks, progress lines in a log, and checkpoints that `mien eval`
-- rebuilds with the accuracy the training run printed. Two face-api nets
-- with random weights (built in Lua, no weights files) stand in for the
-- pretrained backbones, on synthetic faces.
local mien = require "mien"
local core = require "mien.core"
local H = require "spec.support.helpers"
local models = require "mien.models"
local transfer = require "mien.transfer"
local features = require "mien.features"

local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)
local MIEN = core.realpath("scripts/mien")

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

local CLASSES = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }

local function backbones()
  mien.manual_seed(11)
  return transfer.Backbones {
    models.load("faceapi_landmarks68_tiny", { include_top = false, pretrained = false }):freeze(),
    models.load("faceapi_expression", { include_top = false, pretrained = false }):freeze(),
  }
end

local function dataset(n, seed)
  local ds = mien.data.synthetic_faces { n = n, size = 48, seed = seed }
  ds.classes = CLASSES
  return ds
end

local function max_diff(a, b) return (a - b):abs():max():item() end

describe("transfer.Backbones and flip TTA", function()
  local bbs = backbones()
  local ds = dataset(6, 1)
  local x = core.augment_batch(ds.images, nil, transfer.shared_input(48), 0, 0)

  it("concatenates the backbones' features in order, each after its own preprocessing", function()
    assert.are.same({ "faceapi_landmarks68_tiny", "faceapi_expression" }, bbs.names)
    assert.are.same({ 0, 128 }, bbs.offsets)
    assert.are.equal(128 + 256, bbs.feature_dim)
    bbs:eval()
    local f = mien.no_grad(function() return bbs(x) end)
    assert.are.same({ 6, 384 }, f:shape())
    local inner = bbs.faceapi_expression.backbone
    local direct = mien.no_grad(function() return inner(models.preprocess(inner.input, x)) end)
    assert.is_true(max_diff(f:narrow(2, 129, 256), direct) < 1e-5)
    assert.has_error(function() bbs:index("faceres") end, "transfer.Backbones: no backbone 'faceres' (have "
      .. "faceapi_landmarks68_tiny, faceapi_expression)")
  end)

  it("averages the logits of the image and its mirror image in eval mode only", function()
    local head = transfer.head { dim = 384, hidden = { 8 }, classes = 7 }
    local model = transfer.model(bbs, head, "flip")
    model:eval()
    local both = mien.no_grad(function() return model(x) end)
    local plain = mien.no_grad(function() return model.parts.head(bbs(x)) end)
    local mirrored = mien.no_grad(function() return model.parts.head(bbs(transfer.hflip(x))) end)
    assert.is_true(max_diff(both, (plain + mirrored) * 0.5) < 1e-5)
    assert.is_true(max_diff(plain, mirrored) > 1e-6)
    -- hflip mirrors the last dimension exactly
    local m = transfer.hflip(x)
    assert.are.equal(x[1][1][3][1], m[1][1][3][48])
  end)
end)

describe("transfer.features", function()
  it("caches each backbone's plain and mirrored features in its own file and reuses them", function()
    local bbs = backbones()
    local ds = dataset(5, 2)
    local dir = ROOT .. "/cache"
    local f, y, secs = transfer.features(bbs, ds, { dir = dir, tag = "syn5", flip = true, batch = 2 })
    assert.are.same({ 10, 384 }, f:shape())
    assert.are.same(ds.labels:totable(), y:narrow(1, 1, 5):totable())
    assert.are.same(ds.labels:totable(), y:narrow(1, 6, 5):totable())
    for _, name in ipairs(bbs.names) do
      for _, view in ipairs { "plain", "flip" } do
        assert.is_true(H.exists(string.format("%s/syn5_%s_%s.safetensors", dir, name, view)))
      end
      assert.is_true(secs[name] > 0)
    end
    -- the mirrored rows are the features of the mirrored images
    local x = core.augment_batch(ds.images, nil, transfer.shared_input(48), 0, 0)
    local direct = mien.no_grad(function() return bbs:eval()(transfer.hflip(x)) end)
    assert.is_true(max_diff(f:narrow(1, 6, 5), direct) < 1e-4)
    local f2, _, secs2 = transfer.features(bbs, ds, { dir = dir, tag = "syn5", flip = true })
    assert.are.equal(0, max_diff(f, f2))
    assert.are.equal(0, secs2.faceapi_expression)
  end)

  it("prints a flushed progress line every N images with the rate and ETA into a log", function()
    local bbs = backbones()
    local ds = dataset(10, 3)
    local path = ROOT .. "/progress.log"
    local log = assert(io.open(path, "w"))
    features.extract(bbs.faceapi_landmarks68_tiny, ds, { batch = 2, input = transfer.shared_input(48), verbose = true,
      progress_every = 4, log = log })
    log:close()
    local text = H.read_file(path)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(3, #lines, text)
    assert.truthy(lines[1]:find("features faceapi_landmarks68_tiny: view 1/1, 4/10 images, [%d.]+ img/s, ETA %d+:%d%d"))
    assert.truthy(lines[2]:find("8/10 images", 1, true))
    assert.truthy(lines[3]:find("10/10 images", 1, true))
    assert.is_nil(text:find("\r", 1, true))
  end)
end)

describe("models.top_blocks", function()
  it("picks the top k blocks or blocks by name, and names an unknown block", function()
    local bb = models.load("faceapi_expression", { include_top = false, pretrained = false })
    local _, names = models.top_blocks(bb, 2)
    assert.are.same({ "dense2", "dense3" }, names)
    local params, by_name = models.top_blocks(transfer.Adapted(bb), { "dense3" })
    assert.are.same({ "dense3" }, by_name)
    assert.is_true(#params > 0)
    assert.has_error(function() models.top_blocks(bb, { "dense9" }) end)
  end)
end)

-- writes a data set as an image folder, one sub-folder per class
local function write_folder(ds, dir)
  for i = 1, #ds do
    local c = ds.labels[i]
    H.mkdir(dir .. "/" .. CLASSES[c])
    core.image_write(string.format("%s/%s/%03d.png", dir, CLASSES[c], i), ds.images[i])
  end
  return dir
end

local function eval_acc(ckpt, data)
  local code, out = run(string.format("%s eval %s --data %s --batch 7", H.shell_quote(MIEN), H.shell_quote(ckpt),
    H.shell_quote(data)))
  assert.are.equal(0, code, out)
  return tonumber(out:match("accuracy ([%d.]+)%%")), out
end

describe("multi-backbone checkpoints", function()
  local train_ds, test_ds = dataset(28, 4), dataset(14, 5)
  local data = write_folder(test_ds, ROOT .. "/test")
  local bbs = backbones()
  local ftr, ytr = transfer.features(bbs, train_ds, { dir = ROOT .. "/cache", tag = "train28", flip = true })
  local fte, yte = transfer.features(bbs, test_ds, { dir = ROOT .. "/cache", tag = "test14", flip = true })
  mien.manual_seed(3)
  local head_opts = { dim = 384, hidden = { 16 }, classes = 7, dropout = 0.1, mean = ftr:mean(1, true),
    std = ftr:std(1, { keepdim = true }) + 1e-6 }
  local head = transfer.head(head_opts)
  mien.train.fit { model = head, optimizer = mien.optim.Adam(head:parameters(), { lr = 1e-2 }), epochs = 3,
    quiet = true, train = features.loader(ftr, ytr, { batch = 8 }) }
  local model = transfer.model(bbs, head, "flip")

  it("load in `mien eval` with the accuracy of the cached features (flip TTA)", function()
    local acc, _, loss = transfer.evaluate_views(head, fte, yte, 2)
    local recipe = transfer.multi_recipe(bbs, head_opts, CLASSES, { tta = "flip", holds = "model" })
    for _, b in ipairs(recipe.backbones) do b.pretrained = false end -- random nets: every weight is in the checkpoint
    local path = ROOT .. "/runs/model.ckpt"
    H.mkdir(ROOT .. "/runs")
    mien.io.save_checkpoint(path, { model = model, extra = { recipe = recipe } })
    local got, out = eval_acc(path, data)
    assert.are.equal(string.format("%.2f", 100 * acc), string.format("%.2f", got), out)
    assert.truthy(out:find(string.format("loss %.4f", loss), 1, true), out)
    -- the same through the loader mien.ensemble and `mien predict` use
    local loaded, r = require("mien.train.recipe").load_model(path)
    assert.are.equal("FlipTTA", loaded.__name)
    assert.are.equal("flip", r.tta)
    local code, pout = run(string.format("%s predict %s %s", H.shell_quote(MIEN), H.shell_quote(path),
      H.shell_quote(data .. "/" .. CLASSES[test_ds.labels[1]] .. "/001.png")))
    assert.are.equal(0, code, pout)
    assert.truthy(pout:find("001%.png: %a+%s+%(angry "), pout)
  end)

  it("refuses a head-only checkpoint whose backbones have random weights", function()
    local recipe = transfer.multi_recipe(bbs, head_opts, CLASSES, { tta = "flip" })
    recipe.backbones[1].pretrained = false
    local path = ROOT .. "/runs/head_only.ckpt"
    mien.io.save_checkpoint(path, { model = head, extra = { recipe = recipe } })
    assert.has_error(function() require("mien.train.recipe").load_model(path) end,
      path .. ": backbone faceapi_landmarks68_tiny has random weights, but the checkpoint holds only the head")
  end)

  it("fine-tune the top block of one backbone, the rest unchanged, and eval agrees", function()
    local finetune = require "mien.transfer.finetune"
    local other = bbs.faceapi_landmarks68_tiny:parameters()[1]:clone()
    local bottom = bbs.faceapi_expression.backbone.dense0:parameters()[1]:clone()
    local top = bbs.faceapi_expression.backbone.dense3:parameters()[1]:clone()
    local r = finetune.run { model = model, backbone = "faceapi_expression", blocks = 1, epochs = 1, lr = 1e-3,
      batch = 10, verbose = false, train = { ds = train_ds, feats = ftr, labels = ytr },
      test = { ds = test_ds, feats = fte, labels = yte } }
    assert.are.same({ "dense3" }, r.blocks)
    assert.are.equal(1, #r.history)
    assert.are.equal(0, max_diff(other, bbs.faceapi_landmarks68_tiny:parameters()[1]))
    assert.are.equal(0, max_diff(bottom, bbs.faceapi_expression.backbone.dense0:parameters()[1]))
    assert.is_true(max_diff(top, bbs.faceapi_expression.backbone.dense3:parameters()[1]) > 0)
    -- the backbones stay frozen modules (normalisations keep their statistics)
    assert.is_true(bbs.faceapi_expression.backbone.frozen)
    local recipe = transfer.multi_recipe(bbs, head_opts, CLASSES, { tta = "flip", holds = "model" })
    for _, b in ipairs(recipe.backbones) do b.pretrained = false end
    local path = ROOT .. "/runs/finetune.ckpt"
    mien.io.save_checkpoint(path, { model = model, extra = { recipe = recipe } })
    local got, out = eval_acc(path, data)
    assert.are.equal(string.format("%.2f", 100 * r.acc), string.format("%.2f", got), out)
  end)
end)
