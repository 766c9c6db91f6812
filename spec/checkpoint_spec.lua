-- mien.io: safetensors weights (checked by an independent parser), state
-- dict round trips, and training checkpoints that resume bitwise in a fresh
-- process (weights, optimizer moments, schedule, BatchNorm statistics, RNG).
local mien = require "mien"
local nn = require "mien.nn"
local optim = require "mien.optim"
local cjson = require "cjson"
local H = require "spec.support.helpers"

local flat, read_file = H.flat, H.read_file

local function same_bits(a, b)
  local x, y = flat(a), flat(b)
  if #x ~= #y or a:dtype() ~= b:dtype() then return false end
  for i = 1, #x do
    if string.format("%a", x[i]) ~= string.format("%a", y[i]) then return false end
  end
  return true
end

local dir
setup(function() dir = H.tmpdir() end)
teardown(function() H.remove_dir(dir) end)

describe("safetensors files", function()
  it("are readable by an independent parser: header, dtypes, shapes, offsets and bytes", function()
    mien.manual_seed(11)
    local lin = nn.Linear(3, 2)
    local bn = nn.BatchNorm1d(2)
    local model = nn.Sequential(lin, bn)
    model(mien.randn({ 4, 3 }))
    local path = dir .. "/weights.safetensors"
    mien.io.save(model, path, { metadata = { note = "hello", epoch = 3 } })

    local data = read_file(path)
    local n = string.unpack("<I8", data)
    local header = cjson.decode(data:sub(9, 8 + n))
    local base = 8 + n
    assert.are.same({ note = "hello", epoch = "3" }, header.__metadata__)
    local expected = {
      ["1.weight"] = { "F32", { 2, 3 } }, ["1.bias"] = { "F32", { 2 } },
      ["2.weight"] = { "F32", { 2 } }, ["2.bias"] = { "F32", { 2 } },
      ["2.running_mean"] = { "F32", { 2 } }, ["2.running_var"] = { "F32", { 2 } },
      ["2.num_batches_tracked"] = { "I64", {} },
    }
    local spans, count = {}, 0
    for name, info in pairs(header) do
      if name ~= "__metadata__" then
        count = count + 1
        local e = assert(expected[name], "unexpected tensor " .. name)
        assert.are.equal(e[1], info.dtype, name)
        assert.are.same(e[2], info.shape, name)
        local numel = 1
        for _, s in ipairs(info.shape) do numel = numel * s end
        local size = info.dtype == "F32" and 4 or 8
        assert.are.equal(numel * size, info.data_offsets[2] - info.data_offsets[1], name)
        spans[#spans + 1] = { info.data_offsets[1], info.data_offsets[2], name }
      end
    end
    assert.are.equal(7, count)
    -- the tensors tile the data section exactly
    table.sort(spans, function(a, b) return a[1] < b[1] end)
    local pos = 0
    for _, s in ipairs(spans) do
      assert.are.equal(pos, s[1], s[3])
      pos = s[2]
    end
    assert.are.equal(#data - base, pos)
    -- the bytes are the values
    local w = header["1.weight"].data_offsets
    local values = {}
    for k = 0, 5 do values[#values + 1] = string.unpack("<f", data, base + w[1] + 4 * k + 1) end
    assert.are.same(flat(lin.weight), values)
    local nb = header["2.num_batches_tracked"].data_offsets
    assert.are.equal(1, string.unpack("<i8", data, base + nb[1] + 1))

    -- and mien reads them back
    local sd, meta, names = mien.io.load(path)
    assert.are.equal("hello", meta.note)
    assert.are.equal(7, #names)
    assert.is_true(same_bits(sd["1.weight"], lin.weight))
    assert.are.equal("int64", sd["2.num_batches_tracked"]:dtype())
    assert.are.same({}, sd["2.num_batches_tracked"]:shape())
  end)

  it("round-trips a state dict into a fresh model, float64 and table metadata included", function()
    mien.manual_seed(2)
    local a = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)):double()
    a(mien.randn({ 2, 1, 4, 4 }, { dtype = "float64" }))
    local path = dir .. "/a.safetensors"
    mien.io.save(a, path, { metadata = { classes = { "happy", "sad" } } })
    local sd, meta = mien.io.load(path)
    assert.are.same({ "happy", "sad" }, meta.classes)
    assert.are.equal("float64", sd["1.weight"]:dtype())
    mien.manual_seed(3)
    local b = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)):double()
    b:load_state_dict(sd)
    a:eval(); b:eval()
    local x = mien.randn({ 2, 1, 4, 4 }, { dtype = "float64" })
    assert.is_true(same_bits(a(x), b(x)))
    -- a plain state dict saves too, and the old file survives a failed write
    mien.io.save({ w = mien.ones({ 2 }) }, path)
    assert.has_error(function() mien.io.save({ w = "not a tensor" }, path) end)
    local again = mien.io.load(path)
    assert.are.same({ 1, 1 }, again.w:totable())
  end)
end)

-- The model and data of the resume test, shared with the child process.
local SETUP = [[
local mien = require "mien"
local nn, optim = mien.nn, mien.optim
mien.manual_seed(123)
local x = mien.randn({ 8, 1, 8, 8 })
local y = mien.tensor({ 1, 2, 3, 1, 2, 3, 1, 2 }, { dtype = "int64" })
mien.manual_seed(SEED)
local model = nn.Sequential(nn.Conv2d(1, 4, 3, { padding = 1 }), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
  nn.Dropout(0.3), nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
local opt = optim.AdamW({ { params = model:sub(1, 4):parameters(), lr = 0.003 },
  { params = model:sub(5, -1):parameters() } }, { lr = 0.01, weight_decay = 0.05, amsgrad = true })
local sched = optim.StepLR(opt, { step_size = 2, gamma = 0.7 })
local function train_step()
  model:train()
  local loss = mien.F.cross_entropy(model(x), y)
  opt:zero_grad()
  loss:backward()
  optim.clip_grad_norm(model:parameters(), 1.0)
  opt:step()
  sched:step()
  return string.format("%a", loss:item())
end
]]

describe("training checkpoints", function()
  it("resume bitwise in a fresh process: steps 4-6 match an uninterrupted run", function()
    local env = setmetatable({}, { __index = _G })
    local run = assert(load(SETUP:gsub("SEED", "7") .. [[
      local losses = {}
      for i = 1, 3 do losses[i] = train_step() end
      mien.io.save_checkpoint(CKPT, { model = model, optimizer = opt, schedule = sched, epoch = 1, step = 3,
        history = { loss = losses, best = 0 / 0, worst = math.huge }, extra = { note = "resume" } })
      for i = 4, 6 do losses[i] = train_step() end
      return losses, model, opt
    ]], "setup", "t", env))
    env.CKPT = dir .. "/ckpt.safetensors"
    local losses = run()
    assert.are.equal(6, #losses)

    -- the child builds the model with another seed: everything must come from the checkpoint
    local script = dir .. "/resume.lua"
    local f = assert(io.open(script, "w"))
    f:write(SETUP:gsub("SEED", "999"), [[
      local info = mien.io.load_checkpoint(arg[1], { model = model, optimizer = opt, schedule = sched })
      local out = assert(io.open(arg[2], "w"))
      out:write(string.format("%d %d %s %s\n", info.epoch, info.step, info.extra.note, #info.history.loss))
      out:write(tostring(info.history.best ~= info.history.best), " ", tostring(info.history.worst == math.huge), "\n")
      for _ = 4, 6 do out:write(train_step(), "\n") end
      out:close()
    ]])
    f:close()
    local out = dir .. "/resumed.txt"
    local cmd = string.format("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' lua5.4 '%s' '%s' '%s'",
      script, env.CKPT, out)
    local ok = os.execute(cmd)
    assert.is_true(ok == true or ok == 0, "the resume process failed: " .. cmd)
    local lines = {}
    for line in io.lines(out) do lines[#lines + 1] = line end
    assert.are.equal("1 3 resume 3", lines[1])
    assert.are.equal("true true", lines[2])
    assert.are.same({ losses[4], losses[5], losses[6] }, { lines[3], lines[4], lines[5] })

    -- the layout: optimizer moments as tensors, the rest as JSON metadata
    local data = read_file(env.CKPT)
    local n = string.unpack("<I8", data)
    local header = cjson.decode(data:sub(9, 8 + n))
    assert.is_not_nil(header["model.1.weight"])
    assert.is_not_nil(header["model.2.running_mean"])
    assert.is_not_nil(header["optimizer.state.1.exp_avg"])
    assert.is_not_nil(header["optimizer.state.1.max_exp_avg_sq"])
    assert.are.same({ 4, 1, 3, 3 }, header["optimizer.state.1.exp_avg_sq"].shape)
    local info = cjson.decode(header.__metadata__["mien.checkpoint"])
    assert.are.equal(3, info.step)
    assert.are.equal("AdamW", info.optimizer.type)
    assert.are.equal(2, #info.optimizer.param_groups)
    assert.are.equal(0.003, info.optimizer.param_groups[1].initial_lr)
    assert.are.equal(3, info.optimizer.state["1"].step)
    assert.are.equal("StepLR", info.schedule.type)
    assert.are.equal(3, info.schedule.last_epoch)
    assert.is_string(info.rng.seed)
    assert.is_string(info.rng.counter)
  end)

  it("restores the RNG state and refuses mismatched targets", function()
    local path = dir .. "/rng.safetensors"
    mien.manual_seed(5)
    mien.rand({ 10 })
    mien.io.save_checkpoint(path, { epoch = 0 })
    local expect = mien.rand({ 4 }):totable()
    mien.manual_seed(77)
    local info = mien.io.load_checkpoint(path)
    assert.are.equal(0, info.epoch)
    assert.are.same(expect, mien.rand({ 4 }):totable())
    assert.has_error(function() mien.io.load_checkpoint(path, { optimizer = optim.SGD({ mien.zeros({ 1 }) }) }) end)
    mien.io.save({ w = mien.ones({ 1 }) }, dir .. "/plain.safetensors")
    assert.has_error(function() mien.io.load_checkpoint(dir .. "/plain.safetensors") end) -- not a checkpoint
  end)
end)
