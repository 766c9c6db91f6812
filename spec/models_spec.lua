-- mien.models: the face-api networks (written here, filled from the TF.js
-- weights manifests by tensor name) and the model zoo, checked against the
-- reference fixtures in ../shared/reference; the zoo's preprocessing against
-- the fixtures' inputs. Skipped without ../shared.
local mien = require "mien"
local H = require "spec.support.helpers"
local core = require "mien.core"
local models = require "mien.models"
local layers = require "mien.models.layers"
local dense = require "mien.models.faceapi_dense"



local function report(model, key, err, tol)
  print(string.format("  %-20s %-10s rel L2 %.3e (tol %.0e)", model, key, err, tol))
  assert.is_true(err < tol, string.format("%s %s: %.3e >= %.0e", model, key, err, tol))
end

describe("models without weights", function()
  it("lists the zoo and describes each model", function()
    local names = models.list()
    for _, n in ipairs { "mobilefacenet", "faceres", "faceapi_recognition", "faceapi_expression",
      "faceapi_landmarks68", "emotion_xception" } do
      local found = false
      for _, m in ipairs(names) do found = found or m == n end
      assert.is_true(found, n)
      local info = models.info(n)
      assert.are.equal(n, info.name)
      assert.truthy(info.input.size and info.input.channels)
    end
    assert.has_error(function() models.info("resnet9000") end)
  end)

  it("names the weights it cannot find", function()
    local ok, err = pcall(models.load, "faceapi_expression", { dir = "/nonexistent/weights" })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("/nonexistent/weights/face-api/face_expression_model-weights_manifest.json", 1, true))
  end)

  it("fills face-api nets by tensor name and names missing or mis-shaped tensors", function()
    local net = dense.build("expression")
    local tensors = {}
    for key, p in net:named_parameters() do
      local name = dense.rename(key, (key:gsub("%.", "/")))
      local t = mien.randn(p:shape())
      if t:dim() == 4 then -- back to the TF layout the manifests hold
        if name:find("depthwise") then t = t:reshape(p:size(1), 1, p:size(3), p:size(4)):permute(3, 4, 1, 2)
        else t = t:permute(3, 4, 2, 1) end
      end
      tensors[name] = t:contiguous()
    end
    layers.fill(dense.build("expression"), tensors, { rename = dense.rename })
    local saved = tensors["dense2/conv1/pointwise_filter"]
    tensors["dense2/conv1/pointwise_filter"] = nil
    local ok, err = pcall(layers.fill, dense.build("expression"), tensors, { rename = dense.rename })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("missing tensor 'dense2/conv1/pointwise_filter'", 1, true))
    tensors["dense2/conv1/pointwise_filter"] = saved
    tensors["fc/bias"] = mien.zeros({ 8 })
    ok, err = pcall(layers.fill, dense.build("expression"), tensors, { rename = dense.rename })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("tensor 'fc/bias' has shape [8]", 1, true))
  end)

  it("preprocesses uint8 NHWC and float NCHW images alike", function()
    mien.manual_seed(1)
    local img = (mien.rand({ 2, 48, 48, 1 }) * 255):floor():byte()
    local spec = models.info("faceapi_expression").input
    local a = models.preprocess(spec, img)
    assert.are.same({ 2, 3, 112, 112 }, a:shape())
    local b = models.preprocess(spec, img:permute(1, 4, 2, 3):float() / 255)
    assert.is_true((a - b):abs():max():item() < 1e-5)
    -- grey output from RGB input
    local rgb = (mien.rand({ 1, 3, 20, 20 }))
    local g = models.preprocess({ size = { 10, 10 }, channels = 1, mean = 0.5, std = 0.5 }, rgb)
    assert.are.same({ 1, 1, 10, 10 }, g:shape())
  end)
end)

describe("face-api networks against the reference fixtures", function()
  if not H.has_shared("reference/face_expression_model_io.safetensors") then
    pending("../shared not found")
    return
  end
  local dir = H.SHARED .. "/weights"
  local function fixture(name) return (mien.io.load(H.SHARED .. "/reference/" .. name .. ".safetensors")) end

  it("expression net (uint8): probabilities, logits, features", function()
    local ref = fixture("face_expression_model_io")
    local net = models.load("faceapi_expression", { dir = dir }):eval()
    local x = ref.input:permute(1, 4, 2, 3):contiguous()
    local f, y = mien.no_grad(function()
      local f = net.features(x)
      return f, net.fc(f)
    end)
    report("faceapi_expression", "output", H.rel_rows(mien.F.softmax(y, 2), ref.output), 1e-3)
    report("faceapi_expression", "logits", H.rel_rows(y, ref.logits), 1e-3)
    report("faceapi_expression", "features", H.rel_rows(f, ref.features), 1e-3)
    local probs = mien.no_grad(function() return net(x) end)
    assert.is_true((probs - mien.F.softmax(y, 2)):abs():max():item() == 0)
    assert.are.same({ "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised" }, net.classes)
  end)

  it("68-landmark net (uint8): coordinates and features; the backbone gives the features", function()
    local ref = fixture("face_landmark_68_model_io")
    local net = models.load("faceapi_landmarks68", { dir = dir })
    local backbone = models.load("faceapi_landmarks68", { dir = dir, include_top = false })
    local x = ref.input:permute(1, 4, 2, 3):contiguous()
    local y, f = mien.no_grad(function() return net(x), backbone(x) end)
    report("faceapi_landmarks68", "output", H.rel_rows(y, ref.output), 1e-3)
    report("faceapi_landmarks68", "features", H.rel_rows(f, ref.features), 1e-3)
    assert.are.equal(256, backbone.feature_dim)
  end)

  it("recognition net (uint8): descriptor and pooled features; gradients reach the first conv", function()
    local ref = fixture("face_recognition_model_io")
    local net = models.load("faceapi_recognition", { dir = dir })
    local x = ref.input:permute(1, 4, 2, 3):contiguous()
    local pooled = mien.no_grad(function() return net.trunk(x) end)
    report("faceapi_recognition", "pooled", H.rel_rows(pooled, ref.pooled), 1e-3)
    report("faceapi_recognition", "output", H.rel_rows(pooled:matmul(net.fc), ref.output), 1e-3)
    net(x:narrow(1, 1, 2)):sum():backward()
    assert.truthy(net.trunk.conv32_down.conv.filters.grad)
    assert.truthy(net.trunk.conv256_down_out.conv2.scale.biases.grad)
  end)

  it("preprocess reproduces the fixtures' inputs from the CK+ PNG (48 -> model size, normalised)", function()
    local img = core.image_load(H.SHARED .. "/data/ckplus48/anger/S010_004_00000019.png", 1)
    for name, file in pairs { faceapi_expression = "face_expression_model_io",
      faceapi_recognition = "face_recognition_model_io", mobilefacenet = "mobilefacenet_io", faceres = "faceres_io",
      emotion_xception = "emotion_io" } do
      local spec = models.info(name).input
      local ref = fixture(file).input
      local row = name == "faceres" and 2 or 3
      local want = ref[row]:permute(3, 1, 2)
      local got = models.preprocess(spec, img)[1]
      report(name, "input", H.rel_rows(got:reshape(1, -1), want:reshape(1, -1)), 1e-5)
    end
  end)

  it("loads every zoo model with and without its top", function()
    local expect = { mobilefacenet = { 192, 512 }, faceres = { 1024, 1024 }, emotion_xception = { 7, 256 },
      faceapi_landmarks68_tiny = { 136, 128 } }
    for name, dims in pairs(expect) do
      local full = models.load(name, { dir = dir })
      local back = models.load(name, { dir = dir, include_top = false }):eval()
      local s = full.input.size
      local x = mien.zeros({ 2, full.input.channels, s[1], s[2] })
      local y = mien.no_grad(function() return (full(x)) end)
      local f = mien.no_grad(function() return back(x) end)
      assert.are.same({ 2, dims[1] }, y:shape(), name)
      assert.are.same({ 2, dims[2] }, f:shape(), name)
      assert.are.equal(dims[2], back.feature_dim)
    end
  end)
end)
