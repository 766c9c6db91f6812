-- Reverse-mode autograd through the Lua binding.
local mien = require "mien"
local H = require "spec.support.helpers"

local flat, assert_close = H.flat, H.assert_close

local function leaf(values, dtype)
  return mien.tensor(values, { dtype = dtype or "float64", requires_grad = true })
end

describe("requires_grad", function()
  it("is off by default and set by the option, the field and requires_grad_()", function()
    assert.is_false(mien.zeros(2).requires_grad)
    assert.is_true(mien.zeros(2, { requires_grad = true }).requires_grad)
    assert.is_true(mien.tensor({ 1 }, { requires_grad = true }).requires_grad)
    local t = mien.zeros(2)
    t.requires_grad = true
    assert.is_true(t.requires_grad)
    t.requires_grad = false
    assert.is_false(t.requires_grad)
    local u = mien.zeros(2)
    assert.are.equal(u, u:requires_grad_())
    assert.is_true(u.requires_grad)
    u:requires_grad_(false)
    assert.is_false(u.requires_grad)
  end)

  it("spreads to results of differentiable ops, which record their op", function()
    local x = leaf({ 1, 2 })
    local y = x * 2
    assert.is_true(y.requires_grad)
    assert.are.equal("mul", y.grad_fn)
    assert.are.equal("sum", y:sum().grad_fn)
    assert.is_nil(x.grad_fn)
    local z = mien.zeros(2, { dtype = "float64" }) + 1
    assert.is_false(z.requires_grad)
    assert.is_nil(z.grad_fn)
  end)

  it("does not spread to comparisons, argmax or integer results", function()
    local x = leaf({ 1, 2, 3 })
    assert.is_false(x:gt(1).requires_grad)
    assert.is_false(x:argmax().requires_grad)
    local _, idx = x:max(1)
    assert.is_false(idx.requires_grad)
    assert.is_false(x:long().requires_grad)
  end)

  it("is refused for integer tensors", function()
    assert.has_error(function() mien.zeros(2, { dtype = "int64", requires_grad = true }) end)
    assert.has_error(function() mien.zeros(2, { dtype = "uint8" }):requires_grad_() end)
  end)
end)

describe("leaves and non-leaves", function()
  it("user tensors are leaves, results of recorded ops are not", function()
    local x = leaf({ 1, 2 })
    local y = x:exp()
    assert.is_true(x.is_leaf)
    assert.is_false(y.is_leaf)
    assert.is_true(mien.zeros(2).is_leaf)
  end)

  it("only leaves keep .grad", function()
    local x = leaf({ 1, 2 })
    local y = x * 3
    y:sum():backward()
    assert.are.same({ 3, 3 }, x.grad:totable())
    assert.is_nil(y.grad)
  end)

  it("a leaf can take backward itself", function()
    local x = leaf({ 1, 2 })
    x:backward(mien.tensor({ 5, 6 }, { dtype = "float64" }))
    assert.are.same({ 5, 6 }, x.grad:totable())
  end)

  it("grad can be cleared and set", function()
    local x = leaf({ 1, 2 })
    x:sum():backward()
    x.grad = nil
    assert.is_nil(x.grad)
    x.grad = mien.tensor({ 7, 8 }, { dtype = "float64" })
    assert.are.same({ 7, 8 }, x.grad:totable())
    assert.has_error(function() x.grad = mien.zeros(3, { dtype = "float64" }) end)
    assert.has_error(function() x.grad = mien.zeros(2) end) -- float32 for a float64 tensor
    ;(x * 2):sum():backward()
    assert.are.same({ 9, 10 }, x.grad:totable())
  end)
end)

describe("backward", function()
  it("computes the gradient of a small expression", function()
    local x = leaf({ 1, 2, 3 })
    local y = ((x * x + x:exp()) / 2):sum()
    y:backward()
    assert_close(flat(x.grad), { 1 + math.exp(1) / 2, 2 + math.exp(2) / 2, 3 + math.exp(3) / 2 }, 1e-12, "grad")
  end)

  it("accumulates gradients across two backward calls", function()
    local x = leaf({ 1, 2 })
    ;(x * 3):sum():backward()
    ;(x * x):sum():backward()
    assert.are.same({ 3 + 2, 3 + 4 }, x.grad:totable())
  end)

  it("takes a given gradient for a non-scalar result", function()
    local x = leaf({ 1, 2, 3 })
    local y = x * x
    y:backward(mien.tensor({ 1, 10, 100 }, { dtype = "float64" }))
    assert.are.same({ 2, 40, 600 }, x.grad:totable())
  end)

  it("converts a given gradient of another dtype", function()
    local x = leaf({ 1, 2 })
    ;(x * 2):backward(mien.tensor({ 1, 1 }))
    assert.are.same({ 2, 2 }, x.grad:totable())
    assert.are.equal("float64", x.grad:dtype())
  end)

  it("does not modify the given gradient", function()
    local x = leaf({ 1, 2 })
    local a = x * 2
    local g = mien.tensor({ 1, 1 }, { dtype = "float64" })
    ;(a + a):backward(g)
    assert.are.same({ 1, 1 }, g:totable())
    assert.are.same({ 4, 4 }, x.grad:totable())
  end)

  it("needs a gradient for a non-scalar result", function()
    local x = leaf({ 1, 2 })
    local ok, err = pcall(function() (x * 2):backward() end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("[2]", 1, true), err)
  end)

  it("refuses a gradient of the wrong shape", function()
    local x = leaf({ 1, 2 })
    assert.has_error(function() (x * 2):backward(mien.ones(3, { dtype = "float64" })) end)
  end)

  it("refuses a result that does not require grad", function()
    assert.has_error(function() mien.ones(1):backward() end)
  end)

  it("a second backward without retain_graph errors and mentions retain_graph", function()
    local x = leaf({ 1, 2 })
    local y = (x:exp() * x):sum()
    y:backward()
    local ok, err = pcall(function() y:backward() end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("retain_graph", 1, true), err)
  end)

  it("a second backward through an op that saves nothing also errors", function()
    local x = leaf({ 1, 2 })
    local y = (x + 1):sum()
    y:backward()
    local ok, err = pcall(function() y:backward() end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("retain_graph", 1, true), err)
  end)

  it("retain_graph allows a second backward that accumulates", function()
    local x = leaf({ 1, 2 })
    local y = (x * x):sum()
    y:backward({ retain_graph = true })
    assert.are.same({ 2, 4 }, x.grad:totable())
    y:backward({ retain_graph = true })
    assert.are.same({ 4, 8 }, x.grad:totable())
    y:backward()
    assert.are.same({ 6, 12 }, x.grad:totable())
  end)

  it("retain_graph with a given gradient", function()
    local x = leaf({ 1, 2 })
    local y = x * x
    y:backward(mien.ones(2, { dtype = "float64" }), { retain_graph = true })
    y:backward(mien.ones(2, { dtype = "float64" }))
    assert.are.same({ 4, 8 }, x.grad:totable())
  end)

  it("a shared subgraph still runs once per backward after another backward freed a branch", function()
    local x = leaf({ 1, 2 })
    local h = x * 3
    local a = (h * 2):sum()
    local b = (h * 5):sum()
    a:backward({ retain_graph = true })
    b:backward()
    assert.are.same({ 21, 21 }, x.grad:totable())
  end)
end)

describe("graph shapes", function()
  it("a tensor used twice gets both contributions", function()
    local x = leaf({ 1, 2, 3 })
    ;(x * x):sum():backward()
    assert.are.same({ 2, 4, 6 }, x.grad:totable())
    local y = leaf({ 1, 2 })
    ;(y + y):sum():backward()
    assert.are.same({ 2, 2 }, y.grad:totable())
  end)

  it("a non-leaf used by two consumers gets both contributions", function()
    local x = leaf({ 1, 2, 3 })
    local h = x * 2
    ;(h * h + h):sum():backward()
    -- d/dx (4x^2 + 2x) = 8x + 2
    assert.are.same({ 10, 18, 26 }, x.grad:totable())
  end)

  it("diamonds with shared intermediate gradients stay separate", function()
    local x = leaf({ 1, 2, 3 })
    local a, b = x * 2, x * 3
    local c = a + b
    local d = c + a
    d:sum():backward()
    -- d = 2(2x) + 3x = 7x
    assert.are.same({ 7, 7, 7 }, x.grad:totable())
  end)

  it("a chain of adds feeding back into one node", function()
    local x = leaf({ 1 })
    local a = x * 1
    local s = a + a
    local t = s + a
    local u = t + s
    u:sum():backward()
    -- u = 2a + a + 2a = 5a
    assert.are.same({ 5 }, x.grad:totable())
  end)

  it("a deep chain backprops without overflowing the C stack", function()
    local x = leaf({ 1, 2 })
    local y = x
    for _ = 1, 5000 do y = y * 1.001 end
    y:sum():backward()
    assert_close(flat(x.grad), { 1.001 ^ 5000, 1.001 ^ 5000 }, 1e-9, "deep chain")
  end)

  it("a wide fan-in repeated over many levels", function()
    -- each level uses the previous one four times: the backward's node walk
    -- sees every node up to four times
    local x = leaf({ 1, 2 })
    local y = x * 1
    local levels = 60
    for _ = 1, levels do
      y = mien.cat({ y, y, y, y }, 1):narrow(1, 1, 2)
    end
    y:sum():backward()
    assert.are.same({ 1, 1 }, x.grad:totable())
    local z = x * 1
    for _ = 1, levels do z = mien.cat({ z, z, z, z }, 1):reshape(4, 2):sum(1) end
    x.grad = nil
    z:sum():backward()
    assert_close(flat(x.grad), { 4 ^ levels, 4 ^ levels }, 1e-12, "sum of four copies per level")
  end)

  it("a where with both branches from the same tensor", function()
    local x = leaf({ -1, 2, -3 })
    local y = mien.where(x:gt(0), x * 2, x * -3)
    y:sum():backward()
    assert.are.same({ -3, 2, -3 }, x.grad:totable())
  end)
end)

describe("broadcasting gradients", function()
  local cases = {
    { { 2, 3 }, { 3 } },
    { { 2, 3 }, { 1, 3 } },
    { { 2, 1 }, { 1, 3 } },
    { { 4, 1, 3 }, { 2, 1 } },
    { { 2, 3 }, {} },
    { { 3 }, { 2, 2, 3 } },
  }
  for _, c in ipairs(cases) do
    for _, op in ipairs { "add", "sub", "mul", "div" } do
      it(string.format("%s of [%s] and [%s] sums back to each input's shape", op, table.concat(c[1], ","),
        table.concat(c[2], ",")), function()
        mien.manual_seed(1)
        local a = (mien.rand(c[1], { dtype = "float64" }) + 1):requires_grad_()
        local b = (mien.rand(c[2], { dtype = "float64" }) + 1):requires_grad_()
        local out = a[op](a, b)
        out:sum():backward()
        assert.are.same(c[1], a.grad:shape())
        assert.are.same(c[2], b.grad:shape())
        -- reference: the same through explicitly expanded copies
        local shape = out:shape()
        local ae = a:detach():expand(shape):contiguous():requires_grad_()
        local be = b:detach():expand(shape):contiguous():requires_grad_()
        ae[op](ae, be):sum():backward()
        local function reduce_to(g, target)
          local lead = g:dim() - #target
          local r = g
          for d = 1, lead do r = r:sum(1) end
          for d = 1, #target do if target[d] == 1 then r = r:sum(d, true) end end
          return r
        end
        assert_close(flat(a.grad), flat(reduce_to(ae.grad, c[1])), 1e-12, "grad of a")
        assert_close(flat(b.grad), flat(reduce_to(be.grad, c[2])), 1e-12, "grad of b")
      end)
    end
  end

  it("a number on either side", function()
    local x = leaf({ 1, 2 })
    ;(2 / x):sum():backward()
    assert.are.same({ -2, -0.5 }, x.grad:totable())
    local y = leaf({ 1, 2 })
    ;(3 - y * 2):sum():backward()
    assert.are.same({ -2, -2 }, y.grad:totable())
  end)

  it("the gradient keeps the dtype of each input", function()
    local w = mien.tensor({ 1, 2, 3 }, { requires_grad = true }) -- float32
    local x = mien.tensor({ 4, 5, 6 }, { dtype = "float64", requires_grad = true })
    ;(w * x):sum():backward()
    assert.are.equal("float32", w.grad:dtype())
    assert.are.equal("float64", x.grad:dtype())
    assert.are.same({ 4, 5, 6 }, w.grad:totable())
    -- and a second backward accumulates into it
    ;(w * x):sum():backward()
    assert.are.same({ 8, 10, 12 }, w.grad:totable())
    local s = mien.tensor({ 1, 2 }, { requires_grad = true })
    ;(mien.where(s:gt(1), s, mien.zeros(2, { dtype = "float64" }))):sum():backward()
    assert.are.equal("float32", s.grad:dtype())
    -- a float32 relu feeding a float64 product: the relu's backward reads its
    -- own float32 output
    local r = mien.tensor({ -1, 2, 3 }, { requires_grad = true })
    ;(r:relu() * mien.tensor({ 4, 5, 6 }, { dtype = "float64" })):sum():backward()
    assert.are.same({ 0, 5, 6 }, r.grad:totable())
    assert.are.equal("float32", r.grad:dtype())
  end)
end)

describe("no_grad and detach", function()
  it("no_grad records no graph and gives results without requires_grad", function()
    local x = leaf({ 1, 2 })
    local y, z = mien.no_grad(function() return x * 2, x:sum() end)
    assert.is_false(y.requires_grad)
    assert.is_nil(y.grad_fn)
    assert.is_false(z.requires_grad)
    assert.is_true(mien.is_grad_enabled())
    assert.has_error(function() y:sum():backward() end)
  end)

  it("no_grad passes arguments and restores the mode after an error", function()
    local r = mien.no_grad(function(a, b)
      assert.is_false(mien.is_grad_enabled())
      return a + b
    end, 2, 3)
    assert.are.equal(5, r)
    assert.has_error(function() mien.no_grad(function() error("boom") end) end)
    assert.is_true(mien.is_grad_enabled())
  end)

  it("set_grad_enabled switches recording and returns the previous mode", function()
    local x = leaf({ 1, 2 })
    assert.is_true(mien.set_grad_enabled(false))
    local y = x * 2
    assert.is_false(mien.set_grad_enabled(true))
    assert.is_false(y.requires_grad)
    assert.is_true((x * 2).requires_grad)
  end)

  it("nested no_grad keeps recording off until the outer one ends", function()
    local x = leaf({ 1 })
    mien.no_grad(function()
      mien.no_grad(function() end)
      assert.is_false((x * 2).requires_grad)
    end)
    assert.is_true((x * 2).requires_grad)
  end)

  it("detach shares storage and cuts the graph", function()
    local x = leaf({ 1, 2 })
    local y = x * 2
    local d = y:detach()
    assert.is_false(d.requires_grad)
    assert.is_true(d.is_leaf)
    d[1] = 100
    assert.are.equal(100, y[1])
    local z = (y + d * 3):sum()
    z:backward()
    assert.are.same({ 2, 2 }, x.grad:totable())
  end)
end)

describe("gradients through views and copies", function()
  it("narrow, select and index_select send gradients to the right places", function()
    local x = leaf({ { 1, 2, 3 }, { 4, 5, 6 } })
    ;(x:narrow(2, 2, 2):sum() + x:select(1, 2):sum() * 10 + x:index_select(2, { 1, 1 }):sum() * 100):backward()
    assert.are.same({ { 200, 1, 1 }, { 210, 11, 11 } }, x.grad:totable())
  end)

  it("clone, contiguous and to() pass gradients through", function()
    local x = leaf({ { 1, 2 }, { 3, 4 } })
    ;(x:clone() * 2 + x:t():contiguous():t() * 3 + x:float():double() * 4):sum():backward()
    assert.are.same({ { 9, 9 }, { 9, 9 } }, x.grad:totable())
    local f = mien.tensor({ 1, 2 }, { requires_grad = true })
    f:double():sum():backward()
    assert.are.equal("float32", f.grad:dtype())
  end)

  it("maximum and minimum with ties share the gradient", function()
    local a, b = leaf({ 1, 2, 3 }), leaf({ 1, 5, 3 })
    a:maximum(b):sum():backward()
    assert.are.same({ 0.5, 0, 0.5 }, a.grad:totable())
    assert.are.same({ 0.5, 1, 0.5 }, b.grad:totable())
    local c, d = leaf({ 1, 2 }), leaf({ 1, 0 })
    c:minimum(d):sum():backward()
    assert.are.same({ 0.5, 0 }, c.grad:totable())
    assert.are.same({ 0.5, 1 }, d.grad:totable())
  end)

  it("max with ties shares the gradient", function()
    local x = leaf({ 1, 3, 3 })
    x:max():backward()
    assert.are.same({ 0, 0.5, 0.5 }, x.grad:totable())
    local y = leaf({ { 1, 5 }, { 7, 2 } })
    local v = y:max(2)
    v:sum():backward()
    assert.are.same({ { 0, 1 }, { 1, 0 } }, y.grad:totable())
  end)

  it("the gradient of a leaf is its own contiguous memory", function()
    local x = leaf({ 1, 2, 3 })
    local y = x:expand(4, 3)
    y:sum():backward()
    assert.is_true(x.grad:is_contiguous())
    assert.are.same({ 4, 4, 4 }, x.grad:totable())
    local g = x.grad
    ;(x * 1):sum():backward()
    assert.are.same({ 5, 5, 5 }, g:totable(), "accumulates into the same .grad tensor")
  end)
end)
