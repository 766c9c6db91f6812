-- examples/fer_cnn.lua: the seed report's FER2013 CNN. Its architecture
-- (shapes and parameter counts) and a few CPU training steps on 8 images.
local mien = require "mien"
local optim = require "mien.optim"

local path = "examples/fer_cnn.lua"

describe("the FER2013 CNN example", function()
  it("is a constructor in at most 30 lines", function()
    local n = 0
    for _ in io.lines(path) do n = n + 1 end
    assert.is_true(n <= 30, "examples/fer_cnn.lua has " .. n .. " lines")
    assert.are.equal("function", type(dofile(path)))
  end)

  it("has the report's layers: 48x48 -> 3x3x512 -> 256 -> 512 -> 7", function()
    mien.manual_seed(0)
    local model = dofile(path)()
    local kinds = {}
    for i = 1, #model.features do kinds[i] = model.features[i].__name end
    local block = { "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Dropout" }
    for b = 0, 3 do
      for k = 1, 5 do assert.are.equal(block[k], kinds[5 * b + k]) end
    end
    assert.are.same({ 64, 128, 512, 512 }, { model.features[1].out_channels, model.features[6].out_channels,
      model.features[11].out_channels, model.features[16].out_channels })
    assert.are.same({ 3, 5, 3, 3 }, { model.features[1].kernel_size[1], model.features[6].kernel_size[1],
      model.features[11].kernel_size[1], model.features[16].kernel_size[1] })
    assert.are.equal(0.25, model.features[5].p)
    local text = model:summary({ 1, 48, 48 }, { print = false })
    assert.truthy(text:find("features%.16 %(Conv2d%)%s+%[1,512,6,6%]"))
    assert.truthy(text:find("features%.19 %(MaxPool2d%)%s+%[1,512,3,3%]"))
    assert.truthy(text:find("classifier%.1 %(Flatten%)%s+%[1,4608%]"))
    assert.truthy(text:find("classifier%.2 %(Linear%)%s+%[1,256%]%s+1,179,904"))
    assert.truthy(text:find("classifier%.6 %(Linear%)%s+%[1,512%]%s+131,584"))
    assert.truthy(text:find("classifier%.10 %(Linear%)%s+%[1,7%]%s+3,591"))
    -- 640 + 204,928 + 590,336 + 2,359,808 (convs) + 2,432 (BatchNorm2d) + 1,179,904 + 131,584 + 3,591 (dense)
    -- + 1,536 (BatchNorm1d) = 4,474,759
    assert.truthy(text:find("Total params: 4,474,759", 1, true))
    assert.truthy(tostring(model):find("Parameters: 4,474,759 total", 1, true))
    local small = dofile(path)({ in_channels = 3, classes = 5, width = 0.25, dropout = 0.5 })
    assert.are.same({ 2, 5 }, mien.no_grad(function() return small(mien.zeros({ 2, 3, 48, 48 })) end):shape())
    assert.are.equal(0.5, small.classifier[5].p)
  end)

  it("trains on the CPU: the loss falls over a few steps", function()
    mien.manual_seed(0)
    local model = dofile(path)()
    local x = mien.randn({ 8, 1, 48, 48 })
    local y = mien.tensor({ 1, 2, 3, 4, 5, 6, 7, 1 }, { dtype = "int64" })
    local opt = optim.Adam(model:parameters(), { lr = 3e-3 })
    model:train()
    local losses = {}
    for i = 1, 8 do
      local loss = mien.F.cross_entropy(model(x), y)
      opt:zero_grad()
      loss:backward()
      opt:step()
      losses[i] = loss:item()
    end
    local first = (losses[1] + losses[2]) / 2
    local last = (losses[7] + losses[8]) / 2
    assert.is_true(last < 0.75 * first, string.format("loss went from %.3f to %.3f", first, last))
    assert.are.equal(8, model.features[2].num_batches_tracked:item())
  end)
end)
