-- Central-difference gradient checks in float64 for every differentiable op.
local mien = require "mien"
local gradcheck = require "mien.gradcheck"
local F = mien.F
local H = require "spec.support.helpers"

-- helpers ------------------------------------------------------------------

local numel = H.numel

local seed_counter = 0
-- uniform in [lo, hi), float64, requires grad
local function rnd(shape, lo, hi, no_grad)
  seed_counter = seed_counter + 1
  mien.manual_seed(1000 + seed_counter)
  lo, hi = lo or -1, hi or 1
  local t = mien.rand(shape, { dtype = "float64" }) * (hi - lo) + lo
  t = t:detach():contiguous()
  if not no_grad then t:requires_grad_() end
  return t
end

-- values in [lo, hi) kept at least `gap` away from each of the points
local function away(shape, lo, hi, points, gap)
  local t = rnd(shape, lo, hi, true)
  local flat = t:reshape(-1)
  for k = 1, t:numel() do
    local v = flat[k]
    for _, p in ipairs(points) do
      if math.abs(v - p) < gap then v = v < p and p - gap - (p - v) or p + gap + (v - p) end
    end
    flat[k] = v
  end
  return t:requires_grad_()
end

local function labels(values)
  return mien.tensor(values, { dtype = "int64" })
end

local function check(fn, inputs, opts)
  local ok, err, msg = gradcheck(fn, inputs, opts)
  assert.is_true(ok, msg .. string.format(" (max error %.3g)", err))
end

local function sh(shape)
  return "[" .. table.concat(shape, ",") .. "]"
end

-- the checker itself -------------------------------------------------------

describe("gradcheck", function()
  it("accepts a correct gradient", function()
    check(function(x) return x * x end, { rnd({ 3 }) })
  end)

  it("catches a wrong gradient", function()
    local x = rnd({ 3 }, 0.5, 1)
    -- the detached factor hides half of d(x^2)/dx from backward
    local ok, _, msg = gradcheck(function(a) return a:detach() * a end, { x })
    assert.is_false(ok)
    assert.truthy(msg:find("input 1", 1, true), msg)
  end)

  it("passes non-tensor and constant inputs through", function()
    local c = rnd({ 3 }, -1, 1, true)
    check(function(x, k, y) return x * k + y end, { rnd({ 3 }), 3, c })
  end)

  it("refuses float32 inputs", function()
    assert.has_error(function() gradcheck(function(a) return a * 2 end, { mien.ones(2, { requires_grad = true }) }) end)
  end)
end)

-- binary ops ---------------------------------------------------------------

describe("gradcheck binary", function()
  local shape_pairs = {
    { { 2, 3 }, { 2, 3 } },
    { { 2, 3 }, { 3 } },
    { { 2, 1 }, { 1, 3 } },
    { { 3 }, { 2, 2, 3 } },
    { { 2, 3 }, {} },
  }
  local ops = {
    add = function(a, b) return a + b end,
    sub = function(a, b) return a - b end,
    mul = function(a, b) return a * b end,
    div = function(a, b) return a / b end,
    pow = function(a, b) return a:pow(b) end,
    maximum = function(a, b) return a:maximum(b) end,
    minimum = function(a, b) return a:minimum(b) end,
  }
  for _, name in ipairs { "add", "sub", "mul", "div", "pow", "maximum", "minimum" } do
    for _, sp in ipairs(shape_pairs) do
      it(string.format("%s %s %s", name, sh(sp[1]), sh(sp[2])), function()
        local a, b
        if name == "pow" then
          a, b = rnd(sp[1], 0.5, 2), rnd(sp[2], -2, 2)
        elseif name == "div" then
          a, b = rnd(sp[1]), away(sp[2], -2, 2, { 0 }, 0.5)
        elseif name == "maximum" or name == "minimum" then
          -- b = a's broadcast partner kept away from a: a from {-1.5..-0.5} u {0.5..1.5}, b near 0
          a, b = away(sp[1], -1.5, 1.5, { 0 }, 0.5), rnd(sp[2], -0.3, 0.3)
        else
          a, b = rnd(sp[1]), rnd(sp[2])
        end
        check(ops[name], { a, b })
      end)
    end
  end

  for _, name in ipairs { "add", "sub", "mul", "div", "pow", "maximum", "minimum" } do
    it(name .. " with a number on the right", function()
      local a = name == "pow" and rnd({ 2, 3 }, 0.5, 2) or away({ 2, 3 }, -2, 2, { 0.7 }, 0.2)
      check(function(x) return x[name](x, 0.7) end, { a })
    end)
    it(name .. " with a number on the left", function()
      local a = (name == "div" or name == "pow") and rnd({ 2, 3 }, 0.5, 2) or away({ 2, 3 }, -2, 2, { 0.7 }, 0.2)
      local mt = getmetatable(a)
      local meta = ({ add = "__add", sub = "__sub", mul = "__mul", div = "__div", pow = "__pow" })[name]
      if meta then
        check(function(x) return mt[meta](0.7, x) end, { a })
      else
        check(function(x) return mien.tensor(0.7, { dtype = "float64" })[name](mien.tensor(0.7, { dtype = "float64" }), x) end, { a })
      end
    end)
  end

  it("mixed float32/float64 operands flow gradients to the float64 input", function()
    local a = rnd({ 2, 3 })
    local b = mien.rand(2, 3) -- float32 constant
    check(function(x) return (x * b + b):relu() end, { a })
  end)
end)

-- unary ops ----------------------------------------------------------------

describe("gradcheck unary", function()
  local cases = {
    { "neg", function(x) return -x end, -2, 2 },
    { "exp", function(x) return x:exp() end, -2, 2 },
    { "log", function(x) return x:log() end, 0.2, 3 },
    { "sqrt", function(x) return x:sqrt() end, 0.2, 3 },
    { "rsqrt", function(x) return x:rsqrt() end, 0.2, 3 },
    { "abs", function(x) return x:abs() end, -2, 2, { 0 } },
    { "relu", function(x) return x:relu() end, -2, 2, { 0 } },
    { "F.relu", function(x) return F.relu(x) end, -2, 2, { 0 } },
    { "relu6", function(x) return F.relu6(x) end, -2, 8, { 0, 6 } },
    { "sigmoid", function(x) return x:sigmoid() end, -4, 4 },
    { "F.sigmoid", function(x) return F.sigmoid(x) end, -4, 4 },
    { "tanh", function(x) return x:tanh() end, -3, 3 },
    { "F.tanh", function(x) return F.tanh(x) end, -3, 3 },
    { "sin", function(x) return x:sin() end, -3, 3 },
    { "cos", function(x) return x:cos() end, -3, 3 },
    { "sign", function(x) return x:sign() * 3 + x end, -2, 2, { 0 } },
    { "floor", function(x) return x:floor() + x end, -2, 2, { -2, -1, 0, 1, 2 } },
    { "ceil", function(x) return x:ceil() + x end, -2, 2, { -2, -1, 0, 1, 2 } },
    { "round", function(x) return x:round() + x end, -2, 2, { -1.5, -0.5, 0.5, 1.5 } },
    { "leaky_relu default slope", function(x) return F.leaky_relu(x) end, -2, 2, { 0 } },
    { "leaky_relu 0.2", function(x) return F.leaky_relu(x, 0.2) end, -2, 2, { 0 } },
    { "leaky_relu method", function(x) return x:leaky_relu(0.3) end, -2, 2, { 0 } },
    { "clamp both", function(x) return x:clamp(-0.5, 0.5) end, -1.5, 1.5, { -0.5, 0.5 } },
    { "clamp low", function(x) return x:clamp(-0.5) end, -1.5, 1.5, { -0.5 } },
    { "clamp high", function(x) return x:clamp(nil, 0.5) end, -1.5, 1.5, { 0.5 } },
  }
  for _, c in ipairs(cases) do
    for _, shape in ipairs { { 5 }, { 2, 3 } } do
      it(c[1] .. " " .. sh(shape), function()
        local x = c[5] and away(shape, c[3], c[4], c[5], 0.05) or rnd(shape, c[3], c[4])
        check(c[2], { x })
      end)
    end
  end

  it("unary ops on a strided view", function()
    local x = rnd({ 3, 4 }, 0.2, 2)
    check(function(t) return t:t():log() * t:t():sqrt():exp() end, { x })
  end)
end)

-- where ----------------------------------------------------------------------

describe("gradcheck where", function()
  it("both branches, same shape", function()
    local c = mien.tensor({ { 1, 0, 1 }, { 0, 0, 1 } }, { dtype = "uint8" })
    check(function(a, b) return mien.where(c, a, b) end, { rnd({ 2, 3 }), rnd({ 2, 3 }) })
  end)
  it("broadcast branches", function()
    local c = mien.tensor({ { 1, 0, 1 }, { 0, 1, 1 } }, { dtype = "uint8" })
    check(function(a, b) return mien.where(c, a, b) end, { rnd({ 3 }), rnd({ 2, 1 }) })
  end)
  it("a number branch", function()
    local x = away({ 2, 3 }, -1, 1, { 0 }, 0.1)
    check(function(a) return mien.where(a:gt(0), a * a, 0.5) end, { x })
  end)
  it("a broadcast condition", function()
    local c = mien.tensor({ 1, 0, 1 }, { dtype = "uint8" })
    check(function(a, b) return mien.where(c, a, b) end, { rnd({ 2, 3 }), rnd({ 2, 3 }) })
  end)
end)

-- reductions -----------------------------------------------------------------

describe("gradcheck reductions", function()
  local dims_cases = { false, 1, 2, 3, -1, { 1, 3 }, { 2, 3 } }
  local function dims_name(d)
    if d == false then return "all" end
    if type(d) == "table" then return sh(d) end
    return tostring(d)
  end
  for _, op in ipairs { "sum", "mean", "max", "min", "prod" } do
    for _, dims in ipairs(dims_cases) do
      for _, keep in ipairs { false, true } do
        if not (dims == false and keep) then
          it(string.format("%s over %s%s", op, dims_name(dims), keep and " keepdim" or ""), function()
            local x = rnd({ 2, 3, 4 })
            check(function(t)
              if dims == false then return t[op](t) end
              return (t[op](t, dims, keep))
            end, { x })
          end)
        end
      end
    end
  end

  it("max over a dim also through a strided view", function()
    check(function(t) return (t:t():max(2)) end, { rnd({ 4, 3 }) })
  end)

  for _, dims in ipairs { false, 1, 2, -1, { 1, 2 } } do
    for _, unbiased in ipairs { true, false } do
      it(string.format("var over %s unbiased=%s", dims_name(dims), tostring(unbiased)), function()
        check(function(t)
          if dims == false then return t:var(nil, { unbiased = unbiased }) end
          return t:var(dims, { unbiased = unbiased })
        end, { rnd({ 3, 4 }) })
      end)
    end
    it(string.format("std over %s", dims_name(dims)), function()
      check(function(t)
        if dims == false then return t:std() end
        return t:std(dims, { keepdim = true })
      end, { rnd({ 3, 4 }) })
    end)
  end
end)

-- matmul ---------------------------------------------------------------------

describe("gradcheck prod with zeros", function()
  it("gives the product of the others at a single zero and 0 where two are zero", function()
    local z = mien.tensor({ { 1, 0, 3 }, { 0, 0, 2 }, { 2, 3, 4 } }, { dtype = "float64", requires_grad = true })
    z:prod(2):sum():backward()
    assert.same({ 0, 3, 0, 0, 0, 0, 12, 8, 6 }, z.grad:reshape(-1):totable())
  end)
end)

describe("gradcheck matmul", function()
  local cases = {
    { "2-d", { 3, 4 }, { 4, 2 } },
    { "1-d 1-d", { 4 }, { 4 } },
    { "2-d 1-d", { 3, 4 }, { 4 } },
    { "1-d 2-d", { 4 }, { 4, 2 } },
    { "batched", { 2, 3, 4 }, { 2, 4, 2 } },
    { "batched with 2-d", { 2, 3, 4 }, { 4, 2 } },
    { "2-d with batched", { 3, 4 }, { 2, 4, 2 } },
    { "broadcast batch", { 2, 1, 2, 3 }, { 3, 3, 2 } },
    { "1-d with batched", { 3 }, { 2, 3, 2 } },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " " .. sh(c[2]) .. " @ " .. sh(c[3]), function()
      check(function(a, b) return a:matmul(b) end, { rnd(c[2]), rnd(c[3]) })
    end)
  end
  it("transposed operands", function()
    check(function(a, b) return a:t():matmul(b:t()) end, { rnd({ 4, 3 }), rnd({ 2, 4 }) })
  end)
  it("batched transposed operands", function()
    check(function(a, b) return a:transpose(2, 3):matmul(b) end, { rnd({ 2, 4, 3 }), rnd({ 2, 4, 2 }) })
  end)
  it("the same tensor on both sides", function()
    check(function(a) return a:matmul(a:t()) end, { rnd({ 3, 2 }) })
  end)
end)

-- views ----------------------------------------------------------------------

describe("gradcheck views", function()
  local cases = {
    { "reshape", { 2, 3, 2 }, function(t) return t:reshape(3, 4) end },
    { "reshape -1", { 2, 3, 2 }, function(t) return t:reshape(-1, 2) end },
    { "reshape of a transposed tensor", { 3, 4 }, function(t) return t:t():reshape(2, 6) end },
    { "view", { 2, 3, 2 }, function(t) return t:view(6, 2) end },
    { "permute", { 2, 3, 4 }, function(t) return t:permute(3, 1, 2) end },
    { "transpose", { 2, 3, 4 }, function(t) return t:transpose(1, 3) end },
    { "t", { 2, 3 }, function(t) return t:t() end },
    { "narrow", { 4, 5 }, function(t) return t:narrow(2, 2, 3) end },
    { "narrow dim 1", { 4, 5 }, function(t) return t:narrow(1, 3, 2) end },
    { "select", { 3, 4 }, function(t) return t:select(2, 3) end },
    { "select dim 1", { 3, 4 }, function(t) return t:select(1, 2) end },
    { "index t[i]", { 3, 4 }, function(t) return t[2] end },
    { "expand", { 3, 1 }, function(t) return t:expand(3, 4) end },
    { "expand new dims", { 3 }, function(t) return t:expand(2, 4, 3) end },
    { "flatten", { 2, 3, 2 }, function(t) return t:flatten() end },
    { "flatten partial", { 2, 3, 2 }, function(t) return t:flatten(2, 3) end },
    { "unsqueeze", { 2, 3 }, function(t) return t:unsqueeze(2) end },
    { "squeeze", { 2, 1, 3 }, function(t) return t:squeeze(2) end },
    { "squeeze all", { 2, 1, 3, 1 }, function(t) return t:squeeze() end },
    { "contiguous", { 3, 4 }, function(t) return t:t():contiguous() end },
    { "clone", { 3, 4 }, function(t) return t:clone() * t end },
    { "chained views", { 4, 5, 2 }, function(t) return t:permute(2, 3, 1):narrow(1, 2, 3):select(2, 2):reshape(-1) end },
    { "overlapping views", { 5 }, function(t) return t:narrow(1, 1, 3) * t:narrow(1, 3, 3) end },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " " .. sh(c[2]), function() check(c[3], { rnd(c[2]) }) end)
  end
end)

-- joins and indexing ---------------------------------------------------------

describe("gradcheck cat, stack, index_select, gather", function()
  it("cat dim 1", function()
    check(function(a, b) return mien.cat({ a, b }, 1) end, { rnd({ 2, 3 }), rnd({ 1, 3 }) })
  end)
  it("cat dim 2", function()
    check(function(a, b) return mien.cat({ a, b }, 2) end, { rnd({ 2, 3 }), rnd({ 2, 2 }) })
  end)
  it("cat dim -1 of three", function()
    check(function(a, b, c) return mien.cat({ a, b, c }, -1) end, { rnd({ 2, 1 }), rnd({ 2, 2 }), rnd({ 2, 3 }) })
  end)
  it("cat of six (more than a node holds)", function()
    check(function(a, b, c, d, e, f) return mien.cat({ a, b, c, d, e, f }, 1) end,
      { rnd({ 1, 2 }), rnd({ 2, 2 }), rnd({ 1, 2 }), rnd({ 1, 2 }), rnd({ 3, 2 }), rnd({ 1, 2 }) })
  end)
  it("cat of the same tensor twice", function()
    check(function(a) return mien.cat({ a, a * 2 }, 1) end, { rnd({ 2, 2 }) })
  end)
  it("cat with an input that does not require grad", function()
    local c = rnd({ 2, 2 }, -1, 1, true)
    check(function(a) return mien.cat({ c, a }, 2) end, { rnd({ 2, 3 }) })
  end)
  it("stack dim 1", function()
    check(function(a, b) return mien.stack({ a, b }) end, { rnd({ 2, 3 }), rnd({ 2, 3 }) })
  end)
  it("stack dim -1", function()
    check(function(a, b, c) return mien.stack({ a, b, c }, -1) end, { rnd({ 2, 3 }), rnd({ 2, 3 }), rnd({ 2, 3 }) })
  end)
  it("stack of five", function()
    check(function(a, b, c, d, e) return mien.stack({ a, b, c, d, e }, 2) end,
      { rnd({ 2 }), rnd({ 2 }), rnd({ 2 }), rnd({ 2 }), rnd({ 2 }) })
  end)
  it("index_select with repeats dim 1", function()
    check(function(a) return a:index_select(1, { 3, 1, 3, 3 }) end, { rnd({ 3, 2 }) })
  end)
  it("index_select dim 2 with an int64 tensor", function()
    local idx = labels({ 2, 2, 1 })
    check(function(a) return a:index_select(2, idx) end, { rnd({ 2, 3, 2 }) })
  end)
  it("index_select of a transposed tensor", function()
    check(function(a) return a:t():index_select(1, { 2, 1 }) end, { rnd({ 3, 2 }) })
  end)
  it("gather dim 2 with repeats", function()
    local idx = labels({ { 1, 1, 3 }, { 2, 3, 2 } })
    check(function(a) return a:gather(2, idx) end, { rnd({ 2, 3 }) })
  end)
  it("gather dim 1 with a smaller index", function()
    local idx = labels({ { 2, 1 }, { 2, 2 }, { 1, 2 } })
    check(function(a) return a:gather(1, idx) end, { rnd({ 2, 3 }) })
  end)
  it("gather 3-d", function()
    local idx = labels({ { { 1, 2 }, { 2, 2 } }, { { 2, 1 }, { 1, 1 } } })
    check(function(a) return a:gather(3, idx) end, { rnd({ 2, 2, 3 }) })
  end)
end)

-- nn ops ---------------------------------------------------------------------

describe("gradcheck linear", function()
  it("with bias", function()
    check(function(x, w, b) return F.linear(x, w, b) end, { rnd({ 3, 4 }), rnd({ 2, 4 }), rnd({ 2 }) })
  end)
  it("without bias", function()
    check(function(x, w) return F.linear(x, w) end, { rnd({ 3, 4 }), rnd({ 2, 4 }) })
  end)
  it("3-d input", function()
    check(function(x, w, b) return F.linear(x, w, b) end, { rnd({ 2, 2, 3 }), rnd({ 2, 3 }), rnd({ 2 }) })
  end)
  it("1-d input", function()
    check(function(x, w, b) return F.linear(x, w, b) end, { rnd({ 3 }), rnd({ 2, 3 }), rnd({ 2 }) })
  end)
end)

describe("gradcheck conv2d", function()
  local cases = {
    { "3x3", { 2, 3, 5, 5 }, { 4, 3, 3, 3 }, {} },
    { "stride 2 padding 1", { 1, 2, 6, 6 }, { 3, 2, 3, 3 }, { stride = 2, padding = 1 } },
    { "padding 2", { 1, 2, 4, 4 }, { 2, 2, 3, 3 }, { padding = 2 } },
    { "dilation 2", { 1, 2, 7, 7 }, { 2, 2, 3, 3 }, { dilation = 2 } },
    { "dilation 2 padding 2", { 1, 1, 5, 5 }, { 2, 1, 3, 3 }, { dilation = 2, padding = 2 } },
    { "groups 2", { 1, 4, 5, 5 }, { 4, 2, 3, 3 }, { groups = 2 } },
    { "groups 2 stride 2 padding 1", { 2, 4, 5, 5 }, { 6, 2, 3, 3 }, { groups = 2, stride = 2, padding = 1 } },
    { "depthwise", { 1, 3, 5, 5 }, { 3, 1, 3, 3 }, { groups = 3, padding = 1 } },
    { "depthwise stride 2", { 2, 3, 6, 6 }, { 3, 1, 3, 3 }, { groups = 3, stride = 2, padding = 1 } },
    { "depthwise multiplier 2", { 1, 2, 5, 5 }, { 4, 1, 3, 3 }, { groups = 2, padding = 1 } },
    { "depthwise dilation 2", { 1, 2, 6, 6 }, { 2, 1, 3, 3 }, { groups = 2, dilation = 2, padding = 2 } },
    { "non-square kernel 2x3", { 1, 2, 5, 6 }, { 3, 2, 2, 3 }, {} },
    { "non-square kernel 3x1 stride {2,1} padding {1,0}", { 1, 2, 6, 4 }, { 2, 2, 3, 1 }, { stride = { 2, 1 }, padding = { 1, 0 } } },
    { "non-square kernel 1x3 dilation {1,2}", { 1, 2, 4, 7 }, { 2, 2, 1, 3 }, { dilation = { 1, 2 }, padding = { 0, 2 } } },
    { "1x1", { 2, 3, 3, 3 }, { 4, 3, 1, 1 }, {} },
    { "1x1 stride 2", { 1, 3, 5, 5 }, { 2, 3, 1, 1 }, { stride = 2 } },
    { "kernel the size of the input", { 1, 2, 3, 3 }, { 2, 2, 3, 3 }, {} },
    { "non-square input and stride {1,2}", { 1, 2, 4, 7 }, { 2, 2, 3, 3 }, { stride = { 1, 2 }, padding = 1 } },
  }
  for _, c in ipairs(cases) do
    for _, bias in ipairs { true, false } do
      it(c[1] .. (bias and " with bias" or " without bias"), function()
        local x, w = rnd(c[2]), rnd(c[3])
        local inputs = { x, w }
        if bias then inputs[3] = rnd({ c[3][1] }) end
        check(function(a, b, bb) return F.conv2d(a, b, bb, c[4]) end, inputs)
      end)
    end
  end

  -- random shapes from a fixed stream
  local state = 12345
  local function randint(lo, hi)
    state = (state * 1103515245 + 12345) % 2147483648
    return lo + state % (hi - lo + 1)
  end
  for k = 1, 8 do
    local groups = randint(1, 2)
    local cin = groups * randint(1, 2)
    local cout = groups * randint(1, 2)
    local kh, kw = randint(1, 3), randint(1, 3)
    local sh_, sw = randint(1, 2), randint(1, 2)
    local ph, pw = randint(0, kh // 2), randint(0, kw // 2)
    local dh, dw = randint(1, 2), randint(1, 2)
    local h = (kh - 1) * dh + 1 + randint(0, 3)
    local w = (kw - 1) * dw + 1 + randint(0, 3)
    local n = randint(1, 2)
    local opts = { stride = { sh_, sw }, padding = { ph, pw }, dilation = { dh, dw }, groups = groups }
    it(string.format("random %d: x [%d,%d,%d,%d] w [%d,%d,%d,%d] stride %d,%d pad %d,%d dil %d,%d groups %d", k, n, cin,
      h, w, cout, cin // groups, kh, kw, sh_, sw, ph, pw, dh, dw, groups), function()
      check(function(a, b, bb) return F.conv2d(a, b, bb, opts) end,
        { rnd({ n, cin, h, w }), rnd({ cout, cin // groups, kh, kw }), rnd({ cout }) })
    end)
  end

  it("a strided (transposed) input", function()
    check(function(a, b) return F.conv2d(a:transpose(3, 4), b, nil, { padding = 1 }) end,
      { rnd({ 1, 2, 5, 4 }), rnd({ 2, 2, 3, 3 }) })
  end)
end)

describe("gradcheck pooling", function()
  local cases = {
    { "k2", { 1, 2, 4, 4 }, { kernel_size = 2 } },
    { "k2 as a number", { 1, 2, 4, 4 }, 2 },
    { "k3 s2", { 2, 1, 7, 7 }, { kernel_size = 3, stride = 2 } },
    { "k3 s1 p1", { 1, 2, 4, 4 }, { kernel_size = 3, stride = 1, padding = 1 } },
    { "k3 s2 p1", { 1, 2, 5, 5 }, { kernel_size = 3, stride = 2, padding = 1 } },
    { "k2 ceil_mode", { 1, 2, 5, 5 }, { kernel_size = 2, ceil_mode = true } },
    { "k3 s2 p1 ceil_mode", { 1, 1, 6, 6 }, { kernel_size = 3, stride = 2, padding = 1, ceil_mode = true } },
    { "k3 s2 ceil_mode", { 1, 1, 6, 6 }, { kernel_size = 3, stride = 2, ceil_mode = true } },
    { "non-square kernel {2,3} stride {1,2}", { 1, 2, 4, 7 }, { kernel_size = { 2, 3 }, stride = { 1, 2 } } },
    { "non-square padding {1,0}", { 1, 1, 5, 4 }, { kernel_size = { 3, 2 }, stride = 2, padding = { 1, 0 } } },
    { "overlapping k3 s1", { 1, 1, 5, 5 }, { kernel_size = 3, stride = 1 } },
  }
  for _, c in ipairs(cases) do
    it("max_pool2d " .. c[1], function()
      check(function(x) return F.max_pool2d(x, c[3]) end, { rnd(c[2]) })
    end)
    it("avg_pool2d " .. c[1], function()
      check(function(x) return F.avg_pool2d(x, c[3]) end, { rnd(c[2]) })
    end)
    if type(c[3]) == "table" and (c[3].padding or c[3].ceil_mode) then
      it("avg_pool2d " .. c[1] .. " count_include_pad=false", function()
        local o = {}
        for k, v in pairs(c[3]) do o[k] = v end
        o.count_include_pad = false
        check(function(x) return F.avg_pool2d(x, o) end, { rnd(c[2]) })
      end)
    end
  end

  it("max_pool2d of a strided input", function()
    check(function(x) return F.max_pool2d(x:transpose(3, 4), { kernel_size = 2, stride = 1 }) end, { rnd({ 1, 2, 3, 4 }) })
  end)

  for _, shape in ipairs { { 1, 1, 1, 1 }, { 2, 3, 4, 5 }, { 1, 2, 1, 3 } } do
    it("global_avg_pool2d " .. sh(shape), function()
      check(function(x) return F.global_avg_pool2d(x) end, { rnd(shape) })
    end)
  end
end)

describe("gradcheck batch_norm", function()
  for _, shape in ipairs { { 4, 3 }, { 2, 3, 2, 2 }, { 3, 2, 1, 2 } } do
    local c = shape[2]
    it("training " .. sh(shape) .. " with weight and bias", function()
      check(function(x, w, b) return F.batch_norm(x, nil, nil, { weight = w, bias = b, training = true }) end,
        { rnd(shape), rnd({ c }, 0.5, 1.5), rnd({ c }) })
    end)
    it("training " .. sh(shape) .. " without weight and bias", function()
      check(function(x) return F.batch_norm(x, nil, nil, { training = true }) end, { rnd(shape) })
    end)
    it("training " .. sh(shape) .. " with running stats being updated", function()
      local rm, rv = mien.zeros(c, { dtype = "float64" }), mien.ones(c, { dtype = "float64" })
      check(function(x, w) return F.batch_norm(x, rm, rv, { weight = w, training = true, momentum = 0.3, eps = 1e-3 }) end,
        { rnd(shape), rnd({ c }, 0.5, 1.5) })
    end)
    it("eval " .. sh(shape), function()
      local rm, rv = rnd({ c }, -1, 1, true), rnd({ c }, 0.5, 2, true)
      check(function(x, w, b) return F.batch_norm(x, rm, rv, { weight = w, bias = b, training = false }) end,
        { rnd(shape), rnd({ c }, 0.5, 1.5), rnd({ c }) })
    end)
  end
end)

describe("gradcheck activations", function()
  for _, p in ipairs { 0.3, 0.5, 0.8 } do
    it("dropout p=" .. p, function()
      check(function(x) return F.dropout(x, p, true) end, { rnd({ 4, 5 }) })
    end)
  end
  it("dropout in eval mode is the identity", function()
    check(function(x) return F.dropout(x, 0.5, false) end, { rnd({ 3, 3 }) })
  end)
  it("dropout as a method", function()
    check(function(x) return x:dropout(0.4) end, { rnd({ 3, 3 }) })
  end)
  it("prelu per channel", function()
    check(function(x, w) return F.prelu(x, w) end, { away({ 2, 3, 2, 2 }, -2, 2, { 0 }, 0.05), rnd({ 3 }, 0.1, 0.5) })
  end)
  it("prelu with one slope", function()
    check(function(x, w) return F.prelu(x, w) end, { away({ 2, 3 }, -2, 2, { 0 }, 0.05), rnd({ 1 }, 0.1, 0.5) })
  end)
  for _, d in ipairs { 1, 2, -1 } do
    it("softmax dim " .. d, function()
      check(function(x) return F.softmax(x, d) end, { rnd({ 3, 4 }, -3, 3) })
    end)
    it("log_softmax dim " .. d, function()
      check(function(x) return F.log_softmax(x, d) end, { rnd({ 3, 4 }, -3, 3) })
    end)
  end
  it("softmax of a 3-d tensor over the middle dim", function()
    check(function(x) return x:softmax(2) end, { rnd({ 2, 3, 2 }, -3, 3) })
  end)
  it("log_softmax with large logits", function()
    check(function(x) return x:log_softmax(-1) end, { rnd({ 2, 3 }, 50, 60) })
  end)
end)

describe("gradcheck losses", function()
  local y = labels({ 1, 3, 4, 3 })
  local w = mien.tensor({ 0.5, 1, 2, 1.5 }, { dtype = "float64" })
  local cases = {
    { "mean", {} },
    { "sum", { reduction = "sum" } },
    { "none", { reduction = "none" } },
    { "class weights mean", { weight = w } },
    { "class weights sum", { weight = w, reduction = "sum" } },
    { "label smoothing 0.1", { label_smoothing = 0.1 } },
    { "label smoothing 0.3 sum", { label_smoothing = 0.3, reduction = "sum" } },
    { "label smoothing with class weights", { label_smoothing = 0.2, weight = w } },
    { "label smoothing with class weights, none", { label_smoothing = 0.2, weight = w, reduction = "none" } },
  }
  for _, c in ipairs(cases) do
    it("cross_entropy " .. c[1], function()
      check(function(x) return F.cross_entropy(x, y, c[2]) end, { rnd({ 4, 4 }, -2, 2) })
    end)
  end

  local t = rnd({ 3, 4 }, 0, 1, true)
  local pw = mien.tensor({ 0.5, 1, 2, 3 }, { dtype = "float64" })
  for _, red in ipairs { "mean", "sum", "none" } do
    it("binary_cross_entropy_with_logits " .. red, function()
      check(function(x) return F.binary_cross_entropy_with_logits(x, t, { reduction = red }) end, { rnd({ 3, 4 }, -3, 3) })
    end)
    it("binary_cross_entropy_with_logits with pos_weight " .. red, function()
      check(function(x) return F.binary_cross_entropy_with_logits(x, t, { pos_weight = pw, reduction = red }) end,
        { rnd({ 3, 4 }, -3, 3) })
    end)
  end
  it("binary_cross_entropy_with_logits gradient to targets and pos_weight", function()
    check(function(x, tt, p) return F.binary_cross_entropy_with_logits(x, tt, { pos_weight = p }) end,
      { away({ 3, 4 }, -3, 3, { 0 }, 0.05), rnd({ 3, 4 }, 0, 1), rnd({ 4 }, 0.5, 2) })
  end)
  for _, red in ipairs { "mean", "sum", "none" } do
    it("mse_loss " .. red, function()
      check(function(a, b) return F.mse_loss(a, b, { reduction = red }) end, { rnd({ 3, 4 }), rnd({ 3, 4 }) })
    end)
  end
end)

describe("gradcheck pad", function()
  local cases = {
    { { 2, 3 }, { 1, 2 } },
    { { 2, 3 }, { 1, 0, 0, 2 } },
    { { 1, 2, 3, 3 }, { 1, 1, 1, 1 } },
    { { 1, 2, 3, 3 }, { 0, 2, 1, 0 } },
    { { 2, 2, 2 }, { 1, 1, 1, 1, 1, 1 } },
  }
  for _, c in ipairs(cases) do
    it(sh(c[1]) .. " by " .. sh(c[2]), function()
      check(function(x) return F.pad(x, c[2]) end, { rnd(c[1]) })
    end)
  end
  it("with a fill value", function()
    check(function(x) return F.pad(x, { 2, 1 }, -3) * x:sum() end, { rnd({ 2, 2 }) })
  end)
end)

describe("gradcheck compositions", function()
  it("a small conv net", function()
    local x = rnd({ 2, 1, 6, 6 }, -1, 1, true)
    local y = labels({ 2, 1 })
    check(function(w1, b1, w2)
      local h = F.conv2d(x, w1, b1, { padding = 1 })
      h = F.max_pool2d(F.relu(h), 2)
      h = F.global_avg_pool2d(h)
      return F.cross_entropy(F.linear(h, w2), y)
    end, { rnd({ 3, 1, 3, 3 }), rnd({ 3 }), rnd({ 2, 3 }) })
  end)
  it("an MLP with batch norm and dropout", function()
    local x = rnd({ 4, 3 }, -1, 1, true)
    check(function(w1, g, w2)
      local h = F.batch_norm(F.linear(x, w1), nil, nil, { weight = g, training = true })
      h = F.dropout(h:tanh(), 0.25, true)
      return F.mse_loss(F.linear(h, w2), mien.zeros(4, 1, { dtype = "float64" }))
    end, { rnd({ 5, 3 }), rnd({ 5 }, 0.5, 1.5), rnd({ 1, 5 }) })
  end)
end)
