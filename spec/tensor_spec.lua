-- The tensor core through the Lua binding: creation, dtypes, views, indexing,
-- printing, joins, in-place ops, broadcasting, reductions, matmul and the RNG.
local mien = require "mien"
local H = require "spec.support.helpers"

-- helpers ------------------------------------------------------------------

local flat, numel, assert_close = H.flat, H.numel, H.assert_close

-- Lua reference for a broadcasting binary op on flat values.
local function broadcast_ref(a, b, f)
  local sa, sb = a:shape(), b:shape()
  local fa, fb = flat(a), flat(b)
  local n = math.max(#sa, #sb)
  local shape = {}
  for d = 1, n do
    local x, y = sa[d - (n - #sa)] or 1, sb[d - (n - #sb)] or 1
    assert(x == y or x == 1 or y == 1, "reference: shapes do not broadcast")
    shape[d] = x == 1 and y or x
  end
  local function offset(s, idx)
    local off, stride = 0, 1
    for d = #s, 1, -1 do
      local i = idx[d + (n - #s)]
      if s[d] ~= 1 then off = off + (i - 1) * stride end
      stride = stride * s[d]
    end
    return off + 1
  end
  local out, total = {}, numel(shape)
  for lin = 0, total - 1 do
    local idx, rem = {}, lin
    for d = n, 1, -1 do
      idx[d] = rem % shape[d] + 1
      rem = rem // shape[d]
    end
    out[#out + 1] = f(fa[offset(sa, idx)], fb[offset(sb, idx)])
  end
  return out, shape
end

local function seq(shape, start, opts)
  -- a tensor of the given shape holding start, start+1, ... (distinct values)
  local n = numel(shape)
  return mien.arange(start or 1, (start or 1) + n, opts):reshape(shape)
end

local function naive_matmul(a, b, M, K, N)
  -- a, b flat row-major lists
  local out = {}
  for i = 1, M do
    for j = 1, N do
      local s = 0
      for k = 1, K do s = s + a[(i - 1) * K + k] * b[(k - 1) * N + j] end
      out[#out + 1] = s
    end
  end
  return out
end

-- creation -----------------------------------------------------------------

describe("tensor creation", function()
  it("zeros, ones and full have the given shape, values and float32 by default", function()
    local z, o, f = mien.zeros(2, 3), mien.ones({ 4 }), mien.full({ 2, 2 }, 7.5)
    assert.are.same({ 2, 3 }, z:shape())
    assert.are.same({ 4 }, o:shape())
    assert.are.equal("float32", z:dtype())
    assert.are.same({ { 0, 0, 0 }, { 0, 0, 0 } }, z:totable())
    assert.are.same({ 1, 1, 1, 1 }, o:totable())
    assert.are.same({ { 7.5, 7.5 }, { 7.5, 7.5 } }, f:totable())
    assert.are.equal(6, z:numel())
    assert.are.equal(2, z:dim())
    assert.are.equal(3, z:size(2))
    assert.are.equal(3, z:size(-1))
    assert.are.equal(2, #z)
  end)

  it("builds from nested tables and round-trips through totable", function()
    local data = { { { 1, 2 }, { 3, 4 }, { 5, 6 } }, { { 7, 8 }, { 9, 10 }, { 11, 12 } } }
    local t = mien.tensor(data)
    assert.are.same({ 2, 3, 2 }, t:shape())
    assert.are.same(data, t:totable())
    assert.are.same({ 12, 1 }, { t:numel(), t:is_contiguous() and 1 or 0 })
    assert.are.same({ 6, 2, 1 }, t:stride())
  end)

  it("takes a dtype option and understands the dtype aliases", function()
    for _, case in ipairs {
      { "float32", "float32" }, { "float64", "float64" }, { "int64", "int64" }, { "uint8", "uint8" },
      { "float", "float32" }, { "double", "float64" }, { "long", "int64" }, { "byte", "uint8" },
    } do
      local t = mien.tensor({ 1, 2, 3 }, { dtype = case[1] })
      assert.are.equal(case[2], t:dtype(), case[1])
      assert.are.same({ 1, 2, 3 }, t:totable())
      assert.are.equal(case[2], mien.zeros(2, { dtype = case[1] }):dtype())
      assert.are.equal(case[2], mien.ones({ 2 }, { dtype = case[1] }):dtype())
    end
  end)

  it("gives integers to Lua for integer dtypes and floats for float dtypes", function()
    local i = mien.tensor({ 3, 4 }, { dtype = "int64" })
    assert.are.equal("integer", math.type(i[1]))
    assert.are.equal("integer", math.type(i:sum():item()))
    assert.are.equal("integer", math.type(i:totable()[2]))
    local f = mien.tensor({ 3, 4 })
    assert.are.equal("float", math.type(f[1]))
    assert.are.equal("float", math.type(f:totable()[1]))
  end)

  it("stores float32 with float32 precision and float64 exactly", function()
    local f = mien.tensor({ 0.1 })[1]
    assert.are_not.equal(0.1, f)
    assert.is_true(math.abs(f - 0.1) < 1e-8)
    assert.are.equal(0.1, mien.tensor({ 0.1 }, { dtype = "float64" })[1])
    assert.are.equal(2 ^ 40 + 1, mien.tensor({ 2 ^ 40 + 1 }, { dtype = "int64" })[1])
  end)

  it("makes 0-d tensors from numbers", function()
    local s = mien.tensor(3.5)
    assert.are.equal(0, s:dim())
    assert.are.same({}, s:shape())
    assert.are.equal(1, s:numel())
    assert.are.equal(3.5, s:item())
    assert.are.equal(3.5, s:totable())
  end)

  it("arange counts up to an exclusive stop with a step and a dtype", function()
    assert.are.same({ 0, 1, 2, 3, 4 }, mien.arange(5):totable())
    assert.are.same({ 2, 4, 6 }, mien.arange(2, 8, 2):totable())
    assert.are.same({ 5, 4, 3 }, mien.arange(5, 2, -1):totable())
    assert.are.same({ 0.0, 0.5, 1.0, 1.5 }, mien.arange(0, 2, 0.5):totable())
    local i = mien.arange(1, 4, { dtype = "int64" })
    assert.are.equal("int64", i:dtype())
    assert.are.same({ 1, 2, 3 }, i:totable())
  end)

  it("tensor(t) copies another tensor instead of sharing its memory", function()
    local a = mien.tensor({ 1, 2, 3 })
    local b = mien.tensor(a)
    b[1] = 10
    assert.are.equal(1, a[1])
    assert.are.equal("float32", b:dtype())
    assert.are.equal("int64", mien.tensor(a, { dtype = "int64" }):dtype())
    local d = mien.zeros(2, { dtype = "float64" })
    assert.are.equal("float64", mien.tensor(d):dtype())
    assert.are.equal("float64", mien.tensor(d, {}):dtype(), "options without a dtype keep the source's")
    local r = mien.tensor(d, { requires_grad = true })
    assert.are.equal("float64", r:dtype())
    assert.is_true(r.requires_grad)
  end)

  it("is_tensor tells tensors from other values", function()
    assert.is_true(mien.is_tensor(mien.zeros(1)))
    assert.is_true(mien.is_tensor(mien.zeros(2, 2):t()))
    for _, v in ipairs { 5, "s", {}, true, io.stdout, print } do assert.is_false(mien.is_tensor(v), tostring(v)) end
    assert.is_false(mien.is_tensor(nil))
  end)

  it("creates empty tensors", function()
    local e = mien.zeros(0, 3)
    assert.are.equal(0, e:numel())
    assert.are.same({ 0, 3 }, e:shape())
    assert.are.equal(0, e:sum():item())
    assert.are.same({}, mien.tensor({}):totable())
  end)
end)

-- type conversion ----------------------------------------------------------

describe("type conversion", function()
  it("converts between every pair of dtypes", function()
    local names = { "float32", "float64", "int64", "uint8" }
    for _, from in ipairs(names) do
      for _, to in ipairs(names) do
        local t = mien.tensor({ 0, 1, 7, 200 }, { dtype = from }):to(to)
        assert.are.equal(to, t:dtype(), from .. " -> " .. to)
        assert.are.same({ 0, 1, 7, 200 }, t:totable(), from .. " -> " .. to)
      end
    end
  end)

  it("truncates floats towards zero when converting to int64", function()
    assert.are.same({ 2, -2, 0, 3 }, mien.tensor({ 2.7, -2.7, 0.4, 3 }):long():totable())
  end)

  it("has float/double/long/byte shortcuts", function()
    local t = mien.tensor({ 1, 2 })
    assert.are.equal("float64", t:double():dtype())
    assert.are.equal("int64", t:long():dtype())
    assert.are.equal("uint8", t:byte():dtype())
    assert.are.equal("float32", t:long():float():dtype())
    assert.are.equal("float64", t:to("double"):dtype())
  end)

  it("to() with the same dtype returns a tensor sharing memory", function()
    local t = mien.tensor({ 1, 2 })
    local u = t:to("float32")
    u[1] = 5
    assert.are.equal(5, t[1])
  end)

  it("promotes dtypes in binary ops", function()
    local f32, f64 = mien.ones(2), mien.ones(2, { dtype = "float64" })
    local i64, u8 = mien.ones(2, { dtype = "int64" }), mien.ones(2, { dtype = "uint8" })
    assert.are.equal("float64", (f32 + f64):dtype())
    assert.are.equal("float32", (i64 + f32):dtype())
    assert.are.equal("int64", (i64 + i64):dtype())
    assert.are.equal("int64", (u8 + i64):dtype())
    assert.are.equal("uint8", (u8 + u8):dtype())
    assert.are.equal("float32", (i64 / i64):dtype(), "integer division gives floats")
    assert.are.same({ 0.5, 0.5 }, (i64 / (i64 * 2)):totable())
    assert.are.equal("float32", (i64 + 0.5):dtype())
    assert.are.same({ 1.5, 1.5 }, (i64 + 0.5):totable())
    assert.are.equal("int64", (i64 * 3):dtype())
    assert.are.equal("float64", (f64 * 3):dtype())
  end)
end)

-- views --------------------------------------------------------------------

describe("views", function()
  it("reshape keeps the element order and shares storage", function()
    local t = seq({ 2, 3 })
    local r = t:reshape(3, 2)
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, r:totable())
    r[1][2] = 20
    assert.are.equal(20, t[1][2])
    assert.are.same({ 6 }, t:reshape(-1):shape())
    assert.are.same({ 2, 3, 1 }, t:reshape({ 2, -1, 1 }):shape())
  end)

  it("view shares storage and refuses a non-contiguous tensor", function()
    local t = seq({ 2, 3 })
    local v = t:view(6)
    v[6] = 60
    assert.are.equal(60, t[2][3])
    assert.has_error(function() t:t():view(6) end)
  end)

  it("reshape of a non-contiguous tensor copies in logical order", function()
    local t = seq({ 2, 3 })
    local r = t:t():reshape(6)
    assert.are.same({ 1, 4, 2, 5, 3, 6 }, r:totable())
    r[1] = 100
    assert.are.equal(1, t[1][1], "the copy does not write back")
  end)

  it("permute moves dims, strides and values and shares storage", function()
    local t = seq({ 2, 3, 4 })
    local p = t:permute(3, 1, 2)
    assert.are.same({ 4, 2, 3 }, p:shape())
    assert.are.same({ 1, 12, 4 }, p:stride())
    assert.is_false(p:is_contiguous())
    for i = 1, 2 do
      for j = 1, 3 do
        for k = 1, 4 do assert.are.equal(t[i][j][k], p[k][i][j]) end
      end
    end
    p[4][2][3] = -1
    assert.are.equal(-1, t[2][3][4])
    assert.are.same({ 4, 2, 3 }, t:permute({ -1, 1, 2 }):shape())
  end)

  it("transpose and t() swap two dims", function()
    local t = seq({ 2, 3 })
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, t:t():totable())
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, t:transpose(1, 2):totable())
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, t:transpose(-1, -2):totable())
    local u = seq({ 2, 3, 4 }):transpose(1, 3)
    assert.are.same({ 4, 3, 2 }, u:shape())
    assert.are.equal(seq({ 2, 3, 4 })[2][1][3], u[3][1][2])
  end)

  it("contiguous copies a strided tensor and returns a contiguous one as is", function()
    local t = seq({ 2, 3 })
    local c = t:t():contiguous()
    assert.is_true(c:is_contiguous())
    assert.are.same({ 2, 1 }, c:stride())
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, c:totable())
    c[1][1] = 9
    assert.are.equal(1, t[1][1])
    local same = t:contiguous()
    same[1][1] = 9
    assert.are.equal(9, t[1][1])
  end)

  it("narrow selects a range along a dim and shares storage", function()
    local t = seq({ 3, 4 })
    local n = t:narrow(2, 2, 2)
    assert.are.same({ { 2, 3 }, { 6, 7 }, { 10, 11 } }, n:totable())
    n:fill_(0)
    assert.are.same({ { 1, 0, 0, 4 }, { 5, 0, 0, 8 }, { 9, 0, 0, 12 } }, t:totable())
    assert.are.same({ { 9, 10, 11, 12 } }, seq({ 3, 4 }):narrow(1, 3, 1):totable())
    assert.are.same({ 3, 0 }, seq({ 3, 4 }):narrow(2, 1, 0):shape())
  end)

  it("select drops a dim and shares storage", function()
    local t = seq({ 2, 3, 4 })
    local s = t:select(2, 3)
    assert.are.same({ 2, 4 }, s:shape())
    assert.are.same({ { 9, 10, 11, 12 }, { 21, 22, 23, 24 } }, s:totable())
    s[2][1] = 0
    assert.are.equal(0, t[2][3][1])
    assert.are.same({ 4, 8, 12 }, seq({ 3, 4 }):select(-1, 4):totable())
  end)

  it("expand repeats size-1 dims with stride 0", function()
    local t = mien.tensor({ { 1 }, { 2 } })
    local e = t:expand(2, 3)
    assert.are.same({ { 1, 1, 1 }, { 2, 2, 2 } }, e:totable())
    assert.are.same({ 1, 0 }, e:stride())
    local f = mien.tensor({ 1, 2, 3 }):expand(2, -1)
    assert.are.same({ { 1, 2, 3 }, { 1, 2, 3 } }, f:totable())
    assert.are.same({ 0, 1 }, f:stride())
    t[2][1] = 5
    assert.are.same({ 5, 5, 5 }, e[2]:totable())
  end)

  it("squeeze and unsqueeze remove and add size-1 dims", function()
    local t = mien.zeros(2, 1, 3, 1)
    assert.are.same({ 2, 3 }, t:squeeze():shape())
    assert.are.same({ 2, 3, 1 }, t:squeeze(2):shape())
    assert.are.same({ 2, 1, 3 }, t:squeeze(-1):shape())
    local u = mien.zeros(2, 3)
    assert.are.same({ 1, 2, 3 }, u:unsqueeze(1):shape())
    assert.are.same({ 2, 1, 3 }, u:unsqueeze(2):shape())
    assert.are.same({ 2, 3, 1 }, u:unsqueeze(3):shape())
    assert.are.same({ 2, 3, 1 }, u:unsqueeze(-1):shape())
    local v = seq({ 2, 3 })
    local w = v:unsqueeze(2)
    w[2][1][3] = 0
    assert.are.equal(0, v[2][3])
  end)

  it("flatten merges a range of dims", function()
    local t = seq({ 2, 3, 4 })
    assert.are.same({ 24 }, t:flatten():shape())
    assert.are.same({ 2, 12 }, t:flatten(2):shape())
    assert.are.same({ 6, 4 }, t:flatten(1, 2):shape())
    assert.are.same(flat(t), t:flatten():totable())
    assert.are.same({ 2, 12 }, mien.F.flatten(t):shape())
    assert.are.same({ 1 }, mien.tensor(3):flatten():shape())
  end)

  it("views of views compose offsets and strides", function()
    local t = seq({ 4, 5 })
    local v = t:narrow(1, 2, 3):t():narrow(1, 2, 3):select(2, 2)
    -- rows 2..4, transposed -> [5,3]; columns 2..4 -> [3,3]; select col 2 = row 3 of t
    assert.are.same({ 12, 13, 14 }, v:totable())
    v[1] = 0
    assert.are.equal(0, t[3][2])
  end)

  it("reshape of a strided view is exact for non-trivial strides", function()
    local t = seq({ 4, 6 }):narrow(2, 2, 4) -- [4,4] with row stride 6
    local r = t:reshape(2, 2, 4)
    assert.are.same(flat(t), flat(r))
    local p = seq({ 2, 3, 4 }):permute(2, 1, 3):reshape(3, 8)
    local expect = {}
    local src = seq({ 2, 3, 4 })
    for j = 1, 3 do
      for i = 1, 2 do
        for k = 1, 4 do expect[#expect + 1] = src[i][j][k] end
      end
    end
    assert.are.same(expect, flat(p))
  end)
end)

-- indexing -----------------------------------------------------------------

describe("indexing", function()
  it("t[i] gives a number for 1-d tensors and a row view otherwise", function()
    local v = mien.tensor({ 5, 6, 7 })
    assert.are.equal(6, v[2])
    local m = seq({ 2, 3 })
    local row = m[2]
    assert.are.same({ 4, 5, 6 }, row:totable())
    row[1] = 40
    assert.are.equal(40, m[2][1])
  end)

  it("t[i] = v writes numbers and tensors", function()
    local v = mien.zeros(3)
    v[2] = 4
    assert.are.same({ 0, 4, 0 }, v:totable())
    local m = mien.zeros(2, 3)
    m[1] = 7
    m[2] = mien.tensor({ 1, 2, 3 })
    assert.are.same({ { 7, 7, 7 }, { 1, 2, 3 } }, m:totable())
    m[2] = mien.tensor({ 9 }) -- broadcast
    assert.are.same({ 9, 9, 9 }, m[2]:totable())
  end)

  it("rejects indices out of range", function()
    local v = mien.zeros(3)
    assert.has_error(function() return v[0] end)
    assert.has_error(function() return v[4] end)
    assert.has_error(function() v[4] = 1 end)
    assert.has_error(function() return mien.tensor(1)[1] end)
  end)

  it("item reads one-element tensors of any dim", function()
    assert.are.equal(5, mien.tensor({ { 5 } }):item())
    assert.are.equal(2.5, mien.tensor({ 2.5 }, { dtype = "float64" }):item())
    assert.has_error(function() mien.zeros(2):item() end)
  end)
end)

-- printing -----------------------------------------------------------------

describe("printing", function()
  it("shows the values, dtype and shape", function()
    local s = tostring(mien.tensor({ { 1.5, -2 }, { 3, 4 } }))
    assert.truthy(s:find("1.5000", 1, true), s)
    assert.truthy(s:find("-2.0000", 1, true), s)
    assert.truthy(s:find("float32", 1, true), s)
    assert.truthy(s:find("[2,2]", 1, true), s)
  end)

  it("prints integers without a fraction", function()
    local s = tostring(mien.tensor({ 1, 22, 333 }, { dtype = "int64" }))
    assert.truthy(s:find("333", 1, true), s)
    assert.falsy(s:find("333.", 1, true), s)
    assert.truthy(s:find("int64", 1, true), s)
  end)

  it("summarises long dims with an ellipsis", function()
    local s = tostring(mien.arange(1000))
    assert.truthy(s:find("...", 1, true), s)
    assert.truthy(s:find("999", 1, true), s)
    assert.falsy(s:find("500", 1, true), s)
  end)

  it("prints 3-d tensors as 2-d slices", function()
    local s = tostring(seq({ 2, 2, 2 }))
    assert.truthy(s:find("(1,.,.)", 1, true), s)
    assert.truthy(s:find("(2,.,.)", 1, true), s)
    assert.truthy(s:find("8", 1, true), s)
  end)

  it("notes requires_grad and prints 0-d, empty and non-finite tensors", function()
    assert.truthy(tostring(mien.ones(2, { requires_grad = true })):find("requires_grad", 1, true))
    assert.truthy(tostring(mien.tensor(2.5)):find("2.5", 1, true))
    assert.truthy(tostring(mien.zeros(0)):find("[]", 1, true))
    local s = tostring(mien.tensor({ 0 / 0, 1 / 0, -1 / 0 }))
    assert.truthy(s:find("nan", 1, true) and s:find("-inf", 1, true), s)
  end)

  it("keeps small values visible next to large ones", function()
    local s = tostring(mien.tensor({ 1e-5, 2 }))
    local first = s:match("^%s*(%S+)")
    assert.is_true(tonumber(first) ~= nil and tonumber(first) > 0, "1e-5 printed as " .. tostring(first) .. "\n" .. s)
  end)
end)

-- joins and indexing with tensors -------------------------------------------

describe("cat and stack", function()
  it("cat joins along a dim (default 1, negative allowed)", function()
    local a, b = seq({ 2, 2 }), seq({ 1, 2 }, 10)
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 10, 11 } }, mien.cat({ a, b }):totable())
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 10, 11 } }, mien.cat({ a, b }, 1):totable())
    local c = seq({ 2, 1 }, 20)
    assert.are.same({ { 1, 2, 20 }, { 3, 4, 21 } }, mien.cat({ a, c }, 2):totable())
    assert.are.same({ { 1, 2, 20 }, { 3, 4, 21 } }, mien.cat({ a, c }, -1):totable())
  end)

  it("cat of many tensors and of strided views", function()
    local parts = {}
    for i = 1, 9 do parts[i] = mien.full({ 1, 2 }, i) end
    local c = mien.cat(parts, 1)
    assert.are.same({ 9, 2 }, c:shape())
    for i = 1, 9 do assert.are.same({ i, i }, c[i]:totable()) end
    local t = seq({ 2, 3 }):t()
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 }, { 1, 4 }, { 2, 5 }, { 3, 6 } }, mien.cat({ t, t }, 1):totable())
  end)

  it("stack adds a new dim (default 1, last with -1)", function()
    local a, b = mien.tensor({ 1, 2, 3 }), mien.tensor({ 4, 5, 6 })
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, mien.stack({ a, b }):totable())
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, mien.stack({ a, b }, 2):totable())
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, mien.stack({ a, b }, -1):totable())
    assert.are.same({ 3, 2, 2 }, mien.stack({ seq({ 2, 2 }), seq({ 2, 2 }), seq({ 2, 2 }) }):shape())
  end)
end)

describe("index_select and gather", function()
  it("index_select takes 1-based indices from a table or an int64 tensor", function()
    local t = seq({ 3, 2 })
    assert.are.same({ { 5, 6 }, { 1, 2 }, { 5, 6 } }, t:index_select(1, { 3, 1, 3 }):totable())
    local idx = mien.tensor({ 2, 2 }, { dtype = "int64" })
    assert.are.same({ { 2, 2 }, { 4, 4 }, { 6, 6 } }, t:index_select(2, idx):totable())
    assert.are.same({ { 2, 2 }, { 4, 4 }, { 6, 6 } }, t:index_select(-1, idx):totable())
  end)

  it("index_select copies (does not share storage)", function()
    local t = seq({ 3 })
    local s = t:index_select(1, { 1 })
    s[1] = 100
    assert.are.equal(1, t[1])
  end)

  it("gather picks along a dim with 1-based indices", function()
    local t = seq({ 2, 3 })
    local idx = mien.tensor({ { 3, 1 }, { 2, 2 } }, { dtype = "int64" })
    assert.are.same({ { 3, 1 }, { 5, 5 } }, t:gather(2, idx):totable())
    local idx0 = mien.tensor({ { 2, 1, 2 } }, { dtype = "int64" })
    assert.are.same({ { 4, 2, 6 } }, t:gather(1, idx0):totable())
    -- on a transposed input
    assert.are.same({ { 4, 1 }, { 5, 5 } }, t:t():gather(2, mien.tensor({ { 2, 1 }, { 2, 2 } }, { dtype = "int64" })):totable())
  end)
end)

-- in place -------------------------------------------------------------------

describe("in-place ops", function()
  it("fill_ and zero_ write every element, also through strided views", function()
    local t = mien.zeros(3, 4)
    t:fill_(2)
    assert.are.same({ 2, 2, 2, 2 }, t[3]:totable())
    t:t():narrow(1, 1, 1):fill_(5)
    assert.are.same({ 5, 5, 5 }, t:select(2, 1):totable())
    assert.are.same({ 2, 2, 2 }, t:select(2, 2):totable())
    t:zero_()
    assert.are.equal(0, t:sum():item())
  end)

  it("copy_ broadcasts and converts dtypes", function()
    local t = mien.zeros(2, 3)
    t:copy_(mien.tensor({ 1, 2, 3 }, { dtype = "int64" }))
    assert.are.same({ { 1, 2, 3 }, { 1, 2, 3 } }, t:totable())
    local d = mien.zeros(2, 3, { dtype = "float64" })
    d:copy_(seq({ 3, 2 }):t())
    assert.are.same({ { 1, 3, 5 }, { 2, 4, 6 } }, d:totable())
    local i = mien.zeros(2, { dtype = "int64" }):copy_(mien.tensor({ 1.9, -1.9 }))
    assert.are.same({ 1, -1 }, i:totable())
  end)

  it("add_ adds a tensor (broadcast, with alpha) or a number", function()
    local t = mien.ones(2, 3)
    t:add_(mien.tensor({ 1, 2, 3 }))
    assert.are.same({ { 2, 3, 4 }, { 2, 3, 4 } }, t:totable())
    t:add_(mien.ones(2, 3), -2)
    assert.are.same({ { 0, 1, 2 }, { 0, 1, 2 } }, t:totable())
    t:add_(10)
    assert.are.same({ 10, 11, 12 }, t[1]:totable())
    local v = mien.zeros(3, 3)
    v:t():add_(mien.tensor({ 1, 2, 3 }))
    assert.are.same({ { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 } }, v:totable())
  end)

  it("mul_ scales in place and returns the tensor", function()
    local t = mien.tensor({ 1, 2 })
    assert.are.equal(t, t:mul_(3))
    assert.are.same({ 3, 6 }, t:totable())
  end)
end)

-- elementwise ----------------------------------------------------------------

local binary_ops = {
  { "add", function(x, y) return x + y end },
  { "sub", function(x, y) return x - y end },
  { "mul", function(x, y) return x * y end },
  { "div", function(x, y) return x / y end },
  { "pow", function(x, y) return x ^ y end },
  { "maximum", function(x, y) return math.max(x, y) end },
  { "minimum", function(x, y) return math.min(x, y) end },
}

local comparisons = {
  { "eq", function(x, y) return x == y end },
  { "ne", function(x, y) return x ~= y end },
  { "lt", function(x, y) return x < y end },
  { "le", function(x, y) return x <= y end },
  { "gt", function(x, y) return x > y end },
  { "ge", function(x, y) return x >= y end },
}

local broadcast_shapes = {
  { { 2, 3 }, { 2, 3 } },
  { { 2, 3 }, { 3 } },
  { { 3 }, { 2, 3 } },
  { { 2, 1 }, { 1, 3 } },
  { { 3, 1, 2 }, { 4, 1 } },
  { { 1 }, { 2, 2, 2 } },
  { { 2, 3, 4 }, {} },
  { {}, { 2, 3 } },
  { { 5, 1, 4 }, { 5, 3, 1 } },
}

-- small positive values so pow and div stay tame
local function values(shape, seed, dtype)
  mien.manual_seed(seed)
  local t = (mien.rand(shape, { dtype = "float64" }) * 2 + 0.5):round() * 0.5 + 0.25
  return dtype and t:to(dtype) or t
end

describe("broadcasting binary ops", function()
  for _, op in ipairs(binary_ops) do
    for _, shapes in ipairs(broadcast_shapes) do
      it(string.format("%s of [%s] and [%s]", op[1], table.concat(shapes[1], ","), table.concat(shapes[2], ",")), function()
        local a, b = values(shapes[1], 1, "float64"), values(shapes[2], 2, "float64")
        local expect, shape = broadcast_ref(a, b, op[2])
        local out = a[op[1]](a, b)
        assert.are.same(shape, out:shape())
        assert_close(flat(out), expect, 1e-12, op[1])
        -- the same in float32, through a transposed (strided) operand where possible
        local a32 = a:float()
        if #shapes[1] == 2 then a32 = a32:t():contiguous():t() end
        local out32 = a32[op[1]](a32, b:float())
        assert.are.equal("float32", out32:dtype())
        assert_close(flat(out32), expect, 1e-6, op[1] .. " float32")
      end)
    end
  end

  for _, op in ipairs(binary_ops) do
    it(op[1] .. " with a number on either side", function()
      local a = values({ 2, 3 }, 3, "float64")
      local fa = flat(a)
      local right, left = {}, {}
      for i, x in ipairs(fa) do
        right[i] = op[2](x, 1.5)
        left[i] = op[2](1.5, x)
      end
      assert_close(flat(a[op[1]](a, 1.5)), right, 1e-12, op[1] .. " tensor, number")
      local meta = ({ add = "__add", sub = "__sub", mul = "__mul", div = "__div", pow = "__pow" })[op[1]]
      if meta then
        local mt = getmetatable(a)
        assert_close(flat(mt[meta](a, 1.5)), right, 1e-12, op[1] .. " operator tensor, number")
        assert_close(flat(mt[meta](1.5, a)), left, 1e-12, op[1] .. " operator number, tensor")
      else
        assert_close(flat(a[op[1]](a, mien.tensor(1.5, { dtype = "float64" }))), right, 1e-12)
      end
    end)
  end

  it("arithmetic operators", function()
    local a, b = mien.tensor({ 1, 2, 3 }), mien.tensor({ 4, 5, 6 })
    assert.are.same({ 5, 7, 9 }, (a + b):totable())
    assert.are.same({ -3, -3, -3 }, (a - b):totable())
    assert.are.same({ 4, 10, 18 }, (a * b):totable())
    assert.are.same({ 0.25, 0.4, 0.5 }, flat((a:double() / b:double())))
    assert.are.same({ 1, 4, 9 }, (a ^ 2):totable())
    assert.are.same({ 2, 4, 8 }, (2 ^ a):totable())
    assert.are.same({ 9, 8, 7 }, (10 - a):totable())
    assert.are.same({ 6, 3, 2 }, (6 / a):totable())
    assert.are.same({ -1, -2, -3 }, (-a):totable())
    assert.are.same({ 3, 4, 5 }, (2 + a):totable())
    assert.are.same({ 2, 4, 6 }, (2 * a):totable())
  end)

  for _, op in ipairs(comparisons) do
    it(op[1] .. " gives uint8, broadcasts and takes numbers", function()
      local a = mien.tensor({ { 1, 2, 3 }, { 3, 2, 1 } })
      local b = mien.tensor({ 2, 2, 2 })
      local out = a[op[1]](a, b)
      assert.are.equal("uint8", out:dtype())
      local expect = broadcast_ref(a, b, function(x, y) return op[2](x, y) and 1 or 0 end)
      assert.are.same(expect, flat(out))
      local s = a[op[1]](a, 2)
      assert.are.equal("uint8", s:dtype())
      assert.are.same(expect, flat(s))
      local i = mien.tensor({ 1, 2, 3 }, { dtype = "int64" })
      assert.are.equal("uint8", i[op[1]](i, 2):dtype())
    end)
  end

  it("maximum and minimum with a NaN give NaN", function()
    local a, b = mien.tensor({ 0 / 0, 1 }), mien.tensor({ 1, 0 / 0 })
    for _, op in ipairs { "maximum", "minimum" } do
      local r = a[op](a, b)
      assert.is_true(r[1] ~= r[1] and r[2] ~= r[2], op)
    end
  end)

  it("unary ops match the math library", function()
    local x = mien.tensor({ 0.3, 1.7, 2.5, 4.0 }, { dtype = "float64" })
    local fx = flat(x)
    local function map(f)
      local out = {}
      for i, v in ipairs(fx) do out[i] = f(v) end
      return out
    end
    assert_close(flat(x:exp()), map(math.exp), 1e-12, "exp")
    assert_close(flat(x:log()), map(math.log), 1e-12, "log")
    assert_close(flat(x:sqrt()), map(math.sqrt), 1e-12, "sqrt")
    assert_close(flat(x:rsqrt()), map(function(v) return 1 / math.sqrt(v) end), 1e-12, "rsqrt")
    assert_close(flat(x:sin()), map(math.sin), 1e-12, "sin")
    assert_close(flat(x:cos()), map(math.cos), 1e-12, "cos")
    assert_close(flat(x:tanh()), map(function(v) return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1) end), 1e-12, "tanh")
    assert_close(flat(x:sigmoid()), map(function(v) return 1 / (1 + math.exp(-v)) end), 1e-12, "sigmoid")
    local y = mien.tensor({ -2.5, -0.5, 0, 0.5, 1.5, 7 })
    assert.are.same({ 2.5, 0.5, 0, 0.5, 1.5, 7 }, y:abs():totable())
    assert.are.same({ -1, -1, 0, 1, 1, 1 }, y:sign():totable())
    assert.are.same({ 0, 0, 0, 0.5, 1.5, 7 }, y:relu():totable())
    assert.are.same({ 0, 0, 0, 0.5, 1.5, 6 }, y:relu6():totable())
    assert.are.same({ -3, -1, 0, 0, 1, 7 }, y:floor():totable())
    assert.are.same({ -2, -0, 0, 1, 2, 7 }, y:ceil():totable())
    assert.are.same({ -2, -0, 0, 0, 2, 7 }, y:round():totable())
    assert.are.same({ 2.5, 0.5, -0, -0.5, -1.5, -7 }, y:neg():totable())
    assert_close(flat(y:leaky_relu(0.1)), { -0.25, -0.05, 0, 0.5, 1.5, 7 }, 1e-6, "leaky_relu")
  end)

  it("unary float ops on integer tensors give float32", function()
    local i = mien.tensor({ 1, 4 }, { dtype = "int64" })
    assert.are.equal("float32", i:sqrt():dtype())
    assert.are.same({ 1, 2 }, i:sqrt():totable())
    assert.are.equal("int64", i:abs():dtype())
    assert.are.equal("int64", (-i):dtype())
  end)
end)

describe("where and clamp", function()
  it("where picks by a uint8 condition with broadcasting", function()
    local c = mien.tensor({ 1, 0, 1 }, { dtype = "uint8" })
    local a = mien.tensor({ { 1, 2, 3 }, { 4, 5, 6 } })
    local b = mien.tensor({ { -1 }, { -2 } })
    assert.are.same({ { 1, -1, 3 }, { 4, -2, 6 } }, mien.where(c, a, b):totable())
  end)

  it("where takes a comparison and numbers on either side", function()
    local x = mien.tensor({ -2, -1, 0, 1, 2 })
    assert.are.same({ 0, 0, 0, 1, 2 }, mien.where(x:gt(0), x, 0):totable())
    assert.are.same({ -2, -1, 9, 9, 9 }, mien.where(x:ge(0), 9, x):totable())
  end)

  it("where treats any nonzero condition as true, whatever its dtype", function()
    local a, b = mien.ones(4), mien.zeros(4)
    assert.are.same({ 1, 0, 1, 1 }, mien.where(mien.tensor({ 0.3, 0, -1, 2 }), a, b):totable())
    assert.are.same({ 1, 0, 1, 1 }, mien.where(mien.tensor({ 5, 0, -3, 1 }, { dtype = "int64" }), a, b):totable())
    assert.are.same({ 1, 0, 1, 1 }, mien.where(mien.tensor({ 7, 0, 255, 1 }, { dtype = "uint8" }), a, b):totable())
  end)

  it("clamp bounds below, above or both", function()
    local x = mien.tensor({ -3, -1, 0, 2, 5 })
    assert.are.same({ -1, -1, 0, 2, 3 }, x:clamp(-1, 3):totable())
    assert.are.same({ 0, 0, 0, 2, 5 }, x:clamp(0):totable())
    assert.are.same({ -3, -1, 0, 1, 1 }, x:clamp(nil, 1):totable())
    assert.are.same({ 0, 0, 0, 2, 2 }, mien.tensor({ -3, -1, 0, 2, 5 }, { dtype = "int64" }):clamp(0, 2):totable())
    assert.are.same({ 2, 2, 2, 2, 2 }, x:clamp(2, 2):totable())
    assert.has_error(function() x:clamp(3, 1) end, "clamp: lower bound 3 is above the upper bound 1")
  end)
end)

describe("large tensors", function()
  -- long enough for the chunked inner loops and the threaded paths
  it("elementwise ops through chunks and threads agree with a transposed layout", function()
    mien.manual_seed(11)
    local a = mien.randn({ 3, 40000 }, { dtype = "float64" })
    local b = mien.randn({ 40000 }, { dtype = "float64" })
    local direct = a * b + a
    local strided = a:t():contiguous():t()
    assert.is_false(strided:is_contiguous())
    assert.are.equal(0, (direct - (strided * b + strided)):abs():max():item())
    local col = mien.randn({ 40000, 1 }, { dtype = "float64" })
    local sum = (a:t() + col):t() -- [3,40000], column broadcast
    for _, j in ipairs { 1, 16384, 16385, 32768, 40000 } do
      for i = 1, 3 do
        assert.are.equal(a[i][j] + col[j][1], sum[i][j], string.format("(%d,%d)", i, j))
      end
    end
  end)

  it("reductions over long dims and many outputs", function()
    mien.manual_seed(12)
    local a = mien.randn({ 40000, 20 }, { dtype = "float64" })
    local s1, s2 = a:sum(1), a:t():contiguous():sum(2)
    assert.is_true((s1 - s2):abs():max():item() < 1e-9)
    local v, i = a:max(1)
    local ref = a:t():contiguous():max(2)
    assert.are.equal(0, (v - ref):abs():max():item())
    for j = 1, 20, 7 do assert.are.equal(v[j], a[i[j]][j]) end
    local total = 0
    for _, x in ipairs(flat(a:sum(2))) do total = total + x end
    assert.is_true(math.abs(a:sum():item() - total) < 1e-8)
    assert.is_true(math.abs(a:mean():item() - total / 800000) < 1e-12)
  end)

  it("fill_, copy_ and add_ over a big strided view", function()
    local t = mien.zeros(40000, 3)
    t:t():narrow(1, 2, 1):fill_(2)
    assert.are.equal(80000, t:sum():item())
    local d = mien.zeros(3, 40000)
    d:copy_(t:t())
    assert.are.equal(80000, d:sum():item())
    d:t():add_(mien.ones(3), 0.5)
    assert.are.equal(80000 + 60000, d:sum():item())
  end)
end)

describe("edge cases", function()
  it("integer arithmetic wraps for uint8 and divides into floats", function()
    local u = mien.tensor({ 250, 10 }, { dtype = "uint8" }) + mien.tensor({ 10, 10 }, { dtype = "uint8" })
    assert.are.same({ 4, 20 }, u:totable())
    assert.are.same({ 3.5, -3.5 }, (mien.tensor({ 7, -7 }, { dtype = "int64" }) / 2):totable())
    assert.are.same({ 9, 16 }, (mien.tensor({ 3, 4 }, { dtype = "int64" }) ^ 2):totable())
  end)

  it("empty tensors reduce and multiply", function()
    assert.are.same({ 0, 0, 0 }, mien.zeros(0, 3):sum(1):totable())
    assert.are.same({ 2, 3 }, mien.zeros(2, 0):matmul(mien.zeros(0, 3)):shape())
    assert.are.equal(0, mien.zeros(2, 0):matmul(mien.zeros(0, 3)):abs():sum():item())
    assert.are.same({ 0, 2 }, mien.zeros(0, 3):matmul(mien.zeros(3, 2)):shape())
    assert.has_error(function() mien.zeros(0, 3):max(1) end)
  end)

  it("0-d tensors expand, reduce and squeeze", function()
    assert.are.same({ { 3, 3 }, { 3, 3 } }, mien.tensor(3):expand(2, 2):totable())
    assert.are.equal(0, mien.ones(1, 1, 1):squeeze():dim())
    assert.are.equal(1, mien.tensor(5):argmax():item())
    assert.are.equal(5, mien.tensor(5):sum():item())
    assert.are.same({ 1 }, mien.tensor(5):reshape(1):shape())
  end)

  it("a batched matmul with an expanded batch operand", function()
    mien.manual_seed(13)
    local a = mien.randn(1, 3, 4):expand(5, 3, 4)
    local b = mien.randn(5, 4, 2)
    assert.is_true((a:matmul(b) - a:contiguous():matmul(b)):abs():max():item() < 1e-6)
  end)
end)

-- reductions -----------------------------------------------------------------

-- Lua reference: reduce flat values of `shape` over the dims in `mask` (1-based set)
local function reduce_ref(t, dims, f, init)
  local shape, vals = t:shape(), flat(t)
  local mask = {}
  for _, d in ipairs(dims) do mask[d < 0 and #shape + 1 + d or d] = true end
  local oshape, acc = {}, {}
  for d = 1, #shape do if not mask[d] then oshape[#oshape + 1] = shape[d] end end
  for lin = 0, #vals - 1 do
    local rem, key, stride = lin, 0, 1
    local idx = {}
    for d = #shape, 1, -1 do
      idx[d] = rem % shape[d]
      rem = rem // shape[d]
    end
    for d = #shape, 1, -1 do
      if not mask[d] then
        key = key + idx[d] * stride
        stride = stride * shape[d]
      end
    end
    acc[key + 1] = f(acc[key + 1] == nil and init or acc[key + 1], vals[lin + 1])
  end
  return acc, oshape
end

describe("reductions", function()
  local x = seq({ 2, 3, 4 }, 1, { dtype = "float64" }):sin()

  it("sum over all dims gives a 0-d tensor", function()
    local s = x:sum()
    assert.are.equal(0, s:dim())
    local e = 0
    for _, v in ipairs(flat(x)) do e = e + v end
    assert.is_true(math.abs(s:item() - e) < 1e-12)
  end)

  for _, dims in ipairs { { 1 }, { 2 }, { 3 }, { -1 }, { -3 }, { 1, 3 }, { 2, 3 }, { -1, 1 }, { 1, 2, 3 } } do
    local name = "[" .. table.concat(dims, ",") .. "]"
    it("sum, mean, max, min and prod over " .. name .. " with and without keepdim", function()
      local arg = #dims == 1 and dims[1] or dims
      local cases = {
        { "sum", function(a, v) return a + v end, 0, 1 },
        { "mean", function(a, v) return a + v end, 0, "n" },
        { "max", math.max, -math.huge, 1 },
        { "min", math.min, math.huge, 1 },
        { "prod", function(a, v) return a * v end, 1, 1 },
      }
      for _, c in ipairs(cases) do
        local expect, oshape = reduce_ref(x, dims, c[2], c[3])
        if c[4] == "n" then
          local n = x:numel() // numel(oshape)
          for i = 1, #expect do expect[i] = expect[i] / n end
        end
        local out
        if (c[1] == "max" or c[1] == "min") and #dims == 1 then
          out = x[c[1]](x, arg) -- values (and indices, checked elsewhere)
        else
          out = x[c[1]](x, arg)
        end
        assert.are.same(oshape, out:shape(), c[1] .. name)
        assert_close(flat(out), expect, 1e-12, c[1] .. name)
        local kept = x[c[1]](x, arg, true)
        local kshape = x:shape()
        for _, d in ipairs(dims) do kshape[d < 0 and #kshape + 1 + d or d] = 1 end
        assert.are.same(kshape, kept:shape(), c[1] .. name .. " keepdim")
        assert_close(flat(kept), expect, 1e-12, c[1] .. name .. " keepdim")
      end
    end)
  end

  it("reduces strided views correctly", function()
    local t = seq({ 3, 4 }, 1, { dtype = "float64" }):t() -- [4,3]
    assert.are.same({ 15, 18, 21, 24 }, t:sum(2):totable())
    assert.are.same({ 10, 26, 42 }, t:sum(1):totable())
    assert.are.same({ 9, 10, 11, 12 }, t:max(2):totable())
    local n = seq({ 4, 6 }):narrow(2, 2, 3)
    assert.are.same({ 9, 27, 45, 63 }, n:sum(2):totable())
  end)

  it("sums of integer tensors stay integers; means become floats", function()
    local i = mien.tensor({ 200, 200, 200 }, { dtype = "uint8" })
    assert.are.equal(600, i:sum():item())
    local l = mien.tensor({ 1, 2 }, { dtype = "int64" })
    assert.are.equal("int64", l:sum():dtype())
    assert.are.equal(1.5, l:mean():item())
  end)

  it("max and min along a dim give values and 1-based indices", function()
    local t = mien.tensor({ { 3, 9, 1 }, { 7, 2, 8 } })
    local v, i = t:max(2)
    assert.are.same({ 9, 8 }, v:totable())
    assert.are.same({ 2, 3 }, i:totable())
    assert.are.equal("int64", i:dtype())
    v, i = t:min(1)
    assert.are.same({ 3, 2, 1 }, v:totable())
    assert.are.same({ 1, 2, 1 }, i:totable())
    v, i = t:max(-1, true)
    assert.are.same({ 2, 1 }, v:shape())
    assert.are.same({ { 2 }, { 3 } }, i:totable())
    assert.are.equal(9, t:max():item())
    assert.are.equal(1, t:min():item())
  end)

  it("argmax and argmin are 1-based, overall and along a dim", function()
    local t = mien.tensor({ { 3, 9, 1 }, { 7, 2, 8 } })
    assert.are.equal(2, t:argmax():item())
    assert.are.equal(3, t:argmin():item())
    assert.are.same({ 2, 1, 2 }, t:argmax(1):totable())
    assert.are.same({ 2, 3 }, t:argmax(2):totable())
    assert.are.same({ 3, 2 }, t:argmin(2):totable())
    assert.are.same({ { 2 }, { 3 } }, t:argmax(2, true):totable())
    assert.are.same({ 2, 3 }, t:t():argmax(1):totable())
    -- ties: the first one
    assert.are.equal(1, mien.tensor({ 5, 5, 5 }):argmax():item())
  end)

  it("var and std are unbiased by default", function()
    local t = mien.tensor({ { 1, 2, 3, 4 }, { 2, 4, 6, 8 } }, { dtype = "float64" })
    assert.is_true(math.abs(t:var():item() - 37.5 / 7) < 1e-12, "var all")
    assert_close(flat(t:var(2)), { 5 / 3, 20 / 3 }, 1e-12, "var dim 2")
    assert_close(flat(t:var(1)), { 0.5, 2, 4.5, 8 }, 1e-12, "var dim 1")
    assert_close(flat(t:std(2)), { math.sqrt(5 / 3), math.sqrt(20 / 3) }, 1e-12, "std dim 2")
    assert_close(flat(t:var(2, { unbiased = false })), { 1.25, 5 }, 1e-12, "biased var")
    assert.are.same({ 2, 1 }, t:var(2, { keepdim = true }):shape())
    assert_close(flat(t:var({ 1, 2 })), { 37.5 / 7 }, 1e-12, "var over both dims")
  end)
end)

-- matmul ---------------------------------------------------------------------

describe("matmul", function()
  local function check(a, b, expect_shape)
    local out = a:matmul(b)
    assert.are.same(expect_shape, out:shape())
    -- reference: loop over the broadcast batch
    local ash, bsh = a:shape(), b:shape()
    local A = #ash == 1 and a:reshape(1, ash[1]) or a
    local B = #bsh == 1 and b:reshape(bsh[1], 1) or b
    local M, K, N = A:size(-2), A:size(-1), B:size(-1)
    local ab, bb = {}, {}
    for d = 1, A:dim() - 2 do ab[d] = A:size(d) end
    for d = 1, B:dim() - 2 do bb[d] = B:size(d) end
    local nb = math.max(#ab, #bb)
    local batch = {}
    for d = 1, nb do
      local x, y = ab[d - (nb - #ab)] or 1, bb[d - (nb - #bb)] or 1
      batch[d] = x == 1 and y or x
    end
    local Ae = A:expand(table.unpack((function()
      local s = {}
      for d = 1, nb do s[d] = batch[d] end
      s[nb + 1], s[nb + 2] = M, K
      return s
    end)())):reshape(-1, M, K)
    local Be = B:expand(table.unpack((function()
      local s = {}
      for d = 1, nb do s[d] = batch[d] end
      s[nb + 1], s[nb + 2] = K, N
      return s
    end)())):reshape(-1, K, N)
    local expect = {}
    for i = 1, Ae:size(1) do
      for _, v in ipairs(naive_matmul(flat(Ae[i]), flat(Be[i]), M, K, N)) do expect[#expect + 1] = v end
    end
    assert_close(flat(out), expect, a:dtype() == "float64" and 1e-12 or 1e-5, "matmul")
  end

  local function r(...)
    mien.manual_seed(select("#", ...) * 7 + select(1, ...))
    return mien.randn({ ... }, { dtype = "float64" })
  end

  it("1-d with 1-d is a dot product", function() check(r(5), r(5), {}) end)
  it("2-d with 1-d", function() check(r(3, 4), r(4), { 3 }) end)
  it("1-d with 2-d", function() check(r(4), r(4, 3), { 3 }) end)
  it("2-d with 2-d", function() check(r(3, 4), r(4, 5), { 3, 5 }) end)
  it("2-d with 2-d in float32", function() check(r(6, 7):float(), r(7, 2):float(), { 6, 2 }) end)
  it("batched 3-d", function() check(r(2, 3, 4), r(2, 4, 5), { 2, 3, 5 }) end)
  it("batched with a 2-d right operand", function() check(r(2, 3, 4), r(4, 5), { 2, 3, 5 }) end)
  it("2-d left operand with a batch on the right", function() check(r(3, 4), r(2, 4, 5), { 2, 3, 5 }) end)
  it("broadcast batch dims", function() check(r(2, 1, 3, 4), r(5, 4, 2), { 2, 5, 3, 2 }) end)
  it("1-d with a batch", function() check(r(4), r(2, 4, 3), { 2, 3 }) end)
  it("batch with 1-d", function() check(r(2, 3, 4), r(4), { 2, 3 }) end)
  it("transposed left operand", function() check(r(4, 3):t(), r(4, 5), { 3, 5 }) end)
  it("transposed right operand", function() check(r(3, 4), r(5, 4):t(), { 3, 5 }) end)
  it("both operands transposed", function() check(r(4, 3):t(), r(5, 4):t(), { 3, 5 }) end)
  it("batched transposed operands", function() check(r(2, 4, 3):transpose(2, 3), r(2, 5, 4):transpose(-1, -2), { 2, 3, 5 }) end)
  it("narrowed (strided) operands", function() check(r(3, 8):narrow(2, 2, 4), r(6, 5):narrow(1, 3, 4), { 3, 5 }) end)
  it("a column of a matrix as the vector", function() check(r(3, 4), r(4, 6):select(2, 3), { 3 }) end)
  it("a row-vector from a transposed matrix", function() check(r(5, 1):t(), r(5, 3), { 1, 3 }) end)
  it("expanded operands", function() check(r(1, 4):expand(3, 4), r(4, 1):expand(4, 5), { 3, 5 }) end)
  it("mm is matmul", function()
    local a, b = r(2, 3), r(3, 2)
    assert.are.same(flat(a:matmul(b)), flat(a:mm(b)))
  end)
end)

-- random ---------------------------------------------------------------------

describe("random numbers", function()
  it("manual_seed makes rand, randn, bernoulli and randperm reproducible", function()
    local function draw()
      return { flat(mien.rand(5)), flat(mien.randn(5)), flat(mien.bernoulli({ 5 }, 0.5)), flat(mien.randperm(5)) }
    end
    mien.manual_seed(123)
    local a = draw()
    mien.manual_seed(123)
    local b = draw()
    assert.are.same(a, b)
    mien.manual_seed(124)
    assert.are_not.same(a[1], draw()[1])
  end)

  it("consecutive draws differ", function()
    mien.manual_seed(5)
    assert.are_not.same(flat(mien.rand(4)), flat(mien.rand(4)))
  end)

  it("rand lies in [0, 1) and fills the interval", function()
    mien.manual_seed(1)
    local t = mien.rand({ 100000 }, { dtype = "float64" })
    assert.is_true(t:min():item() >= 0)
    assert.is_true(t:max():item() < 1)
    assert.is_true(t:min():item() < 0.001 and t:max():item() > 0.999)
    assert.is_true(math.abs(t:mean():item() - 0.5) < 0.01)
    local f = mien.rand(1000)
    assert.are.equal("float32", f:dtype())
    assert.is_true(f:max():item() < 1 and f:min():item() >= 0)
  end)

  it("randn has mean 0 and std 1 over 100k samples", function()
    mien.manual_seed(2)
    local t = mien.randn({ 100000 }, { dtype = "float64" })
    assert.is_true(math.abs(t:mean():item()) < 0.02, "mean " .. t:mean():item())
    assert.is_true(math.abs(t:std():item() - 1) < 0.02, "std " .. t:std():item())
    -- about 68% within one std
    local within = t:abs():lt(1):sum():item() / 100000
    assert.is_true(math.abs(within - 0.6827) < 0.01, "within 1 std: " .. within)
  end)

  it("uniform_ and normal_ fill in place with the given parameters", function()
    mien.manual_seed(3)
    local u = mien.zeros(50000, { dtype = "float64" }):uniform_(-2, 4)
    assert.is_true(u:min():item() >= -2 and u:max():item() < 4)
    assert.is_true(math.abs(u:mean():item() - 1) < 0.05)
    local n = mien.zeros(50000, { dtype = "float64" }):normal_(3, 0.5)
    assert.is_true(math.abs(n:mean():item() - 3) < 0.02)
    assert.is_true(math.abs(n:std():item() - 0.5) < 0.02)
  end)

  it("bernoulli gives 0/1 at the requested rate", function()
    mien.manual_seed(4)
    local b = mien.bernoulli({ 100000 }, 0.3)
    local ones = b:eq(1):sum():item()
    local zeros = b:eq(0):sum():item()
    assert.are.equal(100000, ones + zeros)
    assert.is_true(math.abs(ones / 100000 - 0.3) < 0.01, "rate " .. ones / 100000)
    assert.are.equal(0, mien.bernoulli({ 1000 }, 0):sum():item())
    assert.are.equal(1000, mien.bernoulli({ 1000 }, 1):sum():item())
  end)

  it("randperm is a 1-based permutation", function()
    mien.manual_seed(6)
    for _, n in ipairs { 1, 2, 10, 1000 } do
      local p = mien.randperm(n)
      assert.are.equal("int64", p:dtype())
      local seen = {}
      for _, v in ipairs(flat(p)) do
        assert.is_true(v >= 1 and v <= n and not seen[v], "randperm(" .. n .. ") value " .. v)
        seen[v] = true
      end
    end
    local p = flat(mien.randperm(1000))
    local fixed = 0
    for i, v in ipairs(p) do if i == v then fixed = fixed + 1 end end
    assert.is_true(fixed < 10, "a shuffled permutation has few fixed points")
  end)

  it("rng_state and set_rng_state resume a stream", function()
    mien.manual_seed(8)
    mien.rand(3)
    local s, c = mien.rng_state()
    local a = flat(mien.rand(4))
    mien.set_rng_state(s, c)
    assert.are.same(a, flat(mien.rand(4)))
  end)
end)
