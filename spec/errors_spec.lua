-- Bad inputs give Lua errors that name the op and the shapes or values.
local mien = require "mien"
local F = mien.F

-- Runs f, which must fail, and checks that the message holds every fragment
-- (plain text, not patterns).
local function fails_with(f, ...)
  local ok, err = pcall(f)
  assert.is_false(ok, "expected an error")
  err = tostring(err)
  for _, fragment in ipairs { ... } do
    assert.truthy(err:find(fragment, 1, true), string.format("message %q lacks %q", err, fragment))
  end
  return err
end

local function long(t) return mien.tensor(t, { dtype = "int64" }) end

describe("shape errors", function()
  it("matmul with mismatched inner dims", function()
    fails_with(function() return mien.zeros(64, 4608):matmul(mien.zeros(256, 4608)) end,
      "matmul: shapes [64,4608] and [256,4608] do not match")
  end)

  it("matmul of vectors of different lengths", function()
    fails_with(function() return mien.zeros(3):matmul(mien.zeros(4)) end, "matmul", "[3]", "[4]")
  end)

  it("batched matmul with mismatched inner dims", function()
    fails_with(function() return mien.zeros(2, 3, 4):matmul(mien.zeros(5, 2)) end, "matmul", "[2,3,4]", "[5,2]")
  end)

  it("batched matmul with batch dims that do not broadcast", function()
    fails_with(function() return mien.zeros(2, 3, 4):matmul(mien.zeros(3, 4, 2)) end, "matmul", "[2,3,4]", "[3,4,2]")
  end)

  it("matmul of a 0-d tensor", function()
    fails_with(function() return mien.tensor(2):matmul(mien.zeros(2)) end, "matmul", "[]")
  end)

  it("matmul of mixed dtypes", function()
    fails_with(function() return mien.zeros(2, 2):matmul(mien.zeros(2, 2, { dtype = "float64" })) end,
      "matmul", "float32", "float64")
  end)

  it("matmul of integer tensors", function()
    fails_with(function() return mien.zeros(2, 2, { dtype = "int64" }):matmul(mien.zeros(2, 2, { dtype = "int64" })) end,
      "matmul", "int64")
  end)

  for _, op in ipairs { "add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "lt" } do
    it(op .. " of shapes that do not broadcast", function()
      local a, b = mien.zeros(2, 3), mien.zeros(4, 3)
      fails_with(function() return a[op](a, b) end, op, "[2,3]", "[4,3]")
    end)
  end

  it("where of shapes that do not broadcast", function()
    fails_with(function() return mien.where(mien.zeros(2):gt(0), mien.zeros(3), mien.zeros(2)) end, "where", "[3]", "[2]")
  end)

  it("reshape to a different number of elements", function()
    fails_with(function() return mien.zeros(2, 3):reshape(4, 2) end, "reshape", "[2,3]", "[4,2]")
  end)

  it("reshape with an impossible -1", function()
    fails_with(function() return mien.zeros(2, 3):reshape(4, -1) end, "reshape", "[2,3]")
  end)

  it("view of a non-contiguous tensor", function()
    fails_with(function() return mien.zeros(2, 3):t():view(6) end, "view", "[3,2]")
  end)

  it("cat of tensors that differ outside the dim", function()
    fails_with(function() return mien.cat({ mien.zeros(2, 3), mien.zeros(2, 4) }, 1) end, "cat", "[2,3]", "[2,4]")
  end)

  it("cat of tensors with different dtypes", function()
    fails_with(function() return mien.cat({ mien.zeros(2), mien.zeros(2, { dtype = "int64" }) }) end, "cat", "int64")
  end)

  it("cat of tensors with different ranks", function()
    fails_with(function() return mien.cat({ mien.zeros(2, 3), mien.zeros(3) }) end, "cat", "[2,3]", "[3]")
  end)

  it("cat of an empty list or a non-tensor", function()
    fails_with(function() return mien.cat({}) end, "cat")
    fails_with(function() return mien.cat({ mien.zeros(2), 3 }) end, "cat", "2")
  end)

  it("stack of tensors of different shapes", function()
    fails_with(function() return mien.stack({ mien.zeros(2, 3), mien.zeros(3, 2) }) end, "stack", "[2,3]", "[3,2]")
  end)

  it("expand to an incompatible shape", function()
    fails_with(function() return mien.zeros(2, 3):expand(4, 4) end, "expand", "[2,3]")
  end)

  it("squeeze of a dim that is not 1", function()
    fails_with(function() return mien.zeros(2, 3):squeeze(1) end, "squeeze", "[2,3]")
  end)

  it("permute with a repeated dim or the wrong count", function()
    fails_with(function() return mien.zeros(2, 3):permute(1, 1) end, "permute")
    fails_with(function() return mien.zeros(2, 3):permute(1, 2, 3) end, "permute")
  end)

  it("copy_ from a shape that does not broadcast", function()
    fails_with(function() return mien.zeros(2, 3):copy_(mien.zeros(4)) end, "copy", "[4]", "[2,3]")
  end)

  it("add_ of a shape that does not broadcast", function()
    fails_with(function() return mien.zeros(2, 3):add_(mien.zeros(4)) end, "add_", "[4]", "[2,3]")
  end)

  it("linear with a weight that does not fit", function()
    fails_with(function() return F.linear(mien.zeros(2, 3), mien.zeros(4, 5)) end, "linear", "[2,3]", "[4,5]")
  end)

  it("mse_loss of shapes that do not broadcast", function()
    fails_with(function() return F.mse_loss(mien.zeros(2, 7), mien.zeros(3, 7)) end, "[2,7]", "[3,7]")
  end)

  it("bce with logits of different shapes", function()
    fails_with(function() return F.binary_cross_entropy_with_logits(mien.zeros(4, 3), mien.zeros(3)) end,
      "binary_cross_entropy_with_logits", "[4,3]", "[3]")
  end)

  it("backward with a gradient of the wrong shape", function()
    local x = mien.ones(2, { requires_grad = true })
    fails_with(function() (x * 2):backward(mien.ones(3)) end, "backward", "[3]", "[2]")
  end)

  it("a ragged nested table", function()
    fails_with(function() return mien.tensor({ { 1, 2 }, { 3 } }) end, "tensor", "ragged")
  end)

  it("a nested table with a non-number", function()
    fails_with(function() return mien.tensor({ 1, "x" }) end, "tensor", "string")
  end)

  it("item of a tensor with several elements", function()
    fails_with(function() return mien.zeros(2, 3):item() end, "item", "[2,3]")
  end)

  it("a negative size", function()
    fails_with(function() return mien.zeros(2, -3) end, "-3")
  end)
end)

describe("conv2d and pooling errors", function()
  it("conv2d with a channel mismatch", function()
    fails_with(function() return F.conv2d(mien.zeros(1, 3, 8, 8), mien.zeros(4, 2, 3, 3)) end,
      "conv2d", "[1,3,8,8]", "[4,2,3,3]", "3 channels")
  end)

  it("conv2d with groups that do not divide the channels", function()
    fails_with(function() return F.conv2d(mien.zeros(1, 4, 8, 8), mien.zeros(4, 2, 3, 3), nil, { groups = 3 }) end,
      "conv2d", "groups=3")
  end)

  it("conv2d with a bias of the wrong size", function()
    fails_with(function() return F.conv2d(mien.zeros(1, 3, 8, 8), mien.zeros(4, 3, 3, 3), mien.zeros(5)) end,
      "conv2d", "[5]", "4")
  end)

  it("conv2d of a 3-d input", function()
    fails_with(function() return F.conv2d(mien.zeros(3, 8, 8), mien.zeros(4, 3, 3, 3)) end, "conv2d", "[3,8,8]")
  end)

  it("conv2d with a kernel larger than the input", function()
    fails_with(function() return F.conv2d(mien.zeros(1, 3, 2, 2), mien.zeros(4, 3, 3, 3)) end, "conv2d")
  end)

  it("conv2d of mixed dtypes", function()
    fails_with(function() return F.conv2d(mien.zeros(1, 3, 4, 4), mien.zeros(2, 3, 3, 3, { dtype = "float64" })) end,
      "conv2d", "float64")
  end)

  it("max_pool2d of a 2-d tensor", function()
    fails_with(function() return F.max_pool2d(mien.zeros(2, 3), 2) end, "max_pool2d", "[2,3]")
  end)

  it("avg_pool2d with a kernel larger than the input", function()
    fails_with(function() return F.avg_pool2d(mien.zeros(1, 1, 2, 2), { kernel_size = 3 }) end, "pool", "2x2")
  end)

  it("global_avg_pool2d of a 2-d tensor", function()
    fails_with(function() return F.global_avg_pool2d(mien.zeros(2, 3)) end, "global_avg_pool2d", "[2,3]")
  end)

  it("batch_norm with running stats of the wrong size", function()
    fails_with(function() return F.batch_norm(mien.zeros(4, 3), mien.zeros(2), mien.ones(2), {}) end,
      "batch_norm", "running_mean", "2", "3")
  end)

  it("batch_norm in training mode with one value per channel", function()
    fails_with(function() return F.batch_norm(mien.zeros(1, 3), nil, nil, { training = true }) end, "batch_norm", "[1,3]")
  end)

  it("dropout with a probability outside [0, 1]", function()
    fails_with(function() return F.dropout(mien.zeros(2), 1.5) end, "dropout", "1.5")
  end)

  it("prelu with the wrong number of slopes", function()
    fails_with(function() return F.prelu(mien.zeros(2, 3), mien.zeros(2)) end, "prelu", "2", "3")
  end)

  it("pad with an odd number of values", function()
    fails_with(function() return F.pad(mien.zeros(2, 3), { 1, 2, 3 }) end, "pad")
  end)
end)

describe("label errors", function()
  -- labels are 1-based
  it("cross_entropy with label 0", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 0 })) end,
      "cross_entropy", "label 0", "1..7")
  end)

  it("cross_entropy with label 8 for 7 classes", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), long({ 8, 1 })) end,
      "cross_entropy", "label 8", "1..7")
  end)

  it("cross_entropy accepts labels 1 and 7 for 7 classes", function()
    assert.has_no.errors(function() F.cross_entropy(mien.zeros(2, 7), long({ 1, 7 })) end)
  end)

  it("cross_entropy with float labels", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), mien.tensor({ 1, 2 })) end,
      "cross_entropy", "int64", "float32")
  end)

  it("cross_entropy with uint8 labels", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), mien.tensor({ 1, 2 }, { dtype = "uint8" })) end,
      "cross_entropy", "uint8")
  end)

  it("cross_entropy with as many labels as samples only", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 2, 3 })) end, "cross_entropy", "[2,7]", "[3]")
  end)

  it("cross_entropy with the wrong number of class weights", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 2 }), { weight = mien.ones(6) }) end,
      "cross_entropy", "6", "7")
  end)

  it("cross_entropy with an unknown reduction", function()
    fails_with(function() return F.cross_entropy(mien.zeros(2, 7), long({ 1, 2 }), { reduction = "avg" }) end, "avg")
  end)
end)

describe("dim errors", function()
  local t = mien.zeros(2, 3)
  local cases = {
    { "sum", function() return t:sum(3) end },
    { "mean", function() return t:mean(-3) end },
    { "max", function() return t:max(3) end },
    { "min", function() return t:min(0) end },
    { "argmax", function() return t:argmax(3) end },
    { "var", function() return t:var(5) end },
    { "size", function() return t:size(3) end },
    { "narrow", function() return t:narrow(3, 1, 1) end },
    { "select", function() return t:select(3, 1) end },
    { "transpose", function() return t:transpose(1, 3) end },
    { "flatten", function() return t:flatten(3) end },
    { "squeeze", function() return t:squeeze(3) end },
    { "index_select", function() return t:index_select(3, { 1 }) end },
    { "gather", function() return t:gather(3, long({ { 1 } })) end },
    { "cat", function() return mien.cat({ t, t }, 3) end },
    { "softmax", function() return F.softmax(t, 3) end },
    { "log_softmax", function() return F.log_softmax(t, -3) end },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " with a dim out of range names the op and the shape", function()
      fails_with(c[2], c[1], "[2,3]")
    end)
  end

  it("unsqueeze and stack allow one more dim, not two", function()
    fails_with(function() return t:unsqueeze(4) end, "unsqueeze", "4")
    assert.has_no.errors(function() t:unsqueeze(3) end)
    fails_with(function() return mien.stack({ t, t }, 4) end, "stack", "4")
  end)
end)

describe("index errors", function()
  it("t[i] out of range", function()
    fails_with(function() return mien.zeros(2, 3)[3] end, "index 3", "1..2")
    fails_with(function() return mien.zeros(2)[0] end, "index 0", "1..2")
  end)

  it("t[i] = v out of range", function()
    fails_with(function() mien.zeros(2)[3] = 1 end, "index 3")
  end)

  it("index_select out of range (1-based)", function()
    fails_with(function() return mien.zeros(2, 3):index_select(1, { 3 }) end, "index_select", "index 3", "1..2")
    fails_with(function() return mien.zeros(2, 3):index_select(2, { 0 }) end, "index_select", "index 0", "1..3")
  end)

  it("gather out of range (1-based)", function()
    fails_with(function() return mien.zeros(2, 3):gather(2, long({ { 1 }, { 4 } })) end, "gather", "index 4", "1..3")
  end)

  it("gather with float indices", function()
    fails_with(function() return mien.zeros(2, 3):gather(1, mien.tensor({ { 1, 1, 1 } })) end, "gather", "float32")
  end)

  it("index_select with float indices", function()
    fails_with(function() return mien.zeros(2, 3):index_select(1, mien.tensor({ 1 })) end, "index_select", "float32")
  end)

  it("gather with an index larger than the input", function()
    fails_with(function() return mien.zeros(2, 3):gather(1, long({ { 1, 1, 1, 1 } })) end, "gather", "[1,4]", "[2,3]")
  end)

  it("narrow past the end", function()
    fails_with(function() return mien.zeros(2, 3):narrow(2, 3, 2) end, "narrow", "[2,3]")
  end)

  it("select past the end", function()
    fails_with(function() return mien.zeros(2, 3):select(1, 3) end, "select", "3", "[2,3]")
  end)
end)

describe("dtype errors", function()
  it("requires_grad on an integer tensor", function()
    fails_with(function() return mien.zeros(2, 3, { dtype = "int64", requires_grad = true }) end, "requires_grad", "int64")
    fails_with(function() mien.zeros(2, { dtype = "uint8" }).requires_grad = true end, "requires_grad", "uint8")
    fails_with(function() mien.zeros(2, { dtype = "int64" }):requires_grad_() end, "requires_grad", "int64")
  end)

  it("an unknown dtype", function()
    fails_with(function() return mien.zeros(2, { dtype = "float16" }) end, "float16")
    fails_with(function() return mien.zeros(2):to("half") end, "half")
  end)

  it("in-place add of another dtype", function()
    fails_with(function() return mien.zeros(2):add_(mien.zeros(2, { dtype = "float64" })) end, "add_", "float64", "float32")
  end)

  it("backward of a tensor that does not require grad", function()
    fails_with(function() mien.ones(1):backward() end, "backward")
  end)

  it("backward of a non-scalar without a gradient", function()
    local x = mien.ones(2, { requires_grad = true })
    fails_with(function() (x * 2):backward() end, "backward", "[2]")
  end)

  it("a gradient of another shape or dtype", function()
    local x = mien.zeros(2, { dtype = "float64", requires_grad = true })
    fails_with(function() x.grad = mien.zeros(3, { dtype = "float64" }) end, "grad", "shape")
    fails_with(function() x.grad = mien.zeros(2) end, "grad", "float32", "float64")
  end)

  it("setting an unknown field", function()
    fails_with(function() mien.zeros(2).foo = 1 end, "foo")
  end)
end)

describe("closed tensors", function()
  it("using a closed tensor errors with 'tensor is closed'", function()
    local t = mien.zeros(2)
    t:close()
    fails_with(function() return t:sum() end, "tensor is closed")
    fails_with(function() return t + 1 end, "tensor is closed")
    fails_with(function() return 1 + t end, "tensor is closed")
    fails_with(function() return t[1] end, "tensor is closed")
    fails_with(function() t[1] = 2 end, "tensor is closed")
    fails_with(function() return t:shape() end, "tensor is closed")
    fails_with(function() return tostring(t) end, "tensor is closed")
    fails_with(function() return #t end, "tensor is closed")
    fails_with(function() return t.grad end, "tensor is closed")
    fails_with(function() return mien.cat({ t, mien.zeros(2) }) end, "tensor is closed")
    fails_with(function() return mien.zeros(2) + t end, "tensor is closed")
  end)

  it("a second close is harmless", function()
    local t = mien.zeros(2)
    t:close()
    assert.has_no.errors(function() t:close() end)
    assert.has_no.errors(function() t:close() end)
  end)

  it("closing a view leaves the base usable", function()
    local t = mien.ones(4)
    local v = t:narrow(1, 1, 2)
    v:close()
    assert.are.equal(4, t:sum():item())
  end)

  it("closing a tensor keeps a graph that uses it working", function()
    local x = mien.ones(3, { requires_grad = true })
    local y = x * 2
    local s = y:sum()
    y:close()
    s:backward()
    assert.are.same({ 2, 2, 2 }, x.grad:totable())
  end)
end)

describe("positions in errors", function()
  it("are shown 1-based, while a '#' in a quoted file name or a huge number stays as written", function()
    local ok, err = pcall(mien.zeros(2, 3).select, mien.zeros(2, 3), 1, 5)
    assert.is_false(ok)
    assert.truthy(err:find("index 5 is out of range", 1, true), err)
    ok, err = pcall(require("mien.image").load, "/nonexistent/img#3.png")
    assert.is_false(ok)
    assert.truthy(err:find("img#3.png", 1, true), err)
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local f = assert(io.open(dir .. "/labels.csv", "w"))
    f:write("path,label\n#66666666666666666666666666666666p,sad\n")
    f:close()
    ok, err = pcall(mien.data.manifest, dir .. "/labels.csv")
    os.execute("rm -rf " .. dir)
    assert.is_false(ok)
    assert.truthy(err:find("#66666666666666666666666666666666p", 1, true), err)
  end)
end)
