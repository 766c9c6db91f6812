-- mien.nn: the Module API (names, state dicts, containers, modes, freezing,
-- printing, moves), the layers and the initialisers.
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local H = require "spec.support.helpers"

local flat = H.flat

local function names_of(iter)
  local out = {}
  for name in iter do out[#out + 1] = name end
  return out
end

local function bitwise_equal(a, b)
  local x, y = flat(a), flat(b)
  if #x ~= #y then return false end
  for i = 1, #x do
    if x[i] ~= y[i] then return false end
  end
  return true
end

local function snapshot(list)
  local out = {}
  for i, t in ipairs(list) do out[i] = t:clone() end
  return out
end

-- A small CNN with a named backbone and head (the FER workflow's shape).
local Net = nn.Module:extend("Net")
function Net:__init(classes)
  self.features = nn.Sequential(nn.Conv2d(1, 4, 3, { padding = 1 }), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
  self.pool = nn.GlobalAvgPool2d()
  self.head = nn.Linear(4, classes or 3)
end
function Net:forward(x)
  return self.head(self.pool(self.features(x)))
end

describe("nn.Module", function()
  before_each(function() mien.manual_seed(0) end)

  it("names parameters and buffers with dotted, 1-based paths", function()
    local net = Net(3)
    assert.are.same({ "features.1.weight", "features.1.bias", "features.2.weight", "features.2.bias", "head.weight",
      "head.bias" }, names_of(net:named_parameters()))
    assert.are.same({ "features.2.running_mean", "features.2.running_var", "features.2.num_batches_tracked" },
      names_of(net:named_buffers()))
    assert.are.equal(6, #net:parameters())
    local seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, { bias = false }))
    assert.are.same({ "1.weight", "1.bias", "3.weight" }, names_of(seq:named_parameters()))
    local mods = {}
    for name, m in net:named_modules() do mods[#mods + 1] = name .. ":" .. m.__name end
    assert.are.same({ ":Net", "features:Sequential", "features.1:Conv2d", "features.2:BatchNorm2d", "features.3:ReLU",
      "features.4:MaxPool2d", "pool:GlobalAvgPool2d", "head:Linear" }, mods)
  end)

  it("counts a shared parameter once", function()
    local lin = nn.Linear(3, 3)
    local seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert.are.equal(2, #seq:parameters())
    assert.are.same({ "1.weight", "1.bias" }, names_of(seq:named_parameters()))
  end)

  it("runs forward through model(x) and model:forward(x)", function()
    local net = Net(5)
    local x = mien.randn({ 2, 1, 8, 8 })
    net:eval()
    local a, b = net(x), net:forward(x)
    assert.are.same({ 2, 5 }, a:shape())
    assert.is_true(bitwise_equal(a, b))
  end)

  it("round-trips a state dict into a fresh model", function()
    local a = Net(3)
    a:train()
    a(mien.randn({ 4, 1, 8, 8 })) -- moves the running statistics
    mien.manual_seed(99)
    local b = Net(3)
    local sd = a:state_dict()
    assert.is_true(mien.is_tensor(sd["features.2.running_var"]))
    assert.are.equal(1, sd["features.2.num_batches_tracked"]:item())
    b:load_state_dict(sd)
    local sb = b:state_dict()
    for name, t in pairs(sd) do assert.is_true(bitwise_equal(t, sb[name]), name) end
    a:eval(); b:eval()
    local x = mien.randn({ 2, 1, 8, 8 })
    assert.is_true(bitwise_equal(a(x), b(x)))
  end)

  it("names missing, unexpected and mis-shaped keys in load_state_dict errors", function()
    local net = Net(3)
    local sd = net:state_dict()
    local partial = {}
    for k, v in pairs(sd) do partial[k] = v end
    partial["head.bias"] = nil
    assert.has_error(function() net:load_state_dict(partial) end, nil)
    local ok, err = pcall(net.load_state_dict, net, partial)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("missing keys: head.bias", 1, true))
    partial["head.bias"] = sd["head.bias"]
    partial["head.extra"] = mien.zeros({ 1 })
    ok, err = pcall(net.load_state_dict, net, partial)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("unexpected keys: head.extra", 1, true))
    -- strict = false tolerates both, but never a shape mismatch
    partial["head.bias"] = nil
    local res = net:load_state_dict(partial, { strict = false })
    assert.are.same({ "head.bias" }, res.missing)
    assert.are.same({ "head.extra" }, res.unexpected)
    partial["head.bias"] = mien.zeros({ 4 })
    ok, err = pcall(net.load_state_dict, net, partial, { strict = false })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("'head.bias' has shape [4] in the state dict, [3] in the model", 1, true))
  end)

  it("supports Sequential indexing, #, insert, remove and sub", function()
    local l1, r, l2 = nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)
    local seq = nn.Sequential(l1, r, l2)
    assert.are.equal(3, #seq)
    assert.are.equal(r, seq[2])
    local d = nn.Dropout(0.1)
    seq:insert(d, 3)
    assert.are.equal(4, #seq)
    assert.are.equal(d, seq[3])
    assert.are.equal(l2, seq[4])
    assert.are.same({ "1.weight", "1.bias", "4.weight", "4.bias" }, names_of(seq:named_parameters()))
    assert.are.equal(d, seq:remove(3))
    assert.are.equal(3, #seq)
    local body = seq:sub(1, 2)
    assert.are.equal(2, #body)
    assert.are.equal(l1, body[1]) -- shared, not copied
    assert.are.equal("Sequential", body.__name)
    local x = mien.randn({ 5, 4 })
    assert.are.same({ 5, 8 }, body(x):shape())
    assert.are.same({ 5, 2 }, seq(x):shape())
    assert.are.equal(2, #seq:sub(1, -2))
    assert.has_error(function() seq:insert(nn.ReLU(), 9) end)
    assert.has_error(function() seq:remove(7) end)
    assert.has_error(function() seq:add(nn.Linear) end) -- a class, not a module
  end)

  it("switches train/eval recursively", function()
    local net = Net(3)
    net:eval()
    for m in net:modules() do assert.is_false(m.training) end
    net:train()
    for m in net:modules() do assert.is_true(m.training) end
  end)

  it("freezes a backbone: weights and BatchNorm statistics stay bitwise unchanged while the head learns", function()
    local net = Net(3)
    net.features:freeze()
    net:train()
    assert.is_true(net.training and net.features[2].training)
    assert.is_false(net.features[2]:uses_batch_stats())
    assert.is_false(net.features[1].weight.requires_grad)
    assert.is_true(net.head.weight.requires_grad)
    assert.are.equal(2, #net:trainable_parameters())
    local frozen = {}
    for _, t in ipairs(net.features:parameters()) do frozen[#frozen + 1] = t end
    for _, t in ipairs(net.features:buffers()) do frozen[#frozen + 1] = t end
    local before = snapshot(frozen)
    local head_before = net.head.weight:clone()
    -- the optimizer sees every parameter, with weight decay: frozen ones have no grad and are skipped
    local opt = optim.AdamW(net:parameters(), { lr = 0.05, weight_decay = 0.1 })
    local x = mien.randn({ 8, 1, 8, 8 })
    local y = mien.tensor({ 1, 2, 3, 1, 2, 3, 1, 2 }, { dtype = "int64" })
    local first, last
    for _ = 1, 8 do
      local loss = mien.F.cross_entropy(net(x), y)
      opt:zero_grad()
      loss:backward()
      assert.is_nil(net.features[1].weight.grad)
      opt:step()
      first = first or loss:item()
      last = loss:item()
    end
    for i, t in ipairs(frozen) do assert.is_true(bitwise_equal(t, before[i]), "frozen tensor " .. i) end
    assert.are.equal(0, net.features[2].num_batches_tracked:item())
    assert.is_false(bitwise_equal(net.head.weight, head_before))
    assert.is_true(last < first)
    -- unfreezing brings training mode back to the BatchNorm
    net.features:unfreeze()
    assert.is_true(net.features[2]:uses_batch_stats())
    assert.is_true(net.features[1].weight.requires_grad)
    net(x)
    assert.are.equal(1, net.features[2].num_batches_tracked:item())
  end)

  it("prints the module tree with total and trainable parameter counts", function()
    local net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    local s = tostring(net)
    assert.truthy(s:find("(1): Linear(4, 8)", 1, true))
    assert.truthy(s:find("(2): ReLU()", 1, true))
    assert.truthy(s:find("Parameters: 58 total, 58 trainable, 0 frozen", 1, true))
    net[1]:freeze()
    s = tostring(net)
    assert.truthy(s:find("(1): Linear(4, 8, frozen)", 1, true))
    assert.truthy(s:find("Parameters: 58 total, 18 trainable, 40 frozen", 1, true))
  end)

  it("summarises output shapes and parameter counts, restoring the mode", function()
    local net = Net(3)
    net:train()
    local text = net:summary({ 1, 8, 8 }, { print = false })
    assert.truthy(text:find("features%.1 %(Conv2d%)%s+%[1,4,8,8%]%s+40\n"))
    assert.truthy(text:find("features%.4 %(MaxPool2d%)%s+%[1,4,4,4%]%s+0\n"))
    assert.truthy(text:find("pool %(GlobalAvgPool2d%)%s+%[1,4%]%s+0\n"))
    assert.truthy(text:find("head %(Linear%)%s+%[1,3%]%s+15\n"))
    assert.truthy(text:find("Total params: 63", 1, true))
    assert.truthy(text:find("Trainable params: 63", 1, true))
    assert.is_true(net.training and net.features[2].training)
    assert.are.equal(0, net.features[2].num_batches_tracked:item()) -- ran in eval mode
  end)

  it("applies functions, zeroes grads and moves dtypes in place", function()
    local net = Net(3)
    local count = 0
    net:apply(function(m) if m.__name == "Conv2d" then count = count + 1 end end)
    assert.are.equal(1, count)
    local loss = net(mien.randn({ 2, 1, 8, 8 })):sum()
    loss:backward()
    assert.is_not_nil(net.head.weight.grad)
    net:zero_grad()
    assert.is_nil(net.head.weight.grad)
    net:double()
    for _, p in ipairs(net:parameters()) do
      assert.are.equal("float64", p:dtype())
      assert.is_true(p.requires_grad)
    end
    assert.are.equal("float64", net.features[2].running_mean:dtype())
    assert.are.equal("int64", net.features[2].num_batches_tracked:dtype())
    assert.are.equal("float64", net(mien.randn({ 2, 1, 8, 8 }, { dtype = "float64" })):dtype())
    net:float()
    assert.are.equal("float32", net.head.bias:dtype())
  end)

  it("registers fields of custom modules, and Lambda/Function modules", function()
    local scale = mien.full({ 1 }, 2.0, { requires_grad = true })
    local f = nn.Function(function(self, x) return x * self.scale end, { params = { scale = scale } })
    assert.are.same({ "scale" }, names_of(f:named_parameters()))
    local seq = nn.Sequential(nn.Lambda(function(x) return x + 1 end), f)
    local y = seq(mien.tensor({ 1, 2 }))
    assert.are.same({ 4, 6 }, y:totable())
    y:sum():backward()
    assert.are.same({ 5 }, scale.grad:totable()) -- d/ds sum((x+1)*s) = 2 + 3
    local M = nn.Module:extend("M")
    function M:__init()
      self.w = mien.ones({ 2 }, { requires_grad = true }) -- a parameter
      self.k = mien.ones({ 2 }) -- a plain tensor field
      self:register_buffer("b", mien.zeros({ 2 }))
    end
    local m = M()
    assert.are.same({ "w" }, names_of(m:named_parameters()))
    assert.are.same({ "b" }, names_of(m:named_buffers()))
  end)
end)

describe("nn layers", function()
  before_each(function() mien.manual_seed(1) end)

  it("computes Linear and Conv2d like F", function()
    local lin = nn.Linear(3, 2)
    local x = mien.randn({ 4, 3 })
    assert.is_true(bitwise_equal(lin(x), mien.F.linear(x, lin.weight, lin.bias)))
    local conv = nn.Conv2d(2, 4, { 3, 1 }, { stride = 2, padding = { 1, 0 }, bias = false })
    assert.are.same({ 4, 2, 3, 1 }, conv.weight:shape())
    assert.is_nil(conv.bias)
    assert.are.same({ 1, 4, 4, 3 }, conv(mien.randn({ 1, 2, 8, 6 })):shape())
    local g = nn.Conv2d(4, 8, 3, { groups = 4, padding = "same" })
    assert.are.same({ 8, 1, 3, 3 }, g.weight:shape())
    assert.are.same({ 2, 8, 5, 5 }, g(mien.randn({ 2, 4, 5, 5 })):shape())
  end)

  it("initialises like PyTorch within the documented bounds, reproducibly", function()
    mien.manual_seed(5)
    local a = nn.Linear(16, 8)
    mien.manual_seed(5)
    local b = nn.Linear(16, 8)
    assert.is_true(bitwise_equal(a.weight, b.weight))
    local bound = 1 / math.sqrt(16)
    for _, v in ipairs(flat(a.weight)) do assert.is_true(math.abs(v) <= bound + 1e-7) end
    for _, v in ipairs(flat(a.bias)) do assert.is_true(math.abs(v) <= bound + 1e-7) end
    local conv = nn.Conv2d(3, 4, 3)
    local cb = 1 / math.sqrt(27)
    for _, v in ipairs(flat(conv.weight)) do assert.is_true(math.abs(v) <= cb + 1e-7) end
  end)

  it("provides the initialisers with gains and fans", function()
    local init = nn.init
    assert.are.equal(math.sqrt(2), init.calculate_gain("relu"))
    assert.is_true(math.abs(init.calculate_gain("leaky_relu", 0.2) - math.sqrt(2 / 1.04)) < 1e-15)
    assert.are.equal(5 / 3, init.calculate_gain("tanh"))
    local w = mien.zeros({ 64, 32, 3, 3 })
    local fi, fo = init.fan_in_and_fan_out(w)
    assert.are.equal(288, fi)
    assert.are.equal(576, fo)
    init.kaiming_uniform_(w, { mode = "fan_out", nonlinearity = "relu" })
    local bound = math.sqrt(2) * math.sqrt(3 / 576)
    local maxabs, sumsq = 0, 0
    for _, v in ipairs(flat(w)) do
      maxabs = math.max(maxabs, math.abs(v))
      sumsq = sumsq + v * v
    end
    assert.is_true(maxabs <= bound + 1e-6 and maxabs > 0.9 * bound)
    local n = 64 * 32 * 9
    local std = math.sqrt(sumsq / n)
    assert.is_true(math.abs(std - bound / math.sqrt(3)) < 0.05 * std)
    init.xavier_normal_(w)
    sumsq = 0
    for _, v in ipairs(flat(w)) do sumsq = sumsq + v * v end
    assert.is_true(math.abs(math.sqrt(sumsq / n) - math.sqrt(2 / (288 + 576))) < 0.05 * math.sqrt(2 / 864))
    init.constant_(w, 0.5)
    assert.are.equal(0.5, flat(w)[17])
    init.zeros_(w)
    init.ones(w)
    assert.are.equal(1, flat(w)[1])
  end)

  it("normalises with batch statistics in training and running ones in eval", function()
    local bn = nn.BatchNorm1d(2, { momentum = 0.5 })
    local x = mien.tensor({ { 1, 10 }, { 3, 20 } })
    local y = bn(x)
    -- batch mean {2, 15}, biased var {1, 25}: normalised to -1/+1
    local v = flat(y)
    assert.is_true(math.abs(v[1] + 1) < 1e-4 and math.abs(v[3] - 1) < 1e-4)
    -- running_mean = 0.5*0 + 0.5*mean; running_var = 0.5*1 + 0.5*unbiased var {2, 50}
    assert.are.same({ 1, 7.5 }, bn.running_mean:totable())
    assert.are.same({ 1.5, 25.5 }, bn.running_var:totable())
    bn:eval()
    local e = flat(bn(mien.tensor({ { 1, 7.5 } })))
    assert.is_true(math.abs(e[1]) < 1e-6 and math.abs(e[2]) < 1e-6)
    local cum = nn.BatchNorm2d(1, { momentum = false })
    cum(mien.full({ 2, 1, 1, 1 }, 4.0) + mien.tensor({ 0, 2 }):view(2, 1, 1, 1))
    cum(mien.full({ 2, 1, 1, 1 }, 0.0))
    assert.are.same({ 2.5 }, cum.running_mean:totable()) -- the mean of the batch means 5 and 0
  end)

  it("has the activations, pools, dropout, flatten and residual blocks", function()
    local x = mien.tensor({ { -2, -0.5, 0.5, 7 } }, { dtype = "float64" })
    assert.are.same({ { 0, 0, 0.5, 6 } }, nn.ReLU6()(x):totable())
    assert.are.same({ { -0.2, -0.05, 0.5, 7 } }, nn.LeakyReLU(0.1)(x):totable())
    local pr = nn.PReLU({ dtype = "float64" })
    assert.are.same({ 1 }, pr.weight:shape())
    assert.are.same({ { -0.5, -0.125, 0.5, 7 } }, pr(x):totable())
    local sm = flat(nn.Softmax(2)(x))
    local total = 0
    for _, v in ipairs(sm) do total = total + v end
    assert.is_true(math.abs(total - 1) < 1e-6)
    local ls = flat(nn.LogSoftmax()(x))
    assert.is_true(math.abs(math.exp(ls[4]) - sm[4]) < 1e-6)
    assert.is_true(math.abs(flat(nn.Sigmoid()(x))[3] - 1 / (1 + math.exp(-0.5))) < 1e-6)
    assert.is_true(math.abs(flat(nn.Tanh()(x))[1] - (math.exp(-4) - 1) / (math.exp(-4) + 1)) < 1e-6)
    local img = mien.arange(16):view(1, 1, 4, 4)
    assert.are.same({ { { { 5, 7 }, { 13, 15 } } } }, nn.MaxPool2d(2)(img):totable())
    assert.are.same({ { { { 2.5, 4.5 }, { 10.5, 12.5 } } } }, nn.AvgPool2d(2)(img):totable())
    assert.are.same({ 1, 1, 2, 2 }, nn.MaxPool2d(3, { stride = 2, padding = 1 })(img):shape())
    assert.are.same({ 1, 1, 2, 2 }, nn.MaxPool2d(3, { stride = 2, ceil_mode = true })(img):shape())
    assert.are.same({ { 7.5 } }, nn.GlobalAvgPool2d()(img):totable())
    assert.are.same({ 1, 16 }, nn.Flatten()(img):shape())
    local drop = nn.Dropout(0.5)
    local ones = mien.ones({ 1000 })
    local kept = 0
    for _, v in ipairs(flat(drop(ones))) do
      assert.is_true(v == 0 or v == 2)
      if v == 2 then kept = kept + 1 end
    end
    assert.is_true(kept > 400 and kept < 600)
    drop:eval()
    assert.is_true(bitwise_equal(drop(ones), ones))
    assert.is_true(bitwise_equal(nn.Identity()(img), img))
    local block = nn.Sequential(nn.Conv2d(1, 1, 3, { padding = 1, bias = false }))
    local res = nn.Residual(block)
    assert.is_true(bitwise_equal(res(img), block(img) + img))
    local proj = nn.Conv2d(1, 1, 1)
    local res2 = nn.Residual(block, proj)
    assert.is_true(bitwise_equal(res2(img), block(img) + proj(img)))
    assert.are.same({ "block.1.weight", "shortcut.weight", "shortcut.bias" }, names_of(res2:named_parameters()))
  end)

  it("has loss modules", function()
    local logits = mien.tensor({ { 2, 0, 0 }, { 0, 3, 0 } })
    local y = mien.tensor({ 1, 2 }, { dtype = "int64" })
    local ce = nn.CrossEntropyLoss()(logits, y):item()
    assert.is_true(math.abs(ce - mien.F.cross_entropy(logits, y):item()) < 1e-12)
    assert.are.equal(1, nn.MSELoss()(mien.tensor({ 1, 3 }), mien.tensor({ 0, 2 })):item())
  end)
end)
