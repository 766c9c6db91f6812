-- The backend table seen from Lua: devices with a type and an index, a clear
-- error for a device without a backend, accessors through the table, and
-- model:state_dict() as one table that safetensors saves as it is.
local mien = require "mien"
local core = require "mien.core"
local nn = require "mien.nn"

describe("devices", function()
  it("names the device a tensor lives on", function()
    assert.are.equal("cpu", mien.zeros({ 2 }):device())
    assert.are.equal("cpu", mien.zeros({ 2 }, { device = "cpu" }):cpu():device())
  end)

  it("names a device without a backend, with its index", function()
    if mien.cuda.available() then return end -- a CUDA build: nothing to refuse
    local t = mien.tensor { 1, 2 }
    local ok, err = pcall(function() return t:to("cuda:1") end)
    assert.is_false(ok)
    assert.matches("cuda:1 is not available", err)
    ok, err = pcall(function() return t:cuda() end)
    assert.is_false(ok)
    assert.matches("cuda:0 is not available", err)
    ok, err = pcall(function() return mien.ones({ 3 }, { device = "cuda" }) end)
    assert.is_false(ok)
    assert.matches("cuda:0 is not available", err)
    assert.is_false(core.device_available("cuda:0"))
  end)

  it("rejects a malformed device name", function()
    for _, name in ipairs { "gpu", "cuda:", "cuda:x", "cpu:1", "cuda:-1" } do
      local ok, err = pcall(function() return mien.zeros({ 1 }, { device = name }) end)
      assert.is_false(ok)
      assert.matches("unknown device", err)
    end
  end)

  it("counts bytes per device", function()
    local before = core.bytes_in_use("cpu")
    local t = mien.zeros({ 1000 }, { dtype = "float64" })
    assert.is_true(core.bytes_in_use("cpu") >= before + 8000)
    assert.are.equal(0, core.bytes_in_use("cuda:3"))
    t:close()
  end)
end)

describe("accessors through the backend", function()
  it("reads and writes elements of strided views", function()
    local t = mien.arange(12, { dtype = "int64" }):view(3, 4):transpose(1, 2)
    assert.are.same({ { 0, 4, 8 }, { 1, 5, 9 }, { 2, 6, 10 }, { 3, 7, 11 } }, t:totable())
    t[2] = 7
    assert.are.equal(7, t[2][3])
    assert.are.same({ 0, 7, 2, 3, 4, 7, 6, 7, 8, 7, 10, 11 }, t:transpose(1, 2):contiguous():view(-1):totable())
  end)
end)

describe("state_dict", function()
  it("is one table that safetensors saves as it is", function()
    local model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    local n = select("#", model:state_dict())
    assert.are.equal(1, n)
    local path = os.tmpname()
    mien.io.safetensors.save(path, model:state_dict())
    local back = mien.io.safetensors.load(path)
    os.remove(path)
    for name, t in pairs(model:state_dict()) do
      assert.are.same(t:totable(), back[name]:totable())
    end
    assert.are.same({ "1.weight", "1.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var",
      "2.num_batches_tracked" },
      model:state_dict_names())
  end)
end)
