-- docs/tutorial.md never goes stale: its ```lua blocks, in order, form one
-- script that `mien run` runs to the end on small data. The settings block's
-- values are swapped for small ones (tiny subsets of ../shared's FER2013 and
-- its weights and photo when they are there; otherwise synthetic faces
-- written as image folders, a backbone with random weights and a face-crop
-- "photo"). A line after each block proves that the block ran.
local H = require "spec.support.helpers"
local mien = require "mien"

local TUTORIAL = "docs/tutorial.md"

-- The ```lua blocks of a markdown text, in order.
local function lua_blocks(text)
  local blocks = {}
  for body in text:gmatch("\n```lua\n(.-)\n```") do blocks[#blocks + 1] = body end
  return blocks
end

-- The block with its settings (`local NAME = value  -- comment`) replaced;
-- every name must be found, so a renamed setting fails here, not silently.
local function with_settings(block, settings)
  for name, value in pairs(settings) do
    local n
    block, n = block:gsub("\nlocal " .. name .. " = [^\n]-( +%-%- [^\n]*)\n", function(comment)
      return "\nlocal " .. name .. " = " .. value .. comment .. "\n"
    end)
    assert(n == 1, "tutorial settings: no line 'local " .. name .. " = ... -- ...'")
  end
  return block
end

local function script_of(blocks, settings)
  local parts = {}
  for i, b in ipairs(blocks) do
    if i == 1 then b = with_settings("\n" .. b .. "\n", settings) end
    parts[#parts + 1] = b .. string.format("\nio.write('[tutorial block %d done]\\n')\n", i)
  end
  return table.concat(parts, "\n")
end

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

-- n synthetic faces per class as PNG image folders root/<split>/<class>/<i>.png.
local function write_synthetic_folders(root, seed)
  for split_name, n in pairs { train = 280, publictest = 105 } do
    local ds = mien.data.synthetic_faces { n = n, size = 48, seed = seed }
    for i = 1, #ds do
      local class = ds.classes[ds:labels_table()[i]]
      local dir = root .. "/" .. split_name .. "/" .. class
      H.mkdir(dir)
      mien.image.write(string.format("%s/%04d.png", dir, i), ds.images[i]:contiguous())
    end
  end
end

-- A tiny Kaggle-style CSV of synthetic faces (emotion 0-6, pixels, Usage).
local function write_csv(path)
  local ds = mien.data.synthetic_faces { n = 70, size = 48, seed = 3 }
  local rows = { "emotion,pixels,Usage" }
  for i = 1, #ds do
    local pixels = {}
    for _, v in ipairs(H.flat(ds.images[i])) do pixels[#pixels + 1] = tostring(v) end
    rows[#rows + 1] = string.format("%d,%s,%s", ds:labels_table()[i] - 1, table.concat(pixels, " "),
      i % 5 == 0 and "PublicTest" or "Training")
  end
  H.write_file(path, table.concat(rows, "\n") .. "\n")
end

describe("docs/tutorial.md", function()
  local blocks = lua_blocks(H.read_file(TUTORIAL))
  local dir = H.tmpdir()
  teardown(function() H.remove_dir(dir) end)

  local shared = H.has_shared("data/fer2013/train/happy") or H.has_shared("data/fer2013/publictest/happy")
  shared = shared and H.has_shared("weights/face-api/face_expression_model.bin")
    and H.has_shared("photos/oarriaga_test_image_group.jpg")
  local small = { SUBSET = "210", TEST_SUBSET = "70", EPOCHS = "1", WIDTH = "0.125", HEAD_EPOCHS = "2", FINETUNE_EPOCHS = "1",
    TRIALS = "2", OUT = string.format("%q", dir .. "/out"), CSV = "nil" }

  it("has the whole workflow in its blocks", function()
    assert.is_true(#blocks >= 12, "expected at least 12 lua blocks, found " .. #blocks)
    local all = table.concat(blocks, "\n")
    for _, call in ipairs { "image_folder", "fer2013_csv", "stratified_split", ":subset(", "augment", "nn.Conv2d",
      "optim.Adam", "ReduceLROnPlateau", "confusion_matrix", "roc_curve", ":freeze()", "features.extract",
      "nn.Dropout", "top_blocks", "mien.sweep", "face.crops" } do
      assert.truthy(all:find(call, 1, true), "the tutorial never calls " .. call)
    end
  end)

  it("runs every block, start to finish, with `mien run`" .. (shared and " (../shared, tiny subsets)"
    or " (synthetic faces; ../shared absent)"), function()
    local settings = {}
    for k, v in pairs(small) do settings[k] = v end
    if not shared then
      write_synthetic_folders(dir .. "/fer", 5)
      settings.DATA = string.format("%q", dir .. "/fer")
      settings.PRETRAINED = "false"
      settings.FIND_FACES = "false"
      -- a face of the test folder serves as the photo
      local p = io.popen("ls " .. dir .. "/fer/publictest/happy | head -1")
      settings.PHOTO = string.format("%q", dir .. "/fer/publictest/happy/" .. p:read("l"))
      p:close()
    end
    local path = dir .. "/tutorial.lua"
    H.write_file(path, script_of(blocks, settings))
    local code, out = run("scripts/mien run " .. path)
    assert.are.equal(0, code, out)
    for i = 1, #blocks do
      assert.truthy(out:find(string.format("[tutorial block %d done]", i), 1, true), "block " .. i .. " did not run:\n" .. out)
    end
    for _, line in ipairs { "PublicTest accuracy", "head on cached features", "fine-tuned", "best trial:", "face 1 at" } do
      assert.truthy(out:find(line, 1, true), "no '" .. line .. "' in:\n" .. out)
    end
    local report = H.read_file(dir .. "/out/cnn/report.html")
    assert.truthy(report:find("ROC", 1, true) and report:find("(AUC ", 1, true), "no ROC curves with their AUC in the report")
    assert.is_true(H.exists(dir .. "/out/augmented.png"))
  end)

  it("loads and splits the Kaggle CSV when CSV is set (blocks 1-3)", function()
    write_csv(dir .. "/fer.csv")
    local settings = {}
    for k, v in pairs(small) do settings[k] = v end
    settings.CSV = string.format("%q", dir .. "/fer.csv")
    settings.SUBSET, settings.TEST_SUBSET = "0", "0"
    local path = dir .. "/tutorial_csv.lua"
    H.write_file(path, script_of({ blocks[1], blocks[2], blocks[3] }, settings))
    local code, out = run("scripts/mien run " .. path)
    assert.are.equal(0, code, out)
    assert.truthy(out:find("train: Dataset: 56 images", 1, true), out)
    assert.truthy(out:find("test:  Dataset: 14 images", 1, true), out)
    assert.truthy(out:find("[tutorial block 3 done]", 1, true), out)
  end)
end)
