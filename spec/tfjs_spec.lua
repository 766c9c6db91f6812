-- mien.tfjs: byte decoding (tfjs dequantisation), weights manifests and the
-- graph-model importer. Small synthetic files check layouts, TF padding and
-- TF axis/flatten order against a naive NHWC implementation written here;
-- the real graph models (../shared/weights/human-models) are checked against
-- the reference fixtures in ../shared/reference (skipped without ../shared).
local mien = require "mien"
local H = require "spec.support.helpers"
local core = require "mien.core"
local tfjs = require "mien.tfjs"
local cjson = require "cjson"





local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end


local function max_abs(a, b)
  return (a:double() - b:double()):abs():max():item()
end

local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chars = {}
    for k = 3, 0, -1 do chars[#chars + 1] = b64:sub(((n >> (6 * k)) & 63) + 1, ((n >> (6 * k)) & 63) + 1) end
    if not b then chars[3], chars[4] = "=", "=" elseif not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

describe("tfjs byte decoding", function()
  it("reads float32, int32 and float16 little-endian data at an offset", function()
    local s = "xx" .. string.pack("<ffi4i4", 1.5, -2.25, 7, -3)
    local t, nxt = core.bytes_decode(s, 2, { 2 }, "float32")
    assert.are.same({ 1.5, -2.25 }, H.flat(t))
    assert.are.equal(10, nxt)
    local i = core.bytes_decode(s, 10, { 2 }, "int32")
    assert.are.equal("int64", i:dtype())
    assert.are.same({ 7, -3 }, H.flat(i))
    -- halves: 1, -2, 65504, smallest subnormal, inf, 0.1 (rounded)
    local h = string.pack("<I2I2I2I2I2I2", 0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x2e66)
    local v = H.flat(core.bytes_decode(h, 0, { 6 }, "float16"))
    assert.are.same({ 1, -2, 65504, 2 ^ -24, math.huge }, { v[1], v[2], v[3], v[4], v[5] })
    assert.are.equal(f32(0.0999755859375), v[6])
  end)

  it("dequantises uint8 as float32(q*scale + min) computed in double, like tfjs", function()
    local scale, min = 0.0005260649557207145, -0.07101876902229645
    local q = { 0, 1, 17, 128, 254, 255 }
    local t = core.bytes_decode(string.char(table.unpack(q)), 0, { 2, 3 }, "uint8", { scale = scale, min = min })
    assert.are.same({ 2, 3 }, t:shape())
    local got = H.flat(t)
    for k, v in ipairs(q) do assert.are.equal(f32(v * scale + min), got[k]) end
    local u16 = core.bytes_decode(string.pack("<I2I2", 0, 65535), 0, { 2 }, "uint16", { scale = 0.5, min = -1 })
    assert.are.same({ -1, f32(65535 * 0.5 - 1) }, H.flat(u16))
  end)

  it("round-trips through bytes_encode and names short data", function()
    local x = mien.tensor({ { 1, -0.5 }, { 3.25, 1e-3 } })
    local s = core.bytes_encode(x, "float32")
    assert.are.equal(16, #s)
    assert.are.same(H.flat(x), H.flat(core.bytes_decode(s, 0, { 2, 2 }, "float32")))
    local h = core.bytes_encode(mien.tensor({ 1, 0.1, 70000, -2 ^ -24 }), "float16")
    assert.are.same({ 1, f32(0.0999755859375), math.huge, -2 ^ -24 }, H.flat(core.bytes_decode(h, 0, { 4 }, "float16")))
    assert.has_error(function() core.bytes_decode(s, 8, { 3 }, "float32") end,
      "bytes_decode: 3 values of float32 at byte 8 need 12 bytes, but the data has 16")
  end)
end)

-- ---------------------------------------------------------------- manifests

local function manifest_fixture()
  local dir = H.tmpdir()
  mien.manual_seed(3)
  local conv = mien.randn({ 3, 2, 4, 5 })   -- HWIO
  local dw = mien.randn({ 3, 3, 4, 2 })     -- HWCM
  local dense = mien.randn({ 6, 3 })        -- [in,out]
  local bias = mien.randn({ 5 })
  local q = string.char(0, 10, 200, 255)
  local data1 = core.bytes_encode(conv, "float32") .. core.bytes_encode(dw, "float16")
  local data2 = core.bytes_encode(dense, "float32")
  H.write_file(dir .. "/m.bin", data1:sub(1, 100))
  H.write_file(dir .. "/m2.bin", data1:sub(101))
  H.write_file(dir .. "/n.bin", data2 .. core.bytes_encode(bias, "float32") .. q)
  local manifest = {
    { paths = { "m.bin", "m2.bin" }, weights = {
      { name = "layer/conv/filters", shape = { 3, 2, 4, 5 }, dtype = "float32" },
      { name = "layer/sep/depthwise_filter", shape = { 3, 3, 4, 2 }, dtype = "float32",
        quantization = { dtype = "float16", original_dtype = "float32" } },
    } },
    { paths = { "n.bin" }, weights = {
      { name = "fc/weights", shape = { 6, 3 }, dtype = "float32" },
      { name = "layer/conv/bias", shape = { 5 }, dtype = "float32" },
      { name = "q", shape = { 4 }, dtype = "float32", quantization = { dtype = "uint8", scale = 0.25, min = -1 } },
    } },
  }
  H.write_file(dir .. "/m-weights_manifest.json", cjson.encode(manifest))
  return dir, { conv = conv, dw = dw, dense = dense, bias = bias }
end

describe("tfjs weights manifests", function()
  it("loads shards in order into mien layouts (OIHW, [C*M,1,H,W], dense [in,out])", function()
    local dir, src = manifest_fixture()
    local w = tfjs.load(dir .. "/m-weights_manifest.json")
    assert.are.same({ 5, 4, 3, 2 }, w["layer/conv/filters"]:shape())
    assert.are.equal(0, max_abs(w["layer/conv/filters"], src.conv:permute(4, 3, 1, 2)))
    -- depthwise: output channel c*M + m holds filter [:, :, c, m]
    local d = w["layer/sep/depthwise_filter"]
    assert.are.same({ 8, 1, 3, 3 }, d:shape())
    local h = (core.bytes_decode(core.bytes_encode(src.dw, "float16"), 0, { 3, 3, 4, 2 }, "float16"))
    for c = 1, 4 do
      for m = 1, 2 do
        assert.are.equal(0, max_abs(d[(c - 1) * 2 + m][1], h:select(3, c):select(3, m)))
      end
    end
    assert.are.equal(0, max_abs(w["fc/weights"], src.dense))
    assert.are.equal(0, max_abs(w["layer/conv/bias"], src.bias))
    assert.are.same({ -1, 1.5, 49, 62.75 }, H.flat(w.q))
    local out_in = tfjs.load(dir .. "/m-weights_manifest.json", { dense = "out_in" })
    assert.are.equal(0, max_abs(out_in["fc/weights"], src.dense:t()))
    local raw = tfjs.load(dir .. "/m-weights_manifest.json", { layout = "tf" })
    assert.are.same({ 3, 2, 4, 5 }, raw["layer/conv/filters"]:shape())
  end)

  it("names the tensor whose bytes are missing", function()
    local dir = manifest_fixture()
    H.write_file(dir .. "/n.bin", string.rep("\0", 40))
    local ok, err = pcall(tfjs.load, dir .. "/m-weights_manifest.json")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("fc/weights", 1, true) or tostring(err):find("layer/conv/bias", 1, true))
    os.remove(dir .. "/m2.bin")
    ok, err = pcall(tfjs.load, dir .. "/m-weights_manifest.json")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("m2.bin", 1, true))
  end)
end)

-- ------------------------------------------------------------ graph models

-- A naive NHWC reference (nested tables), independent of mien's ops.
local function conv_ref(x, w, stride, pads) -- x [N][H][W][C], w [kh][kw][ci][co] (TF), pads {t,b,l,r}
  local N, H, W, C = #x, #x[1], #x[1][1], #x[1][1][1]
  local kh, kw, co = #w, #w[1], #w[1][1][1]
  local oh = (H + pads[1] + pads[2] - kh) // stride + 1
  local ow = (W + pads[3] + pads[4] - kw) // stride + 1
  local y = {}
  for n = 1, N do
    y[n] = {}
    for i = 1, oh do
      y[n][i] = {}
      for j = 1, ow do
        local acc = {}
        for o = 1, co do acc[o] = 0 end
        for a = 1, kh do
          for b = 1, kw do
            local r, c = (i - 1) * stride + a - pads[1], (j - 1) * stride + b - pads[3]
            if r >= 1 and r <= H and c >= 1 and c <= W then
              for ci = 1, C do
                local v = x[n][r][c][ci]
                for o = 1, co do acc[o] = acc[o] + v * w[a][b][ci][o] end
              end
            end
          end
        end
        y[n][i][j] = acc
      end
    end
  end
  return y
end

local function avgpool_same_ref(x, k, s) -- TF AvgPool 'SAME': mean over the cells inside
  local N, H, W, C = #x, #x[1], #x[1][1], #x[1][1][1]
  local oh, ow = (H + s - 1) // s, (W + s - 1) // s
  local pt = math.max((oh - 1) * s + k - H, 0) // 2
  local pl = math.max((ow - 1) * s + k - W, 0) // 2
  local y = {}
  for n = 1, N do
    y[n] = {}
    for i = 1, oh do
      y[n][i] = {}
      for j = 1, ow do
        local acc, cnt = {}, 0
        for c = 1, C do acc[c] = 0 end
        for a = 1, k do
          for b = 1, k do
            local r, q = (i - 1) * s + a - pt, (j - 1) * s + b - pl
            if r >= 1 and r <= H and q >= 1 and q <= W then
              cnt = cnt + 1
              for c = 1, C do acc[c] = acc[c] + x[n][r][q][c] end
            end
          end
        end
        for c = 1, C do acc[c] = acc[c] / cnt end
        y[n][i][j] = acc
      end
    end
  end
  return y
end

local function graph_fixture(nodes, weights, dir)
  local data, entries = {}, {}
  for _, w in ipairs(weights) do
    data[#data + 1] = core.bytes_encode(w[2], w[3] or "float32")
    entries[#entries + 1] = { name = w[1], shape = w[2]:shape(), dtype = w[3] or "float32" }
  end
  H.write_file(dir .. "/g.bin", table.concat(data))
  local model = { format = "graph-model", modelTopology = { node = nodes },
    weightsManifest = { { paths = { "g.bin" }, weights = entries } } }
  H.write_file(dir .. "/g.json", cjson.encode(model))
  return dir .. "/g.json"
end

local function node(name, op, inputs, attr) return { name = name, op = op, input = inputs, attr = attr or {} } end
local function ints(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = tostring(v) end
  return { list = { i = s } }
end
local function str(s) return { s = base64(s) } end
local function const(name) return node(name, "Const", nil, { dtype = { type = "DT_FLOAT" } }) end

describe("tfjs graph models (synthetic)", function()
  local dir = H.tmpdir()
  mien.manual_seed(11)
  local x = mien.randn({ 2, 6, 7, 3 }) -- NHWC, odd width
  local w1 = mien.randn({ 3, 3, 3, 4 })
  local b1 = mien.randn({ 4 })
  local dw = mien.randn({ 3, 3, 4, 1 })
  local fcw = mien.randn({ 4 * 2 * 2, 5 })
  local path = graph_fixture({
    node("input", "Placeholder", nil, { dtype = { type = "DT_FLOAT" } }),
    const("w1"), const("b1"), const("dw"), const("fc"), const("alpha"),
    node("shape", "Const", nil, { dtype = { type = "DT_INT32" } }),
    node("paddings", "Const", nil, { dtype = { type = "DT_INT32" } }),
    node("axes", "Const", nil, { dtype = { type = "DT_INT32" } }),
    node("axis", "Const", nil, { dtype = { type = "DT_INT32" } }),
    node("conv", "_FusedConv2D", { "input", "w1", "b1" }, { fused_ops = { list = { s = { base64("BiasAdd"),
      base64("Relu") } } }, strides = ints { 1, 2, 2, 1 }, padding = str "SAME", data_format = str "NHWC",
      dilations = ints { 1, 1, 1, 1 }, num_args = { i = "1" } }),
    node("dwconv", "DepthwiseConv2dNative", { "conv", "dw" }, { strides = ints { 1, 1, 1, 1 }, padding = str "SAME",
      data_format = str "NHWC", dilations = ints { 1, 1, 1, 1 } }),
    node("prelu", "Prelu", { "dwconv", "alpha" }),
    node("pool", "AvgPool", { "prelu" }, { ksize = ints { 1, 3, 3, 1 }, strides = ints { 1, 2, 2, 1 },
      padding = str "SAME", data_format = str "NHWC" }),
    node("padded", "Pad", { "pool", "paddings" }),
    node("flat", "Reshape", { "pool", "shape" }),
    node("logits", "MatMul", { "flat", "fc" }, { transpose_a = { b = false }, transpose_b = { b = false } }),
    node("probs", "Softmax", { "logits" }),
    node("wmean", "Mean", { "pool", "axes" }, { keep_dims = { b = false } }),
    node("cat", "ConcatV2", { "pool", "pool", "axis" }, { N = { i = "2" } }),
  }, {
    { "w1", w1 }, { "b1", b1 }, { "dw", dw }, { "fc", fcw }, { "alpha", mien.tensor({ 0.1, 0.2, 0.3, 0.4 }) },
    { "shape", mien.tensor({ -1, 16 }), "int32" }, { "paddings", mien.tensor({ 0, 0, 1, 0, 0, 2, 0, 1 }), "int32" },
    { "axes", mien.tensor({ 2 }), "int32" }, { "axis", mien.tensor({ -1 }), "int32" },
  }, dir)
  -- the reference in NHWC tables, in float64
  local conv = conv_ref(x:double():totable(), w1:double():totable(), 2, { 0, 1, 1, 1 }) -- 6x7, s2: pads t0 b1 l1 r1
  local bt = b1:totable()
  for _, img in ipairs(conv) do for _, row in ipairs(img) do for _, px in ipairs(row) do
    for c = 1, 4 do px[c] = math.max(px[c] + bt[c], 0) end
  end end end
  -- depthwise as a conv with a block-diagonal filter
  local dwt = dw:double():totable()
  local full = {}
  for a = 1, 3 do
    full[a] = {}
    for b = 1, 3 do
      full[a][b] = {}
      for ci = 1, 4 do
        full[a][b][ci] = {}
        for co = 1, 4 do full[a][b][ci][co] = ci == co and dwt[a][b][ci][1] or 0 end
      end
    end
  end
  local dwo = conv_ref(conv, full, 1, { 1, 1, 1, 1 })
  for _, img in ipairs(dwo) do for _, row in ipairs(img) do for _, px in ipairs(row) do
    for c = 1, 4 do if px[c] < 0 then px[c] = px[c] * (0.1 * c) end end
  end end end
  local pool = avgpool_same_ref(dwo, 3, 2) -- [2][2][2][4]
  local pool_t = mien.tensor(pool, { dtype = "float64" })

  it("runs conv (SAME, stride 2), depthwise, Prelu and AvgPool (SAME) in TF semantics, outputs NCHW", function()
    local net = tfjs.load(path, { outputs = { "pool" } })
    assert.are.equal("TFGraphModel", net.__name)
    local y = net(x:permute(1, 4, 2, 3):contiguous())
    assert.are.same({ 2, 4, 2, 2 }, y:shape())
    assert.is_true(max_abs(y, pool_t:permute(1, 4, 2, 3)) < 1e-5)
    net.input_format = "NHWC"
    assert.is_true(max_abs(net(x), pool_t:permute(1, 4, 2, 3)) < 1e-5)
  end)

  it("flattens in TF's NHWC order for Reshape, and maps axes of Mean, Pad and ConcatV2", function()
    local net = tfjs.load(path, { outputs = { "probs", "logits", "flat", "wmean", "padded", "cat" } })
    net.input_format = "NHWC"
    local r = net:run(x, { "flat", "logits", "probs", "wmean", "padded", "cat" })
    local flat_ref = pool_t:reshape(2, 16)
    assert.is_true(max_abs(r.flat, flat_ref) < 1e-5)
    assert.is_true(max_abs(r.logits, flat_ref:matmul(fcw:double())) < 1e-4)
    assert.is_true(max_abs(r.probs, mien.F.softmax(flat_ref:matmul(fcw:double()), 2)) < 1e-5)
    assert.is_true(max_abs(r.wmean, pool_t:mean(3)) < 1e-5)              -- TF axis 2 (W) -> [N,H,C]
    assert.are.same({ 2, 5, 3, 4 }, r.padded:shape())                   -- NCHW of NHWC [2,3,4,5]
    local inner = r.padded:narrow(2, 1, 4):narrow(3, 2, 2):narrow(4, 1, 2)
    assert.is_true(max_abs(inner, pool_t:permute(1, 4, 2, 3)) < 1e-5)
    assert.are.equal(0, r.padded:select(3, 1):abs():sum():item())       -- the row added on top
    assert.are.equal(0, r.padded:select(2, 5):abs():sum():item())       -- the channel added after
    assert.are.same({ 2, 8, 2, 2 }, r.cat:shape())                       -- concat on C
  end)

  it("is differentiable, freezes, and cuts sub-graphs that share the weights", function()
    local net = tfjs.load(path, { outputs = { "logits" } })
    local names = {}
    for name in net:named_parameters() do names[#names + 1] = name end
    table.sort(names)
    assert.are.same({ "alpha", "b1", "dw", "fc", "w1" }, names)
    assert.are.same({ 4, 3, 3, 3 }, net.w1:shape())   -- OIHW
    assert.are.same({ 4, 1, 3, 3 }, net.dw:shape())
    assert.are.same({ 5, 16 }, net.fc:shape())        -- [out,in] for F.linear
    local xin = x:permute(1, 4, 2, 3):contiguous()
    net(xin):sum():backward()
    assert.truthy(net.w1.grad)
    assert.truthy(net.alpha.grad)
    local cut = net:cut("pool")
    local cut_names = {}
    for name in cut:named_parameters() do cut_names[#cut_names + 1] = name end
    table.sort(cut_names)
    assert.are.same({ "alpha", "b1", "dw", "w1" }, cut_names)
    assert.are.equal(net.w1, cut.w1)
    assert.is_true(max_abs(cut(xin), pool_t:permute(1, 4, 2, 3)) < 1e-5)
    net:freeze()
    assert.is_false(net.w1.requires_grad)
    net:unfreeze()
    assert.is_true(net.w1.requires_grad)
    assert.has_error(function() net:cut("nope") end, "cut: the graph has no node 'nope'")
  end)

  it("names a missing weight and an unsupported op", function()
    local d2 = H.tmpdir()
    local p2 = graph_fixture({
      node("input", "Placeholder"), const("w1"),
      node("conv", "Conv2D", { "input", "w1" }, { strides = ints { 1, 1, 1, 1 }, padding = str "VALID" }),
    }, {}, d2)
    local ok, err = pcall(tfjs.load, p2)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("Const 'w1'", 1, true))
    local p3 = graph_fixture({
      node("input", "Placeholder"), node("s", "StridedSlice", { "input" }),
    }, {}, d2)
    ok, err = pcall(tfjs.load, p3)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("StridedSlice (s)", 1, true))
  end)
end)

-- --------------------------------------------------------------- fixtures

describe("tfjs graph models against the reference fixtures", function()
  if not H.has_shared("reference/emotion_io.safetensors") then
    pending("../shared not found")
    return
  end
  local W = H.SHARED .. "/weights/human-models/"
  local function fixture(name) return (mien.io.load(H.SHARED .. "/reference/" .. name .. ".safetensors")) end
  local function report(model, key, err, tol)
    print(string.format("  %-14s %-24s rel L2 %.3e (tol %.0e)", model, key, err, tol))
    assert.is_true(err < tol, string.format("%s %s: %.3e >= %.0e", model, key, err, tol))
  end

  it("emotion (float32): softmax and logits", function()
    local ref = fixture("emotion_io")
    local net = tfjs.load(W .. "emotion.json")
    net.input_format = "NHWC"
    local P = "StatefulPartitionedCall/model_1/"
    local out, logits = mien.no_grad(function()
      return net:forward_outputs(ref.input, { "Identity", P .. "global_average_pooling2d_1/Mean" })
    end)
    report("emotion", "output", H.rel_rows(out, ref.output), 1e-4)
    report("emotion", "logits", H.rel_rows(logits, ref.logits), 1e-4)
  end)

  it("mobilefacenet (float32): embeddings, unnormalised and row-centred", function()
    local ref = fixture("mobilefacenet_io")
    local net = tfjs.load(W .. "mobilefacenet.json")
    assert.are.same({ "embeddings" }, net.outputs)
    local x = ref.input:permute(1, 4, 2, 3):contiguous()
    local out, un = mien.no_grad(function()
      return net:forward_outputs(x, { "embeddings", "MobileFaceNet/Logits/SpatialSqueeze" })
    end)
    report("mobilefacenet", "output", H.rel_rows(out, ref.output), 1e-4)
    report("mobilefacenet", "embedding_unnormalized", H.rel_rows(un, ref.embedding_unnormalized), 1e-4)
    local centred = un - un:mean(1, true)
    local ref_centred = ref.embedding_unnormalized - ref.embedding_unnormalized:mean(1, true)
    report("mobilefacenet", "centred", H.rel_rows(centred, ref_centred), 1e-3)
    -- the cut before the embedding gives the same unnormalised values
    local cut = net:cut("MobileFaceNet/Logits/SpatialSqueeze")
    assert.is_true(max_abs(mien.no_grad(function() return cut(x) end), un) == 0)
    local gd = net:cut("MobileFaceNet/Logits/SeparableConv2d/depthwise")
    assert.are.equal(#net:parameters() - 4, #gd:parameters()) -- two 1x1 convs (weights + biases) fewer
  end)

  it("faceres (float16): descriptor, gender and age", function()
    local ref = fixture("faceres_io")
    local net = tfjs.load(W .. "faceres.json")
    local x = ref.input:permute(1, 4, 2, 3):contiguous()
    local d, g, a = mien.no_grad(function()
      return net:forward_outputs(x, { "global_pooling/Mean", "gender_pred/Sigmoid", "age_pred/Softmax" })
    end)
    report("faceres", "output", H.rel_rows(d, ref.output), 1e-3)
    report("faceres", "gender", H.rel_rows(g, ref.gender), 1e-3)
    report("faceres", "age", H.rel_rows(a, ref.age), 1e-3)
  end)
end)
