-- mien.train.fit keeps the running loss and accuracy on the model's device
-- and reads them (:item(), a wait for the device) once per log interval and
-- at the end of an epoch, not every batch; the training itself and the
-- figures it reports do not depend on the interval.
local mien = require "mien"
local core = require "mien.core"
local nn = mien.nn

local faces = mien.data.synthetic_faces { n = 60, size = 16, seed = 2 }

local function run(log_every)
  mien.manual_seed(3)
  local model = nn.Sequential(nn.Conv2d(1, 4, 3, { padding = 1 }), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(4 * 8 * 8, 7))
  local reads, item = 0, core.Tensor.item
  core.Tensor.item = function(...) reads = reads + 1 return item(...) end
  local ok, history = pcall(mien.train.fit, { model = model, epochs = 2, quiet = true, log_every = log_every,
    optimizer = mien.optim.SGD(model:parameters(), { lr = 0.05, momentum = 0.9 }),
    train = mien.data.loader(faces, { batch = 8, seed = 1, augment = { flip = 0.5 } }) })
  core.Tensor.item = item
  assert(ok, history)
  return history, reads, model
end

describe("mien.train.fit's metric reads", function()
  it("reads loss and accuracy once per log interval and at the end of an epoch", function()
    -- 60 images in batches of 8: 8 batches an epoch; with log_every 3 the
    -- sums are read after batches 3, 6 and 8, two reads (loss, correct) each
    local _, reads = run(3)
    assert.are.equal(2 * 2 * 3, reads)
    local _, every = run(1)
    assert.are.equal(2 * 2 * 8, every)
  end)

  it("trains and reports the same with any interval", function()
    local h1, _, m1 = run(1)
    local h5, _, m5 = run(5)
    for e = 1, 2 do
      assert.are.equal(h1[e].train_loss, h5[e].train_loss)
      assert.are.equal(h1[e].train_acc, h5[e].train_acc)
    end
    local p1, p5 = m1:parameters(), m5:parameters()
    for i = 1, #p1 do assert.are.equal(0, p1[i]:ne(p5[i]):sum():item()) end
  end)

  it("rejects a log interval below 1", function()
    local model = nn.Linear(2, 2)
    assert.has_error(function()
      mien.train.fit { model = model, optimizer = mien.optim.SGD(model:parameters(), { lr = 0.1 }),
        train = mien.data.loader(faces, { batch = 8 }), log_every = 0, quiet = true }
    end, "fit: log_every must be an integer >= 1")
  end)

  it("reads a NaN sum as NaN (item of a NaN element is a value, not an error)", function()
    local v = mien.tensor({ 0 / 0 }):item()
    assert.is_true(v ~= v)
    assert.are.equal(math.huge, mien.tensor({ math.huge }, { dtype = "float32" }):item())
  end)

  it("stops on a non-finite loss at the next read and names the batches", function()
    mien.manual_seed(3)
    local model = nn.Sequential(nn.Flatten(), nn.Linear(256, 7))
    local calls = 0
    local function loss(out, y) -- finite for 4 batches, then NaN
      calls = calls + 1
      local l = mien.F.cross_entropy(out, y)
      return calls > 4 and l * (0 / 0) or l
    end
    local history, info = mien.train.fit { model = model, epochs = 1, quiet = true, log_every = 3, loss = loss,
      optimizer = mien.optim.SGD(model:parameters(), { lr = 0.01 }), train = mien.data.loader(faces, { batch = 8 }) }
    assert.are.equal(0, #history)
    assert.matches("loss became %-?nan at epoch 1, batches 4%-6; stopped", info.stopped)
  end)
end)
