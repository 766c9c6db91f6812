-- Hostile inputs, one class of failure each, on files made here: sizes that
-- overflow, JPEG Huffman tables that would overrun stb_image's tables,
-- decode bombs, truncated images, and paths that leave their folder; plus
-- the smaller defects of issue 13. Each must be a clear error naming the
-- problem (and the file), never a crash or a silent wrong answer.
local mien = require "mien"
local core = require "mien.core"
local data = require "mien.data"
local tfjs = require "mien.tfjs"
local fs = require "mien.util.fs"
local H = require "spec.support.helpers"

local ROOT = H.tmpdir()
teardown(function() H.remove_dir(ROOT) end)
local dirs = 0
local function tmpdir()
  dirs = dirs + 1
  local p = ROOT .. "/" .. dirs
  H.mkdir(p)
  return p
end

-- error(...) of f(...) as a string; fails when f succeeds
local function err_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end
local function has(s, ...)
  for _, part in ipairs { ... } do assert.truthy(s:find(part, 1, true), "'" .. part .. "' not in: " .. s) end
end

-- A safetensors file from a header table and raw data.
local function safetensors(path, header_json, bytes)
  H.write_file(path, string.pack("<I8", #header_json) .. header_json .. (bytes or ""))
  return path
end

local function grey(h, w)
  local rows = {}
  for y = 1, h do
    rows[y] = {}
    for x = 1, w do rows[y][x] = { (x * 17 + y * 5) % 256 } end
  end
  return mien.tensor(rows, { dtype = "uint8" })
end

describe("sizes that overflow", function()
  it("tensor constructors refuse shape products past 64 bits before allocating", function()
    has(err_of(mien.zeros, { 1 << 40, 1 << 40 }), "new tensor", "[1099511627776,1099511627776]", "overflows")
    has(err_of(mien.zeros, { (1 << 61) + 1, 8 }, { dtype = "uint8" }), "too many elements")
    has(err_of(mien.ones, { 1 << 62, 4 }, { dtype = "float64" }), "overflows")
  end)

  it("byte counts that overflow are refused even when the element count fits", function()
    has(err_of(mien.zeros, { 1 << 61 }, { dtype = "float64" }), "overflow a 64-bit byte count")
  end)

  it("views refuse products that overflow", function()
    has(err_of(function() return mien.zeros { 1 }:expand(1 << 40, 1 << 40) end), "expand", "overflows")
    has(err_of(function() return mien.zeros { 0 }:view(-1, 1 << 40, 1 << 40) end), "cannot reshape")
  end)

  it("arange with more values than fit is an error about the count, not a negative size", function()
    local e = err_of(mien.arange, 0, 1e300)
    has(e, "arange", "do not fit")
    assert.falsy(e:find("negative", 1, true))
  end)

  it("bytes_decode refuses an overflowing shape", function()
    has(err_of(core.bytes_decode, string.rep("\0", 16), 0, { 4294967296, 4294967296 }, "float32"), "bytes_decode",
      "overflows")
  end)

  it("a TF.js manifest whose shape overflows is an error naming the manifest and the weight", function()
    local dir = tmpdir()
    H.write_file(dir .. "/group1-shard1of1.bin", string.rep("\0", 64))
    local path = dir .. "/big-weights_manifest.json"
    H.write_file(path, '[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"w","shape":[4294967296,4294967296],'
      .. '"dtype":"float32"}]}]')
    has(err_of(tfjs.load, path), path, "weight 'w'", "too many elements")
  end)

  it("a safetensors header whose shape overflows is an error naming the file", function()
    local path = safetensors(tmpdir() .. "/big.safetensors",
      '{"t":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}')
    has(err_of(core.safetensors_load, path), path, "'t'", "too large")
  end)
end)

-- A baseline JPEG written by mien, and its bytes with `segment` inserted right after SOI.
local function jpeg_with(dir, segment)
  local path = dir .. "/base.jpg"
  mien.image.write(path, grey(16, 16))
  local bytes = H.read_file(path)
  return bytes:sub(1, 2) .. segment .. bytes:sub(3)
end

-- A DHT segment with the given code counts per length 1..16 (symbols 0, 1, ...).
local function dht(class_id, counts)
  local total = 0
  for _, c in ipairs(counts) do total = total + c end
  local body = string.char(class_id) .. string.char(table.unpack(counts))
  for i = 0, total - 1 do body = body .. string.char(i % 256) end
  return "\255\196" .. string.pack(">I2", #body + 2) .. body
end

describe("JPEG Huffman tables", function()
  local counts = {}
  for i = 1, 16 do counts[i] = 0 end

  it("more than 256 codes in a table is refused before stb_image builds it", function()
    local c = { table.unpack(counts) }
    c[15], c[16] = 2, 255 -- 257 codes, a valid prefix code otherwise
    local dir = tmpdir()
    local path = dir .. "/dht257.jpg"
    H.write_file(path, jpeg_with(dir, dht(0x00, c)))
    has(err_of(mien.image.load, path), path, "Huffman table", "257 codes (at most 256)")
  end)

  it("code counts that no prefix code can have are refused", function()
    local c = { table.unpack(counts) }
    c[1] = 3 -- three codes of one bit
    local dir = tmpdir()
    local path = dir .. "/kraft.jpg"
    H.write_file(path, jpeg_with(dir, dht(0x10, c)))
    has(err_of(mien.image.load, path), path, "more than a prefix code allows")
  end)

  it("also behind fill bytes before the start-of-image marker, as stb_image accepts", function()
    local c = { table.unpack(counts) }
    c[15], c[16] = 2, 255
    local dir = tmpdir()
    local path = dir .. "/fill.jpg"
    H.write_file(path, "\255\255\255" .. jpeg_with(dir, dht(0x01, c)))
    has(err_of(mien.image.load, path), "257 codes")
  end)

  it("a scan that uses a table never defined is refused (stb would index with garbage)", function()
    local dir = tmpdir()
    local bytes = jpeg_with(dir, "")
    local sos = bytes:find("\255\218", 1, true)
    local ns = bytes:byte(sos + 4)
    local patched = bytes:sub(1, sos + 5) .. "\51" .. bytes:sub(sos + 7) -- first component: DC 3, AC 3
    assert.is_true(ns >= 1)
    local path = dir .. "/undefined.jpg"
    H.write_file(path, patched)
    has(err_of(mien.image.load, path), path, "uses Huffman table DC 3, which is not defined")
  end)

  it("a table class or id out of range is refused", function()
    local dir = tmpdir()
    local path = dir .. "/class.jpg"
    H.write_file(path, jpeg_with(dir, dht(0x24, { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })))
    has(err_of(mien.image.load, path), "class 2 and id 4")
  end)
end)

-- A PNG whose IHDR claims w x h 8-bit grey, with a tiny IDAT and IEND (CRCs are not checked by stb).
local function png_claiming(w, h)
  local function chunk(kind, body) return string.pack(">I4", #body) .. kind .. body .. "\0\0\0\0" end
  return "\137PNG\r\n\26\n" .. chunk("IHDR", string.pack(">I4I4BBBBB", w, h, 8, 0, 0, 0, 0))
    .. chunk("IDAT", "\120\156\237\193\1\1\0\0\0\128\144\254\175\238\8\10") .. chunk("IEND", "")
end

-- A JPEG of 21 bytes: SOI, a frame header claiming w x h, EOI.
local function jpeg_claiming(w, h)
  return "\255\216\255\192\0\11\8" .. string.pack(">I2I2", h, w) .. "\1\1\17\0\255\217"
end

describe("decode bombs", function()
  it("a tiny JPEG claiming 30000x30000 is refused by the pixel limit, naming the file", function()
    local path = tmpdir() .. "/bomb.jpg"
    H.write_file(path, jpeg_claiming(30000, 30000))
    has(err_of(mien.image.load, path), path, "30000x30000", "limit of 64000000", "set_max_pixels")
  end)

  it("a 72-byte PNG claiming 30000x30000 is refused before stb allocates", function()
    local path = tmpdir() .. "/bomb.png"
    H.write_file(path, png_claiming(30000, 30000))
    has(err_of(mien.image.load, path), path, "more than the limit")
  end)

  it("under the pixel limit, a claim the file's size cannot encode is refused", function()
    local path = tmpdir() .. "/ratio.png"
    H.write_file(path, png_claiming(7000, 7000))
    has(err_of(mien.image.load, path), path, "cannot encode that many", "decode bomb")
    local jpg = tmpdir() .. "/ratio.jpg"
    H.write_file(jpg, jpeg_claiming(7000, 7000))
    has(err_of(mien.image.load, jpg), "cannot encode that many")
  end)

  it("the limit is settable and applies to every decode", function()
    local path = tmpdir() .. "/small.png"
    mien.image.write(path, grey(20, 30))
    local old = mien.image.set_max_pixels(599)
    local ok, err = pcall(mien.image.load, path)
    assert.are.equal(599, mien.image.set_max_pixels(old))
    assert.is_false(ok)
    has(tostring(err), "30x20 (width x height)", "limit of 599")
    assert.are.equal(64000000, mien.image.max_pixels())
    assert.are.same({ 20, 30, 1 }, mien.image.load(path):shape())
    has(err_of(mien.image.set_max_pixels, 0), "positive")
  end)

  it("image_folder does not count a bomb as an image: an error naming it, or skipped and said so", function()
    local dir = tmpdir()
    H.mkdir(dir .. "/happy")
    mien.image.write(dir .. "/happy/ok.png", grey(8, 8))
    H.write_file(dir .. "/happy/bomb.jpg", jpeg_claiming(30000, 30000))
    has(err_of(data.image_folder, dir, { size = 8 }), "bomb.jpg", "limit")
    local ds = data.image_folder(dir, { size = 8, skip_bad = true, quiet = true })
    assert.are.equal(1, #ds)
    assert.are.equal(1, ds.skipped)
    has(ds.skipped_files[1], "bomb.jpg")
  end)
end)

describe("truncated images", function()
  local function cut(name, img, keep)
    local dir = tmpdir()
    local full = dir .. "/full_" .. name
    mien.image.write(full, img)
    local bytes = H.read_file(full)
    local path = dir .. "/" .. name
    H.write_file(path, bytes:sub(1, keep(#bytes)))
    return path
  end

  it("a JPEG cut short is an error, not an image padded with grey", function()
    local path = cut("half.jpg", grey(32, 32), function(n) return n // 2 end)
    has(err_of(mien.image.load, path), path, "truncated JPEG")
  end)

  it("a PNG without its IEND is an error", function()
    local path = cut("cut.png", grey(32, 32), function(n) return n - 12 end)
    has(err_of(mien.image.load, path), path, "truncated PNG")
  end)

  it("a BMP shorter than its rows is an error", function()
    local path = cut("cut.bmp", grey(32, 32), function(n) return n - 40 end)
    has(err_of(mien.image.load, path), path, "truncated BMP")
  end)

  it("a PGM shorter than its samples is an error", function()
    local path = tmpdir() .. "/cut.pgm"
    H.write_file(path, "P5\n16 16\n255\n" .. string.rep("\1", 200))
    has(err_of(mien.image.load, path), path, "truncated PNM")
  end)
end)

describe("paths that leave their folder", function()
  it("fs.inside names the path and the folder, and allow_outside lets it through", function()
    has(err_of(fs.inside, "/data/set", "../../etc/passwd", { what = "labels.csv line 2" }), "labels.csv line 2",
      "'../../etc/passwd'", "'/data/set'", "allow_outside")
    has(err_of(fs.inside, "/data/set", "/etc/passwd"), "is absolute")
    assert.are.equal("/data/set/a/../b.png", fs.inside("/data/set", "a/../b.png"))
    assert.are.equal("/data/set/../x.png", fs.inside("/data/set", "../x.png", { allow_outside = true }))
    assert.are.equal("/etc/x.png", fs.inside("/data/set", "/etc/x.png", { allow_outside = true }))
  end)

  it("a symbolic link inside the folder that points outside is refused", function()
    local dir, outside = tmpdir(), tmpdir()
    mien.image.write(outside .. "/secret.png", grey(4, 4))
    assert(os.execute(string.format("ln -s %s %s", H.shell_quote(outside), H.shell_quote(dir .. "/link"))))
    has(err_of(fs.inside, dir, "link/secret.png"), "escapes its folder", "resolves to")
  end)

  it("a TF.js manifest shard path ../../../../etc/hostname is refused", function()
    local dir = tmpdir()
    local path = dir .. "/evil-weights_manifest.json"
    H.write_file(path, '[{"paths":["../../../../etc/hostname"],"weights":[{"name":"w","shape":[1],"dtype":"uint8"}]}]')
    has(err_of(tfjs.load, path), path, "'../../../../etc/hostname'", "escapes its folder '" .. dir .. "'")
  end)

  it("allow_outside reads a shard next to the manifest's folder", function()
    local root = tmpdir()
    H.mkdir(root .. "/models")
    H.write_file(root .. "/shared.bin", string.pack("<ff", 1.5, -2))
    local path = root .. "/models/m-weights_manifest.json"
    H.write_file(path, '[{"paths":["../shared.bin"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}]')
    has(err_of(tfjs.load, path), "escapes its folder")
    assert.are.same({ 1.5, -2 }, tfjs.load(path, { allow_outside = true }).w:totable())
  end)

  it("a labels.csv path ../outside.png is refused, naming the line, the path and the folder", function()
    local root = tmpdir()
    H.mkdir(root .. "/set")
    mien.image.write(root .. "/outside.png", grey(4, 4))
    mien.image.write(root .. "/set/in.png", grey(4, 4))
    H.write_file(root .. "/set/labels.csv", "path,label\nin.png,a\n../outside.png,b\n")
    has(err_of(data.manifest, root .. "/set/labels.csv"), "line 3", "'../outside.png'", "'" .. root .. "/set'")
    assert.are.equal(2, #data.manifest(root .. "/set/labels.csv", { allow_outside = true }))
  end)

  it("a sweep worker's task file cannot point its result outside the sweep", function()
    local store = require "mien.sweep.store"
    local dir = tmpdir()
    H.mkdir(dir .. "/trials")
    local task = dir .. "/trials/0001.task.json"
    H.write_file(task, string.format('{"dir":"%s","index":1,"id":"../../../tmp/x","config":{}}', dir))
    has(err_of(store.read_task, task, dir), task, "names trial '../../../tmp/x'")
    H.write_file(task, string.format('{"dir":"%s","index":1,"id":"0001","config":{}}', dir))
    assert.are.equal("0001", store.read_task(task, dir).id)
  end)
end)

describe("the smaller defects", function()
  it("a safetensors tensor with more than 8 dims is an error naming the file and the tensor", function()
    local path = safetensors(tmpdir() .. "/nine.safetensors",
      '{"t":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}', "\0\0\0\0")
    has(err_of(core.safetensors_load, path), path, "'t'", "9 dims", "at most 8")
  end)

  it("a U64 value past int64 is an error, not -1", function()
    local path = safetensors(tmpdir() .. "/u64.safetensors",
      '{"u":{"dtype":"U64","shape":[2],"data_offsets":[0,16]}}', string.pack("<I8I8", 7, -1))
    has(err_of(core.safetensors_load, path), path, "'u'", "element 2", "18446744073709551615")
    local ok_path = safetensors(tmpdir() .. "/u64ok.safetensors",
      '{"u":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}', string.pack("<i8", 1 << 53))
    assert.are.same({ 1 << 53 }, core.safetensors_load(ok_path).u:totable())
  end)

  it("checkpoint metadata that is not JSON, or not shaped as one, is an error naming the file", function()
    local dir = tmpdir()
    local ckpt = require "mien.io.checkpoint"
    core.safetensors_save(dir .. "/a.ckpt", {}, { [ckpt.METADATA_KEY] = "{not json" })
    has(err_of(mien.io.load_checkpoint, dir .. "/a.ckpt"), dir .. "/a.ckpt", "is not JSON")
    core.safetensors_save(dir .. "/b.ckpt", {}, { [ckpt.METADATA_KEY] = '{"epoch":"three"}' })
    has(err_of(mien.io.load_checkpoint, dir .. "/b.ckpt"), dir .. "/b.ckpt", "'epoch'")
    core.safetensors_save(dir .. "/c.ckpt", {}, { [ckpt.METADATA_KEY] = '{"optimizer":{"param_groups":[{"lr":[]}]}}' })
    has(err_of(mien.io.load_checkpoint, dir .. "/c.ckpt"), "optimizer.param_groups[1]")
  end)

  it("a garbage sweep.json is an error naming it", function()
    local store = require "mien.sweep.store"
    local dir = tmpdir()
    H.write_file(dir .. "/sweep.json", "\0\1garbage")
    has(err_of(store.prepare, dir, { method = "grid" }), dir .. "/sweep.json", "not a sweep description")
  end)

  it("a finished trial's record with a field of the wrong type is an error naming the file and field", function()
    local store = require "mien.sweep.store"
    local space = require "mien.sweep.space"
    local sp = space.new { lr = space.constructors.log_uniform(1e-4, 1e-1) }
    local dir = tmpdir()
    H.mkdir(dir .. "/trials")
    local path = store.trial_path(dir, "0001")
    local function record(fields)
      H.write_file(path, '{"id":"0001","index":1,"status":"ok","config":{"lr":0.01},"runs":[]' .. fields .. '}')
      return err_of(store.load, dir, 1, sp)
    end
    has(record(',"objective":"high"'), path, "objective is not a number", "delete the file")
    has(record(',"objective":0.5,"metrics":[0.5]'), path, "metrics is not an object of named values")
    has(record(',"objective":0.5,"seconds":"3"'), path, "seconds is not a number")
    H.write_file(path, '{"id":"0001","status":"ok","config":{"lr":0.01},"runs":[],"objective":0.5}')
    assert.are.equal(0.5, store.load(dir, 1, sp)[1].objective)
  end)

  it("a Slurm sweep's jobs.json that is not a list of jobs is an error naming it", function()
    local slurm = require "mien.sweep.slurm"
    local dir = tmpdir()
    local path = dir .. "/jobs.json"
    H.write_file(path, '[{"job":"1; rm -rf ~","tasks":[]}]')
    has(err_of(slurm.read_jobs, path), path, "job 1 has no numeric job id")
    H.write_file(path, '[{"job":42,"tasks":[{"array":0,"index":"1","id":"0001","config":{}}]}]')
    has(err_of(slurm.read_jobs, path), "job 42 lists a task without array, index, id and config")
    H.write_file(path, '[{"job":42,"tasks":[{"array":0,"index":1,"id":"0001","config":{}}]}]')
    assert.are.equal("42", slurm.read_jobs(path)[1].job)
    assert.are.same({}, slurm.read_jobs(dir .. "/none.json"))
  end)

  it("a TF.js shape that is not a list of sizes is an error, not a scalar", function()
    local dir = tmpdir()
    H.write_file(dir .. "/s.bin", string.rep("\0", 24))
    local path = dir .. "/s-weights_manifest.json"
    H.write_file(path, '[{"paths":["s.bin"],"weights":[{"name":"w","shape":"2x3","dtype":"float32"}]}]')
    has(err_of(tfjs.load, path), path, "weight 'w'", "shape must be a list")
    H.write_file(path, '[{"paths":["s.bin"],"weights":[{"name":"w","shape":[2,-3],"dtype":"float32"}]}]')
    has(err_of(tfjs.load, path), "shape[2] = -3")
  end)

  it("a graph with an unknown node or none is an error, not an empty graph", function()
    local dir = tmpdir()
    local path = dir .. "/model.json"
    H.write_file(path, '{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Placeholder"}]},'
      .. '"signature":{"outputs":{"y":{"name":"nowhere:0"}}}}')
    has(err_of(tfjs.load, path), path, "'nowhere'", "not a node")
    H.write_file(path, '{"format":"graph-model","modelTopology":{"node":{}}}')
    has(err_of(tfjs.load, path), path, "not a non-empty list of nodes")
    H.write_file(path, '{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Placeholder"},'
      .. '{"name":"y","op":"NoSuchOp","input":["x"]}]}}')
    has(err_of(tfjs.load, path), "unsupported ops: NoSuchOp (y)")
  end)

  it("a graph node or signature of the wrong JSON type is an error naming the node and field", function()
    local dir = tmpdir()
    local path = dir .. "/model.json"
    local function graph(y, extra)
      H.write_file(path, '{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Placeholder"},'
        .. y .. ']}' .. (extra or "") .. '}')
      return err_of(tfjs.load, path)
    end
    has(graph('{"name":"y","op":"Relu","input":[true]}'), path, "node 'y'", "an input is not a node name")
    has(graph('{"name":"y","op":"Relu","input":["x"],"attr":7}'), "node 'y'", "attr is not an object")
    has(graph('{"name":"y","op":"Relu","input":["x"],"attr":{"T":3}}'), "node 'y'", "attribute 'T' is not an object")
    has(graph('{"name":"y","op":"MaxPool","input":["x"],"attr":{"padding":{"s":5}}}'), path, "node 'y'",
      "attribute 'padding' is not a base64 string")
    has(graph('{"name":"y","op":"MaxPool","input":["x"],"attr":{"strides":{"list":{"i":["1",{}]}}}}'),
      "attribute 'strides' is not an integer")
    has(graph('{"name":"y","op":"MaxPool","input":["x"],"attr":{"ksize":{"list":3}}}'), "attribute 'ksize' is not a list")
    has(graph('{"name":"y","op":"MatMul","input":["x","x"],"attr":{"transpose_b":{"b":"yes"}}}'),
      "attribute 'transpose_b' is not a boolean")
    has(graph('{"name":"y","op":"Relu","input":["x"]}', ',"signature":{"outputs":{"y":{"name":true}}}'),
      "an output of the signature has no node name")
    has(graph('{"name":"y","op":"Relu","input":["x"]}', ',"signature":{"outputs":5}'),
      "signature is not an object with an outputs object")
  end)

  it("a FER CSV with only a header is an error, plain or gzip", function()
    local dir = tmpdir()
    H.write_file(dir .. "/h.csv", "emotion,pixels,Usage\n")
    has(err_of(data.fer2013_csv, dir .. "/h.csv"), dir .. "/h.csv", "no rows after the header")
    assert(os.execute("gzip -c " .. H.shell_quote(dir .. "/h.csv") .. " > " .. H.shell_quote(dir .. "/h.csv.gz")))
    has(err_of(data.fer2013_csv, dir .. "/h.csv.gz"), "no rows after the header")
  end)

  it("manifest and batch errors count images from 1", function()
    local dir = tmpdir()
    mien.image.write(dir .. "/a.png", grey(4, 4))
    H.write_file(dir .. "/b.png", "not an image")
    H.write_file(dir .. "/labels.csv", "path,label\na.png,x\nb.png,y\n")
    has(err_of(data.manifest, dir .. "/labels.csv", { size = 4 }), "image 2 of 2", "b.png")
  end)
end)
