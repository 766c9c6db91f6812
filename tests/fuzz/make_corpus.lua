-- Writes the seed corpora in tests/fuzz/corpus/<harness>/: small valid files
-- of each kind, made with mien itself (and ImageMagick for the image formats
-- mien does not write). Run from the repository root after a build:
--   lua5.4 tests/fuzz/make_corpus.lua
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local ckpt = require "mien.io.checkpoint"
local json = require "mien.util.json"

local root = "tests/fuzz/corpus"
local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function dir(name)
  os.execute("mkdir -p " .. root .. "/" .. name)
  return root .. "/" .. name .. "/"
end
local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

-- safetensors: a few dtypes and shapes, metadata
do
  local d = dir("safetensors")
  mien.manual_seed(1)
  core.safetensors_save(tmp .. "/a.st", { w = mien.randn { 2, 3 }, b = mien.zeros { 3 } }, { note = "seed" })
  write(d .. "f32_meta.safetensors", read(tmp .. "/a.st"))
  core.safetensors_save(tmp .. "/b.st", { i = mien.arange(0, 5, 1, { dtype = "int64" }),
    u = mien.ones({ 2, 2 }, { dtype = "uint8" }), s = mien.scalar and mien.tensor(1.5) or mien.tensor { 1.5 } }, {})
  write(d .. "mixed.safetensors", read(tmp .. "/b.st"))
  -- hand-made header with F16/BF16/U64/I32
  local header = '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"g":{"dtype":"BF16","shape":[1],'
    .. '"data_offsets":[4,6]},"u":{"dtype":"U64","shape":[1],"data_offsets":[6,14]},'
    .. '"i":{"dtype":"I32","shape":[1,1],"data_offsets":[14,18]}}'
  write(d .. "halfs.safetensors", string.pack("<I8", #header) .. header .. string.rep("\1", 18))
end

-- images: one byte choosing the channel conversion, then the file
do
  local d = dir("image")
  local rows = {}
  for i = 1, 8 do
    rows[i] = {}
    for j = 1, 8 do rows[i][j] = { i * 30, j * 30, (i * j) % 256 } end
  end
  local img = mien.tensor(rows, { dtype = "uint8" })
  mien.image.write(tmp .. "/s.png", img)
  mien.image.write(tmp .. "/s.jpg", img)
  mien.image.write(tmp .. "/s.bmp", img)
  local files = { png = tmp .. "/s.png", jpg = tmp .. "/s.jpg", bmp = tmp .. "/s.bmp" }
  for ext, args in pairs { gif = "", pgm = "-colorspace gray", ppm = "", tga = "", progressive_jpg = "-interlace plane",
    grey_png = "-colorspace gray" } do
    local out = tmp .. "/m." .. ext:gsub("^.*_", "")
    if os.execute(string.format("convert %s %s %s 2>/dev/null", tmp .. "/s.png", args, out)) then files[ext] = out end
  end
  local k = 0
  for ext, path in pairs(files) do
    write(d .. ext, string.char(k % 4) .. read(path))
    k = k + 1
  end
end

-- FER2013 CSV, plain and gzip
do
  local function row(label, usage, v)
    local px = {}
    for i = 1, 2304 do px[i] = tostring((i * v) % 256) end
    return label .. "," .. table.concat(px, " ") .. (usage and ("," .. usage) or "")
  end
  local full = "emotion,pixels,Usage\n" .. row(3, "Training", 7) .. "\n" .. row(0, "PublicTest", 3) .. "\n"
    .. row(6, "PrivateTest", 1) .. "\n"
  local icml = "emotion, Usage, pixels\n" .. "2, Training, " .. row(0, nil, 5):match(",(.*)") .. "\n"
  local d, g = dir("fer_csv"), dir("fer_csv_gz")
  write(d .. "three_usages.csv", full)
  write(d .. "icml_order.csv", icml)
  for name, text in pairs { three_usages = full, icml_order = icml } do
    write(tmp .. "/" .. name .. ".csv", text)
    os.execute("gzip -9 -n -c " .. tmp .. "/" .. name .. ".csv > " .. g .. name .. ".csv.gz")
  end
end

-- TF.js: the fuzz drivers put a 96-byte shard (float32 0..23) beside the file
do
  local d = dir("tfjs_manifest")
  write(d .. "two_weights.json", json.encode { {
    paths = { "group1-shard1of1.bin" },
    weights = { { name = "conv/filters", shape = { 1, 1, 2, 3 }, dtype = "float32" },
      { name = "dense/bias", shape = { 3 }, dtype = "float32" } },
  } })
  write(d .. "quantised.json", json.encode { {
    paths = { "group1-shard1of1.bin" },
    weights = { { name = "q", shape = { 4, 2 }, dtype = "float32", quantization = { dtype = "uint8", scale = 0.5, min = -1 } },
      { name = "h", shape = { 2 }, dtype = "float32", quantization = { dtype = "float16" } },
      { name = "n", shape = { 2 }, dtype = "int32" } },
  } })
  local g = dir("tfjs_graph")
  write(g .. "matmul_relu.json", json.encode {
    format = "graph-model",
    modelTopology = { node = {
      { name = "x", op = "Placeholder", attr = { shape = { shape = { dim = { { size = "-1" }, { size = "4" } } } },
        dtype = { type = "DT_FLOAT" } } },
      { name = "w", op = "Const", attr = { dtype = { type = "DT_FLOAT" } } },
      { name = "b", op = "Const", attr = { dtype = { type = "DT_FLOAT" } } },
      { name = "mm", op = "MatMul", input = { "x", "w" }, attr = { transpose_b = { b = false } } },
      { name = "add", op = "BiasAdd", input = { "mm", "b" } },
      { name = "out", op = "Relu", input = { "add" } },
    } },
    weightsManifest = { { paths = { "group1-shard1of1.bin" },
      weights = { { name = "w", shape = { 4, 2 }, dtype = "float32" }, { name = "b", shape = { 2 }, dtype = "float32" } } } },
  })
  -- a fused convolution and a pooling: the attributes of every kind (int lists, strings, string lists, floats)
  local function b64(s) return require("mien.util.base64").encode(s) end
  local function ints(...)
    local list = {}
    for i, v in ipairs { ... } do list[i] = tostring(v) end
    return { list = { i = list } }
  end
  write(g .. "conv_pool.json", json.encode {
    format = "graph-model",
    modelTopology = { node = {
      { name = "x", op = "Placeholder", attr = { dtype = { type = "DT_FLOAT" }, shape = { shape = { dim = {
        { size = "-1" }, { size = "4" }, { size = "4" }, { size = "1" } } } } } },
      { name = "f", op = "Const", attr = { dtype = { type = "DT_FLOAT" } } },
      { name = "bias", op = "Const", attr = { dtype = { type = "DT_FLOAT" } } },
      { name = "conv", op = "_FusedConv2D", input = { "x", "f", "bias" }, attr = { strides = ints(1, 1, 1, 1),
        padding = { s = b64("SAME") }, dilations = ints(1, 1, 1, 1), data_format = { s = b64("NHWC") },
        fused_ops = { list = { s = { b64("BiasAdd"), b64("Relu") } } }, num_args = { i = "1" }, epsilon = { f = 0 },
        T = { type = "DT_FLOAT" } } },
      { name = "pool", op = "MaxPool", input = { "conv" }, attr = { ksize = ints(1, 2, 2, 1), strides = ints(1, 2, 2, 1),
        padding = { s = b64("VALID") }, data_format = { s = b64("NHWC") } } },
      { name = "out", op = "Relu6", input = { "pool" } },
    } },
    signature = { outputs = { out = { name = "out:0" } } },
    weightsManifest = { { paths = { "group1-shard1of1.bin" },
      weights = { { name = "f", shape = { 2, 2, 1, 2 }, dtype = "float32" }, { name = "bias", shape = { 2 }, dtype = "float32" } } } },
  })
end

-- labels.csv manifests (the driver makes a.png and b.png)
do
  local d = dir("manifest")
  write(d .. "labels.csv", "path,label,subject\na.png,happy,s1\nb.png,sad,s2\n")
  write(d .. "sequences.csv", "path,label,subject,sequence\na.png,1,S005,001\nb.png,2,S005,002\n")
end

-- checkpoint metadata: what save_checkpoint writes for a small model
do
  local d = dir("checkpoint")
  local model = mien.nn.Linear(3, 2)
  local optimizer = mien.optim.Adam(model:parameters(), { lr = 1e-3 })
  local schedule = mien.optim.StepLR(optimizer, { step_size = 2 })
  local loss = model(mien.randn { 4, 3 }):sum()
  loss:backward()
  optimizer:step()
  schedule:step()
  ckpt.save_checkpoint(tmp .. "/c.ckpt", { model = model, optimizer = optimizer, schedule = schedule, epoch = 1,
    step = 1, history = { { epoch = 1, train_loss = 0.5 } }, extra = { best = 0.5, best_epoch = 1, since_best = 0 } })
  local _, meta = core.safetensors_load(tmp .. "/c.ckpt")
  write(d .. "adam_steplr.json", meta[ckpt.METADATA_KEY])
  write(d .. "model_only.json", '{"epoch":3,"format":1,"history":[],"step":30}')
end

-- sweep files: the first byte picks sweep.json (0), a trial record (1) or a task file (2)
do
  local d = dir("sweep")
  local space = require "mien.sweep.space"
  local sp = space.new { lr = space.constructors.log_uniform(1e-4, 1e-1), depth = space.constructors.choice { 1, 2, 3 } }
  write(d .. "sweep_json", "\0" .. json.encode { method = "random", objective = "acc", mode = "max", seed = 1,
    seeds = { 1 }, space = sp:describe() })
  write(d .. "trial_record", "\1" .. json.encode { id = "0001", index = 1, status = "ok", config = { lr = 0.01, depth = 2 },
    objective = 0.5, metrics = { acc = 0.5 }, runs = { { seed = 1, result = { acc = 0.5 } } }, seconds = 1 })
  write(d .. "task_file", "\2" .. json.encode { dir = "SWEEP_DIR", index = 1, id = "0001", config = { lr = 0.01, depth = 2 } })
end

os.execute("rm -rf " .. tmp)
print("seed corpora written under " .. root)
