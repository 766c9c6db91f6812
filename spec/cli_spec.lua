-- The mien command and the out-of-the-box examples, run as a user would.
local H = require "spec.support.helpers"

local tmpdir, exists = H.tmpdir, H.exists

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  local code = tonumber(out:match("exit=(%d+)%s*$"))
  return code, out
end

describe("the mien command", function()
  it("prints its info", function()
    local code, out = run("scripts/mien info")
    assert.equal(0, code, out)
    assert.truthy(out:find("blas", 1, true), out)
  end)

  it("reports a missing script in one line with a non-zero status", function()
    local code, out = run("scripts/mien train no_such_script.lua")
    assert.is_true(code ~= 0)
    assert.truthy(out:find("^mien: .*no_such_script%.lua"), out)
  end)

  it("trains the quickstart, writes its report, then evaluates and predicts from the checkpoint", function()
    local dir = tmpdir()
    local code, out = run("scripts/mien train examples/quickstart.lua --epochs 1 --faces 280 --batch 32 --dir " .. dir)
    assert.equal(0, code, out)
    assert.truthy(out:find("validation accuracy", 1, true), out)
    assert.is_true(exists(dir .. "/report.html"))
    assert.is_true(exists(dir .. "/best.ckpt"))
    assert.is_true(exists(dir .. "/history.csv"))

    -- a folder of a few PNGs in FER class order, written through the C encoder
    package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
    package.cpath = "build/?.so;" .. package.cpath
    local mien = require "mien"
    local core = require "mien.core"
    local faces = mien.data.synthetic_faces { n = 14, seed = 99 }
    local data = dir .. "/faces"
    for c, name in ipairs(faces.classes) do assert(os.execute("mkdir -p " .. data .. "/" .. name)) end
    local labels = faces.labels:totable()
    for i = 1, #faces do
      core.image_write(string.format("%s/%s/%d.png", data, faces.classes[labels[i]], i), faces.images[i])
    end
    code, out = run("scripts/mien eval " .. dir .. "/best.ckpt --data " .. data)
    assert.equal(0, code, out)
    assert.truthy(out:find("14 images, accuracy", 1, true), out)
    code, out = run(string.format("scripts/mien predict %s/best.ckpt %s/happy/*.png", dir, data))
    assert.equal(0, code, out)
    assert.truthy(out:find("%.png: %a+ +%(%a+ %d%.%d%d%d"), out)
    if H.has_shared("photos/oarriaga_test_image_group.jpg") then
      -- with --faces: one line per face found, each aligned and classified
      code, out = run(string.format("scripts/mien predict %s/best.ckpt --faces %s/photos/oarriaga_test_image_group.jpg "
        .. "--weights %s/weights", dir, H.SHARED, H.SHARED))
      assert.equal(0, code, out)
      assert.equal(6, H.count(out, "face %d at %(%d+, %d+%) %d+x%d+: %a+ +%(%a+ %d%.%d%d%d"), out)
    end
    H.remove_dir(dir)
  end)
end)

describe("a tiny sweep on synthetic faces", function()
  it("runs 6 trials in 2 worker processes", function()
    local dir = tmpdir()
    local script = dir .. "/sweep.lua"
    local f = assert(io.open(script, "w"))
    f:write(string.format([[
local mien = require "mien"
local faces = mien.data.synthetic_faces { n = 140, seed = 5 }
local tr, va = mien.data.stratified_split(faces, { val = 0.3, seed = 5 })
local train_ds, val_ds = faces:subset(tr), faces:subset(va)
local fer_cnn = dofile("examples/fer_cnn.lua")
mien.sweep {
  space = { lr = mien.sweep.log_uniform(1e-3, 1e-2), batch = { 16, 32 } },
  method = "random", trials = 6, workers = 2, objective = "val_acc", dir = %q, quiet = true,
  run = function(cfg)
    mien.manual_seed(cfg.seed)
    local model = fer_cnn { width = 0.0625 }
    local h = mien.train.fit { model = model, epochs = 1, quiet = true,
      optimizer = mien.optim.Adam(model:parameters(), { lr = cfg.lr }),
      train = mien.data.loader(train_ds, { batch = cfg.batch }),
      val = mien.data.loader(val_ds, { batch = 64, shuffle = false }) }
    return { val_acc = h[1].val_acc }
  end,
}
]], dir .. "/out"))
    f:close()
    local env = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' "
    local code, out = run(env .. "lua5.4 " .. script)
    assert.equal(0, code, out)
    local n = 0
    for line in io.lines(dir .. "/out/results.jsonl") do
      if line:find('"status":"ok"', 1, true) then n = n + 1 end
    end
    assert.equal(6, n)
    assert.is_true(exists(dir .. "/out/report.html"))
    H.remove_dir(dir)
  end)
end)

describe("the face-model examples (need ../shared)", function()
  if not H.has_shared("data/ckplus48/labels.csv") then
    pending("../shared not found")
    return
  end

  it("ckplus_binary runs a short subject-wise CV and writes its ROC report", function()
    local dir = tmpdir()
    local code, out = run(string.format("scripts/mien run examples/ckplus_binary.lua --task surprise --folds 3 "
      .. "--seeds 2 --epochs 3 --cache %s --dir %s --data %s/data/ckplus48/labels.csv --weights %s/weights",
      dir, dir, H.SHARED, H.SHARED))
    assert.equal(0, code, out)
    assert.truthy(out:find("task surprise: 249 surprise vs 732 rest images", 1, true), out)
    assert.equal(2, H.count(out, "seed %d: 3%-fold subject%-wise CV, AUC 0%.%d+"), out)
    assert.truthy(out:find("over 2 seeds: AUC 0%.%d+ %+%- 0%.%d+"), out)
    assert.truthy(H.read_file(dir .. "/report.html"):find("AUC", 1, true))
    H.remove_dir(dir)
  end)

  it("ckplus_binary names an unknown task", function()
    local code, out = run(string.format("scripts/mien run examples/ckplus_binary.lua --task joy --data "
      .. "%s/data/ckplus48/labels.csv", H.SHARED))
    assert.equal(1, code, out)
    assert.truthy(out:find("--task must be 'valence' or one of anger, contempt", 1, true), out)
  end)

  it("photo_emotions finds, aligns and classifies the faces of the shared photos", function()
    local dir = tmpdir()
    local code, out = run(string.format("scripts/mien run examples/photo_emotions.lua --out %s --weights %s/weights "
      .. "%s/photos/astronaut_eileen_collins.png %s/photos/oarriaga_test_image_group.jpg", dir, H.SHARED, H.SHARED,
      H.SHARED))
    assert.equal(0, code, out)
    assert.truthy(out:find("astronaut_eileen_collins.png: 512x512, 1 face", 1, true), out)
    assert.truthy(out:find("oarriaga_test_image_group.jpg: 2048x1536, 6 faces", 1, true), out)
    assert.truthy(out:find("face 1 at %(%d+, %d+%) %d+x%d+, detector score 0%.%d%d: happy"), out)
    assert.is_true(exists(dir .. "/oarriaga_test_image_group_faces.png"))
    assert.is_true(exists(dir .. "/oarriaga_test_image_group_crops.png"))
    H.remove_dir(dir)
  end)
end)
