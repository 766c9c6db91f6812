--- TF.js graph models (a TensorFlow GraphDef in JSON plus weight shards) as
-- mien nn Modules.
--
--   local graph = require "mien.tfjs.graph"
--   local net = graph.load("human-models/mobilefacenet.json")
--   local y = net(x)                  -- x: NCHW float32 (net.input_format = "NHWC" takes TF layout)
--   local a, b = net:forward_outputs(x, {"node/a", "node/b"})
--   local backbone = net:cut("MobileFaceNet/Logits/SeparableConv2d/depthwise")
--
-- Execution works in NCHW: 4-d activations are kept channels-first
-- internally, TF axes in Mean/Sum/Pad/Concat are mapped onto them, and
-- ops whose meaning depends on the memory order (Reshape, Squeeze, Softmax,
-- Pack...) see the value transposed back to TF's NHWC order first, so
-- flattening follows TF's order. Outputs that are 4-d come back NCHW; others
-- in TF's layout (which is the same for [N,D] features).
--
-- Parameters: every float Const of rank >= 1 is a parameter named by its
-- node name (conv filters stored OIHW, depthwise filters [C*M,1,kh,kw],
-- MatMul weights [out,in] as in F.linear); float scalars (relu6 caps, eps)
-- are buffers; int32 Consts (shapes, axes) are plain data. So the model can
-- be frozen, unfrozen and fine-tuned like any module, and cut() sub-graphs
-- share their parameters with the whole.
local mien = require "mien"
local Module = require "mien.nn.module"
local tfjs = require "mien.tfjs"
local ops = require "mien.tfjs.ops"

local F = mien.F
local M = {}

-- ---------------------------------------------------------------- attrs

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64index = {}
for i = 1, #b64chars do b64index[b64chars:byte(i)] = i - 1 end
b64index[("-"):byte()] = 62 -- url-safe variants
b64index[("_"):byte()] = 63

--- Bytes of a base64 text.
-- @tparam string s
-- @treturn string
function M.base64_decode(s)
  local out, bits, nbits = {}, 0, 0
  for i = 1, #s do
    local v = b64index[s:byte(i)]
    if v then
      bits = (bits << 6) | v
      nbits = nbits + 6
      if nbits >= 8 then
        nbits = nbits - 8
        out[#out + 1] = string.char((bits >> nbits) & 0xff)
      end
    end
  end
  return table.concat(out)
end

-- The attribute decoders below take one attr value of a node (a table such as
-- {s = "..."}, {list = {i = {...}}}, {b = true}); a value of the wrong shape
-- is an error naming the node and the attribute, never a default.
local function bad_attr(node, key, expected)
  error(string.format("tfjs graph: %s: node '%s': attribute '%s' is not %s", node.path, node.name, key, expected), 0)
end

-- every attribute is an object: node_list checked it
local function attr_value(node, key, field)
  local a = node.attr[key]
  return a and a[field]
end

local function to_int(node, key, v)
  local n = math.tointeger(tonumber(v))
  if n == nil then bad_attr(node, key, "an integer (or a list of them)") end
  return n
end

local function attr_string(node, key)
  local s = attr_value(node, key, "s")
  if s == nil then return nil end
  if type(s) ~= "string" then bad_attr(node, key, "a base64 string") end
  return M.base64_decode(s)
end

local function attr_list(node, key, field, expected)
  local list = attr_value(node, key, "list")
  if list == nil then return nil end
  if type(list) ~= "table" then bad_attr(node, key, "a list") end
  local items = list[field]
  if items ~= nil and type(items) ~= "table" then bad_attr(node, key, expected) end
  return items or {}
end

local function attr_int_list(node, key)
  local items = attr_list(node, key, "i", "a list of integers")
  if items == nil then return nil end
  local out = {}
  for i, v in ipairs(items) do out[i] = to_int(node, key, v) end
  return out
end

local function attr_string_list(node, key)
  local items = attr_list(node, key, "s", "a list of base64 strings") or {}
  local out = {}
  for i, v in ipairs(items) do
    if type(v) ~= "string" then bad_attr(node, key, "a list of base64 strings") end
    out[i] = M.base64_decode(v)
  end
  return out
end

local function attr_bool(node, key, default)
  local b = attr_value(node, key, "b")
  if b == nil then return default end
  if type(b) ~= "boolean" then bad_attr(node, key, "a boolean") end
  return b
end

local function attr_float(node, key, default)
  local f = attr_value(node, key, "f")
  if f == nil then return default end
  f = tonumber(f)
  if f == nil then bad_attr(node, key, "a number") end
  return f
end

local function attr_int(node, key, default)
  local i = attr_value(node, key, "i")
  if i == nil then return default end
  return to_int(node, key, i)
end

-- Decoded attributes of a node: strides, padding, dilations, data_format, fused_ops...
-- node: {name = string, attr = table or nil}, as checked by node_list; path
-- names the file in errors.
local function decode_attrs(node, path)
  node = { name = node.name, attr = node.attr or {}, path = tostring(path) }
  local d = {}
  d.strides = attr_int_list(node, "strides")
  d.dilations = attr_int_list(node, "dilations")
  d.ksize = attr_int_list(node, "ksize")
  d.padding = attr_string(node, "padding")
  d.explicit_paddings = attr_int_list(node, "explicit_paddings")
  d.data_format = attr_string(node, "data_format") or "NHWC"
  d.fused_ops = attr_string_list(node, "fused_ops")
  d.keep_dims = attr_bool(node, "keep_dims", false)
  d.squeeze_dims = attr_int_list(node, "squeeze_dims") or {}
  d.transpose_a = attr_bool(node, "transpose_a", false)
  d.transpose_b = attr_bool(node, "transpose_b", false)
  d.epsilon = attr_float(node, "epsilon", 1e-3)
  d.leakyrelu_alpha = attr_float(node, "leakyrelu_alpha", attr_float(node, "alpha", 0.2))
  d.num_args = attr_int(node, "num_args", 0)
  d.axis = attr_int(node, "axis", 0)
  d.N = attr_int(node, "N", nil)
  local shape = attr_value(node, "shape", "shape")
  if shape ~= nil then
    local dims = type(shape) == "table" and shape.dim
    if type(shape) ~= "table" or (dims ~= nil and type(dims) ~= "table") then
      bad_attr(node, "shape", "a shape {dim = [...]}")
    end
    local s = {}
    for i, dim in ipairs(dims or {}) do
      if type(dim) ~= "table" then bad_attr(node, "shape", "a shape {dim = [{size = n}, ...]}") end
      s[i] = to_int(node, "shape", dim.size or -1)
    end
    d.shape = s
  end
  local dtype = attr_value(node, "dtype", "type")
  if dtype ~= nil then
    if type(dtype) ~= "string" then bad_attr(node, "dtype", "a type name") end
    d.dtype = dtype
  end
  return d
end
M.decode_attrs = decode_attrs

-- "name:0" -> "name"; "^name" (control input) -> nil
local function input_name(s)
  if s:sub(1, 1) == "^" then return nil end
  local base, idx = s:match("^(.-):(%d+)$")
  if base then
    if idx ~= "0" then error("tfjs graph: multi-output ops are not supported (input '" .. s .. "')", 3) end
    return base
  end
  return s
end
M.input_name = input_name

-- ------------------------------------------------------- op descriptions

local ELEMENTWISE_BINARY = {
  Add = "add", AddV2 = "add", BiasAdd = "add", Sub = "sub", Mul = "mul", RealDiv = "div", Div = "div",
  Maximum = "maximum", Minimum = "minimum", Pow = "pow", SquaredDifference = "sqdiff",
}

local UNARY = {
  Relu = function(x) return F.relu(x) end,
  Relu6 = function(x) return F.relu6(x) end,
  Abs = function(x) return x:abs() end,
  Neg = function(x) return x:neg() end,
  Sigmoid = function(x) return F.sigmoid(x) end,
  Tanh = function(x) return F.tanh(x) end,
  Exp = function(x) return x:exp() end,
  Log = function(x) return x:log() end,
  Sqrt = function(x) return x:sqrt() end,
  Rsqrt = function(x) return x:rsqrt() end,
  Square = function(x) return x * x end,
  Elu = function(x) return F.relu(x) + (x:minimum(0):exp() - 1) end,
  Identity = function(x) return x end,
  Snapshot = function(x) return x end,
  StopGradient = function(x) return x:detach() end,
}

local SUPPORTED = {
  Const = true, Placeholder = true, Conv2D = true, _FusedConv2D = true, DepthwiseConv2dNative = true,
  FusedDepthwiseConv2dNative = true, MatMul = true, _FusedMatMul = true, Prelu = true, LeakyRelu = true,
  MaxPool = true, AvgPool = true, Mean = true, Sum = true, Max = true, Min = true, Prod = true, Pad = true,
  PadV2 = true, Reshape = true, Squeeze = true, Softmax = true, LogSoftmax = true, ConcatV2 = true,
  FusedBatchNorm = true, FusedBatchNormV3 = true, IdentityN = true, ExpandDims = true,
}
for k in pairs(ELEMENTWISE_BINARY) do SUPPORTED[k] = true end
for k in pairs(UNARY) do SUPPORTED[k] = true end
M.SUPPORTED = SUPPORTED

-- Which inputs of an op are weights with a special layout.
local function const_role(op, index)
  if (op == "Conv2D" or op == "_FusedConv2D") and index == 2 then return "conv" end
  if (op == "DepthwiseConv2dNative" or op == "FusedDepthwiseConv2dNative") and index == 2 then return "depthwise" end
  if (op == "MatMul" or op == "_FusedMatMul") and index == 2 then return "matmul" end
  if (op == "Mean" or op == "Sum" or op == "Max" or op == "Min" or op == "Prod") and index == 2 then return "int" end
  if (op == "Pad" or op == "PadV2") and index == 2 then return "int" end
  if (op == "Reshape" or op == "ExpandDims") and index == 2 then return "int" end
  return "plain"
end

-- ------------------------------------------------------------ building

local GraphModel = Module:extend("TFGraphModel")
M.GraphModel = GraphModel

-- graph: the shared definition {nodes = {name -> node}, order = {names}, consts = {name -> {role=, ...}},
-- ints = {name -> list}, placeholders = {names}, path = }
function GraphModel:__init(graph, outputs, params)
  rawset(self, "_graph", graph)
  rawset(self, "outputs", outputs)
  rawset(self, "input_format", "NCHW")
  local plan = self:_plan(outputs)
  rawset(self, "_plan_cache", { [table.concat(outputs, "\0")] = plan })
  -- register the parameters and buffers this sub-graph uses, in graph order
  for _, name in ipairs(plan.order) do
    local node = graph.nodes[name]
    if node.op == "Const" and params[name] ~= nil then
      local t = params[name]
      if graph.consts[name].buffer then
        self:register_buffer(name, t)
      else
        self:register_parameter(name, t)
      end
    end
  end
  rawset(self, "_params_source", params)
end

-- The execution plan for a set of outputs: the nodes they need in
-- topological order, and how many later nodes read each value.
function GraphModel:_plan(outputs)
  local graph = rawget(self, "_graph")
  local order, state = {}, {}
  local function visit(name, from)
    local node = graph.nodes[name]
    if not node then
      error(string.format("tfjs graph: node '%s'%s does not exist", name, from and (" (input of '" .. from .. "')") or ""), 4)
    end
    if state[name] == 2 then return end
    if state[name] == 1 then error("tfjs graph: cycle through node '" .. name .. "'", 4) end
    state[name] = 1
    -- iterative enough for these graphs: depth is the network depth (a few hundred)
    for _, inp in ipairs(node.inputs) do visit(inp, name) end
    state[name] = 2
    order[#order + 1] = name
  end
  for _, o in ipairs(outputs) do visit(o) end
  local uses = {}
  for _, name in ipairs(order) do
    for _, inp in ipairs(graph.nodes[name].inputs) do uses[inp] = (uses[inp] or 0) + 1 end
  end
  local placeholders = {}
  for _, name in ipairs(order) do
    if graph.nodes[name].op == "Placeholder" then placeholders[#placeholders + 1] = name end
  end
  return { order = order, uses = uses, placeholders = placeholders }
end

-- ----------------------------------------------------------- execution

-- Values: {t = tensor, cf = true when t is the NCHW form of a TF NHWC 4-d tensor}.
local function to_tf(v)
  if v.cf then return v.t:permute(1, 3, 4, 2) end
  return v.t
end

local function to_cf(v, what)
  if v.cf then return v.t end
  if v.t:dim() ~= 4 then
    error(string.format("tfjs graph: %s needs a 4-d input, got %d dims", what, v.t:dim()), 3)
  end
  return v.t:permute(1, 4, 2, 3)
end

-- A plain (TF-layout) tensor made to broadcast against NCHW values.
local function broadcast_cf(t)
  local r = t:dim()
  if r == 0 then return t end
  if r == 4 then return t:permute(1, 4, 2, 3) end
  if r > 4 then error("tfjs graph: cannot broadcast a " .. r .. "-d tensor against a 4-d activation", 3) end
  local shape = t:shape()
  local s4 = { 1, 1, 1, 1 }
  for i = 1, r do s4[4 - r + i] = shape[i] end
  if s4[1] == 1 and s4[2] == 1 and s4[3] == 1 then return t:reshape(1, s4[4], 1, 1) end
  return t:reshape(s4):permute(1, 4, 2, 3)
end

local function binary(op, a, b)
  local cf = a.cf or b.cf
  local ta, tb = a.t, b.t
  if cf then
    if not a.cf then ta = broadcast_cf(ta) end
    if not b.cf then tb = broadcast_cf(tb) end
  end
  local y
  if op == "add" then y = ta + tb
  elseif op == "sub" then y = ta - tb
  elseif op == "mul" then y = ta * tb
  elseif op == "div" then y = ta / tb
  elseif op == "maximum" then y = ta:maximum(tb)
  elseif op == "minimum" then y = ta:minimum(tb)
  elseif op == "pow" then y = ta:pow(tb)
  elseif op == "sqdiff" then
    local d = ta - tb
    y = d * d
  end
  return { t = y, cf = cf }
end

-- TF axis (0-based, may be negative) of a rank-4 NHWC tensor -> 1-based NCHW dim.
local CF_DIM = { [0] = 1, [1] = 3, [2] = 4, [3] = 2 }
local TF_AXIS = { 0, 3, 1, 2 } -- NCHW dim (1-based) -> TF axis

local function norm_axis(a, rank, where)
  if a < 0 then a = a + rank end
  if a < 0 or a >= rank then error(string.format("tfjs graph: axis %d out of range for rank %d (%s)", a, rank, where), 4) end
  return a
end

local function activation(name, y, node, alpha)
  if name == "Relu" then return F.relu(y) end
  if name == "Relu6" then return F.relu6(y) end
  if name == "Sigmoid" then return F.sigmoid(y) end
  if name == "Tanh" then return F.tanh(y) end
  if name == "Elu" then return F.relu(y) + (y:minimum(0):exp() - 1) end
  if name == "LeakyRelu" then return F.leaky_relu(y, node.attrs.leakyrelu_alpha) end
  if name == "Prelu" then
    if not alpha then error("tfjs graph: node '" .. node.name .. "' fuses Prelu without an alpha input", 3) end
    local a = alpha.t
    if y:dim() >= 2 and a:numel() == y:size(2) then return F.prelu(y, a:reshape(a:numel())) end
    return F.relu(y) - F.relu(-y) * broadcast_cf(a)
  end
  error(string.format("tfjs graph: node '%s' fuses unsupported op '%s'", node.name, name), 3)
end

-- Bias and activation of the fused conv / matmul ops.
local function fused_parts(node, args)
  local bias, act, alpha
  local k = 1
  for _, f in ipairs(node.attrs.fused_ops) do
    if f == "BiasAdd" then
      bias = args[k]
      k = k + 1
    elseif f == "Prelu" then
      act = f
      alpha = args[k]
      k = k + 1
    elseif f == "FusedBatchNorm" then
      error("tfjs graph: node '" .. node.name .. "' fuses FusedBatchNorm, which tfjs does not run either", 3)
    else
      act = f
    end
  end
  return bias, act, alpha
end

local function conv_opts(node, x)
  local a = node.attrs
  if a.data_format ~= "NHWC" then
    error(string.format("tfjs graph: node '%s' has data_format %s; only NHWC graphs are supported", node.name,
      a.data_format), 3)
  end
  local s = a.strides or { 1, 1, 1, 1 }
  local d = a.dilations or { 1, 1, 1, 1 }
  local padding = a.padding or "VALID"
  if padding == "EXPLICIT" then
    local e = a.explicit_paddings or {}
    padding = { e[3] or 0, e[4] or 0, e[5] or 0, e[6] or 0 }
  end
  return { stride = { s[2], s[3] }, dilation = { d[2], d[3] }, padding = padding }
end

local function reduce(node, v, axes, fn_name)
  local keep = node.attrs.keep_dims
  if type(axes) == "number" then axes = { axes } end
  if v.cf then
    local dims, removed = {}, {}
    for _, a in ipairs(axes) do
      a = norm_axis(a, 4, node.name)
      dims[#dims + 1] = CF_DIM[a]
      removed[a] = true
    end
    if #dims == 0 then return v end
    local y = v.t[fn_name](v.t, dims, keep)
    if keep then return { t = y, cf = true } end
    -- the remaining dims are in NCHW order; put them into TF order
    local remaining = {}
    for d = 1, 4 do
      if not removed[TF_AXIS[d]] then remaining[#remaining + 1] = TF_AXIS[d] end
    end
    local sorted = { table.unpack(remaining) }
    table.sort(sorted)
    local perm, identity = {}, true
    for i, ax in ipairs(sorted) do
      for j, bx in ipairs(remaining) do
        if bx == ax then perm[i] = j end
      end
      if perm[i] ~= i then identity = false end
    end
    if not identity then y = y:permute(perm) end
    return { t = y, cf = false }
  end
  local rank = v.t:dim()
  local dims = {}
  for _, a in ipairs(axes) do dims[#dims + 1] = norm_axis(a, rank, node.name) + 1 end
  if #dims == 0 then return v end
  return { t = v.t[fn_name](v.t, dims, keep), cf = false }
end

local REDUCE = { Mean = "mean", Sum = "sum", Max = "max", Min = "min", Prod = "prod" }

-- Runs one node.
function GraphModel:_eval(node, inputs)
  local op = node.op
  local a = node.attrs
  local bin = ELEMENTWISE_BINARY[op]
  if bin then return binary(bin, inputs[1], inputs[2]) end
  local un = UNARY[op]
  if un then return { t = un(inputs[1].t), cf = inputs[1].cf } end

  if op == "Conv2D" or op == "_FusedConv2D" or op == "DepthwiseConv2dNative" or op == "FusedDepthwiseConv2dNative" then
    local x = to_cf(inputs[1], op .. " '" .. node.name .. "'")
    local w = inputs[2].t
    local bias, act, alpha
    if op == "_FusedConv2D" or op == "FusedDepthwiseConv2dNative" then
      local args = {}
      for i = 3, #inputs do args[#args + 1] = inputs[i] end
      bias, act, alpha = fused_parts(node, args)
    end
    local o = conv_opts(node, x)
    local depthwise = op == "DepthwiseConv2dNative" or op == "FusedDepthwiseConv2dNative"
    if depthwise then o.groups = x:size(2) end
    local b = bias and bias.t or nil
    if b and b:dim() ~= 1 then b = b:reshape(b:numel()) end
    local y = ops.conv2d(x, w, b, o)
    if act then y = activation(act, y, node, alpha) end
    return { t = y, cf = true }
  end

  if op == "MatMul" or op == "_FusedMatMul" then
    local x = to_tf(inputs[1])
    if a.transpose_a then x = x:t() end
    local bias, act, alpha
    if op == "_FusedMatMul" then
      local args = {}
      for i = 3, #inputs do args[#args + 1] = inputs[i] end
      bias, act, alpha = fused_parts(node, args)
    end
    local y = F.linear(x, inputs[2].t, bias and bias.t or nil)
    if act then y = activation(act, y, node, alpha) end
    return { t = y, cf = false }
  end

  if op == "Prelu" then
    local x, alpha = inputs[1], inputs[2]
    if x.cf then return { t = activation("Prelu", x.t, node, alpha), cf = true } end
    return { t = F.relu(x.t) - F.relu(-x.t) * alpha.t, cf = false }
  end
  if op == "LeakyRelu" then return { t = F.leaky_relu(inputs[1].t, a.leakyrelu_alpha), cf = inputs[1].cf } end

  if op == "MaxPool" or op == "AvgPool" then
    local x = to_cf(inputs[1], op .. " '" .. node.name .. "'")
    if a.data_format ~= "NHWC" then error("tfjs graph: node '" .. node.name .. "': only NHWC pooling is supported", 2) end
    local k, s = a.ksize or { 1, 1, 1, 1 }, a.strides or { 1, 1, 1, 1 }
    local o = { kernel_size = { k[2], k[3] }, stride = { s[2], s[3] }, padding = a.padding or "VALID" }
    local y = op == "MaxPool" and ops.max_pool2d(x, o) or ops.avg_pool2d(x, o)
    return { t = y, cf = true }
  end

  local red = REDUCE[op]
  if red then return reduce(node, inputs[1], node.int_args[2], red) end

  if op == "Pad" or op == "PadV2" then
    local p = node.int_args[2]
    local value = 0
    if op == "PadV2" and inputs[3] then value = inputs[3].t:item() end
    local v = inputs[1]
    if v.cf then
      -- NHWC pairs {N},{H},{W},{C} -> mien's list from the last NCHW dim: W, H, C, N
      local list = { p[5], p[6], p[3], p[4], p[7], p[8], p[1], p[2] }
      while #list > 0 and list[#list] == 0 and list[#list - 1] == 0 do
        list[#list] = nil
        list[#list] = nil
      end
      if #list == 0 then return v end
      return { t = F.pad(v.t, list, value), cf = true }
    end
    local rank = v.t:dim()
    local list = {}
    for d = rank, 1, -1 do
      list[#list + 1] = p[2 * d - 1]
      list[#list + 1] = p[2 * d]
    end
    return { t = F.pad(v.t, list, value), cf = false }
  end

  if op == "Reshape" then
    local shape = node.int_args[2]
    local t = to_tf(inputs[1])
    return { t = t:reshape(shape), cf = false }
  end

  if op == "ExpandDims" then
    local ax = node.int_args[2]
    if type(ax) == "table" then ax = ax[1] end
    local t = to_tf(inputs[1])
    local r = t:dim() + 1
    if ax < 0 then ax = ax + r end
    return { t = t:unsqueeze(ax + 1), cf = false }
  end

  if op == "Squeeze" then
    local t = to_tf(inputs[1])
    local rank = t:dim()
    local dims = {}
    if #a.squeeze_dims == 0 then
      for d = 1, rank do if t:size(d) == 1 then dims[#dims + 1] = d end end
    else
      for _, d in ipairs(a.squeeze_dims) do dims[#dims + 1] = norm_axis(d, rank, node.name) + 1 end
    end
    table.sort(dims, function(x, y) return x > y end)
    for _, d in ipairs(dims) do t = t:squeeze(d) end
    return { t = t, cf = false }
  end

  if op == "Softmax" or op == "LogSoftmax" then
    local t = to_tf(inputs[1])
    local y = op == "Softmax" and F.softmax(t, -1) or F.log_softmax(t, -1)
    return { t = y, cf = false }
  end

  if op == "ConcatV2" then
    local n = #inputs - 1
    local ax = node.int_args[#inputs]
    if type(ax) == "table" then ax = ax[1] end
    local all_cf = true
    for i = 1, n do
      if not (inputs[i].cf or inputs[i].t:dim() == 4) then all_cf = false end
    end
    local ts = {}
    if all_cf then
      for i = 1, n do ts[i] = to_cf(inputs[i], "ConcatV2") end
      return { t = mien.cat(ts, CF_DIM[norm_axis(ax, 4, node.name)]), cf = true }
    end
    for i = 1, n do ts[i] = to_tf(inputs[i]) end
    return { t = mien.cat(ts, norm_axis(ax, ts[1]:dim(), node.name) + 1), cf = false }
  end

  if op == "FusedBatchNorm" or op == "FusedBatchNormV3" then
    local x, scale, offset, mean, var = inputs[1], inputs[2], inputs[3], inputs[4], inputs[5]
    local inv = scale.t * (var.t + a.epsilon):rsqrt()
    local shift = offset.t - mean.t * inv
    local y = binary("add", binary("mul", x, { t = inv }), { t = shift })
    return y
  end

  if op == "IdentityN" then return inputs[1] end

  error(string.format("tfjs graph: unsupported op '%s' at node '%s'", op, node.name), 2)
end

local function strip_names(names)
  local out = {}
  for i, n in ipairs(names) do out[i] = input_name(n) or n end
  return out
end

--- The execution plan (nodes in order, with what each frees) that computes the given outputs.
-- @tparam {string,...} outputs node names
-- @treturn table {order=, ...}, cached per set of outputs
function GraphModel:plan(outputs)
  outputs = strip_names(outputs)
  local key = table.concat(outputs, "\0")
  local cache = rawget(self, "_plan_cache")
  local p = cache[key]
  if not p then
    p = self:_plan(outputs)
    cache[key] = p
  end
  return p
end

--- name -> tensor of the outputs (4-d in NCHW), for inputs given as a tensor
-- (the only placeholder) or a table placeholder name -> tensor.
function GraphModel:run(inputs, outputs)
  outputs = strip_names(outputs or rawget(self, "outputs"))
  local graph = rawget(self, "_graph")
  local plan = self:plan(outputs)
  local feeds = {}
  if Module.is_tensor(inputs) then
    if #plan.placeholders ~= 1 then
      error(string.format("tfjs graph: the outputs need %d inputs; pass a table name -> tensor", #plan.placeholders), 2)
    end
    feeds[plan.placeholders[1]] = inputs
  else
    feeds = inputs or {}
  end
  local nhwc = rawget(self, "input_format") == "NHWC"
  local values = {}
  local remaining = {}
  for k, n in pairs(plan.uses) do remaining[k] = n end
  local keep = {}
  for _, o in ipairs(outputs) do keep[o] = true end
  -- Intermediate tensors are closed as soon as their last reader ran (their
  -- memory is freed at once rather than at the next garbage collection;
  -- autograd holds its own references). owners counts the live values that
  -- share one tensor object (Identity passes its input through); weights
  -- and inputs are never closed.
  local owners, external = {}, {}
  for _, name in ipairs(plan.order) do
    local node = graph.nodes[name]
    local v
    if node.op == "Const" then
      local c = graph.consts[name]
      if c.int then
        v = { int = c.int }
      else
        local t = rawget(self, name)
        if t == nil then error("tfjs graph: the weight of Const '" .. name .. "' is missing", 2) end
        v = { t = t, cf = false }
        external[t] = true
      end
    elseif node.op == "Placeholder" then
      local x = feeds[name]
      if x == nil then error("tfjs graph: no input given for placeholder '" .. name .. "'", 2) end
      if x:dim() == 4 then
        v = { t = nhwc and x:permute(1, 4, 2, 3) or x, cf = true }
      else
        v = { t = x, cf = false }
      end
      external[x] = true
      external[v.t] = true
    else
      local ins = {}
      for i, inp in ipairs(node.inputs) do
        ins[i] = values[inp]
        if ins[i] == nil then error("tfjs graph: value of '" .. inp .. "' is missing for '" .. name .. "'", 2) end
      end
      local ok, res = pcall(self._eval, self, node, ins)
      if not ok then
        if tostring(res):find("tfjs graph:", 1, true) then error(res, 0) end
        error(string.format("tfjs graph: node '%s' (%s) failed: %s", name, node.op, tostring(res)), 2)
      end
      v = res
      if v.t ~= nil then owners[v.t] = (owners[v.t] or 0) + 1 end
      for _, inp in ipairs(node.inputs) do
        remaining[inp] = remaining[inp] - 1
        if remaining[inp] == 0 and not keep[inp] then
          local t = values[inp].t
          values[inp] = nil
          if t ~= nil then
            owners[t] = owners[t] - 1
            if owners[t] == 0 and not external[t] then t:close() end
          end
        end
      end
    end
    if v.t ~= nil and (node.op == "Const" or node.op == "Placeholder") then owners[v.t] = (owners[v.t] or 0) + 1 end
    values[name] = v
  end
  local out = {}
  for _, o in ipairs(outputs) do
    local v = values[o]
    if v.int then
      out[o] = mien.tensor(v.int, { dtype = "int64" })
    else
      out[o] = v.t
    end
  end
  return out
end

--- Module forward: the model's outputs, in the order of self.outputs.
function GraphModel:forward(x)
  local outs = rawget(self, "outputs")
  local r = self:run(x, outs)
  if #outs == 1 then return r[outs[1]] end
  local list = {}
  for i, o in ipairs(outs) do list[i] = r[o] end
  return table.unpack(list)
end

--- The values of the named nodes (several results, in order).
function GraphModel:forward_outputs(x, names)
  names = strip_names(names)
  local r = self:run(x, names)
  local list = {}
  for i, o in ipairs(names) do list[i] = r[o] end
  return table.unpack(list)
end

--- The sub-graph up to the named node(s) as a new module sharing the weights.
function GraphModel:cut(names)
  if type(names) == "string" then names = { names } end
  names = strip_names(names)
  local graph = rawget(self, "_graph")
  for _, n in ipairs(names) do
    if not graph.nodes[n] then error("cut: the graph has no node '" .. n .. "'", 2) end
  end
  local params = {}
  for name in pairs(graph.consts) do
    local t = rawget(self, name)
    params[name] = t ~= nil and t or rawget(self, "_params_source")[name]
  end
  local sub = GraphModel(graph, names, params)
  rawset(sub, "input_format", rawget(self, "input_format"))
  rawset(sub, "training", rawget(self, "training"))
  if rawget(self, "frozen") then sub:freeze() end
  return sub
end

--- Node names in execution order (with their ops), e.g. to choose a cut.
function GraphModel:nodes(filter)
  local graph = rawget(self, "_graph")
  local out = {}
  for _, name in ipairs(self:plan(rawget(self, "outputs")).order) do
    local node = graph.nodes[name]
    if node.op ~= "Const" and (not filter or name:find(filter)) then out[#out + 1] = { name = name, op = node.op } end
  end
  return out
end

--- The layers in execution order: each op node that reads parameters, with
-- them: {name=, op=, params={name -> tensor}, names={...}}. Used to pick
-- the top layers of a backbone for fine-tuning.
function GraphModel:layers()
  local graph = rawget(self, "_graph")
  local out = {}
  for _, name in ipairs(self:plan(rawget(self, "outputs")).order) do
    local node = graph.nodes[name]
    if node.op ~= "Const" then
      local layer = { name = name, op = node.op, params = {}, names = {} }
      for _, inp in ipairs(node.inputs) do
        local t = rawget(self, inp)
        local c = graph.consts[inp]
        if c and not c.int and not c.buffer and t ~= nil and layer.params[inp] == nil then
          layer.params[inp] = t
          layer.names[#layer.names + 1] = inp
        end
      end
      if #layer.names > 0 then out[#out + 1] = layer end
    end
  end
  return out
end

--- "path, N nodes, outputs {...}" for printing.
-- @treturn string
function GraphModel:extra_repr()
  local graph = rawget(self, "_graph")
  local n = #self:plan(rawget(self, "outputs")).order
  return string.format("%s, %d nodes, outputs {%s}", graph.path or "graph", n, table.concat(rawget(self, "outputs"), ", "))
end

-- ---------------------------------------------------------------- loading

-- hardening: the node list must be a list of {name=string, op=string}
local function node_list(topology, path)
  local nodes = topology.node
  if type(nodes) ~= "table" or nodes[1] == nil then
    error("tfjs graph: " .. tostring(path) .. ": modelTopology.node is not a non-empty list of nodes", 3)
  end
  for i, n in ipairs(nodes) do
    if type(n) ~= "table" or type(n.name) ~= "string" or type(n.op) ~= "string" then
      error(string.format("tfjs graph: %s: node %d has no string name and op", tostring(path), i), 3)
    end
    if n.input ~= nil and type(n.input) ~= "table" then
      error(string.format("tfjs graph: %s: node '%s': input is not a list", tostring(path), n.name), 3)
    end
    for _, s in ipairs(n.input or {}) do
      if type(s) ~= "string" then
        error(string.format("tfjs graph: %s: node '%s': an input is not a node name", tostring(path), n.name), 3)
      end
    end
    if n.attr ~= nil and type(n.attr) ~= "table" then
      error(string.format("tfjs graph: %s: node '%s': attr is not an object", tostring(path), n.name), 3)
    end
    for key, a in pairs(n.attr or {}) do
      if type(a) ~= "table" then
        error(string.format("tfjs graph: %s: node '%s': attribute '%s' is not an object", tostring(path), n.name,
          tostring(key)), 3)
      end
    end
  end
  -- TF2 graphs may keep functions in a library; tfjs graph models do not use them here
  return nodes
end

--- Builds a GraphModel from the decoded model.json table.
function M.from_json(model, dir, opts, path)
  opts = opts or {}
  local topology = model.modelTopology
  if type(topology) ~= "table" then error("tfjs graph: no modelTopology in " .. tostring(path), 2) end
  local groups = model.weightsManifest or {}
  if type(groups) ~= "table" then error("tfjs graph: weightsManifest of " .. tostring(path) .. " is not a list", 2) end
  local weights = tfjs.read_weights(groups, dir, { source = path, allow_outside = opts.allow_outside })

  local graph = { nodes = {}, consts = {}, path = path and path:match("[^/]*$") or "graph", placeholders = {} }
  local names = {}
  for _, n in ipairs(node_list(topology, path)) do
    local inputs = {}
    for _, s in ipairs(n.input or {}) do
      local nm = input_name(s)
      if nm then inputs[#inputs + 1] = nm end
    end
    local node = { name = n.name, op = n.op, inputs = inputs, attrs = decode_attrs(n, path), int_args = {} }
    if graph.nodes[n.name] then error("tfjs graph: duplicate node name '" .. n.name .. "'", 2) end
    graph.nodes[n.name] = node
    names[#names + 1] = n.name
    if n.op == "Placeholder" then graph.placeholders[#graph.placeholders + 1] = n.name end
  end

  -- roles of the Consts from their consumers
  local roles = {}
  for _, name in ipairs(names) do
    local node = graph.nodes[name]
    for i, inp in ipairs(node.inputs) do
      local src = graph.nodes[inp]
      if src and src.op == "Const" then
        local role = const_role(node.op, i)
        if node.op == "ConcatV2" and i == #node.inputs then role = "int" end
        local prev = roles[inp]
        if prev and prev ~= role then
          error(string.format("tfjs graph: Const '%s' is used both as %s and as %s (not supported)", inp, prev, role), 2)
        end
        roles[inp] = role
      end
    end
  end

  local params = {}
  for _, name in ipairs(names) do
    local node = graph.nodes[name]
    if node.op == "Const" then
      local t = weights[name]
      local role = roles[name] or "plain"
      if t == nil then
        -- an unused Const without data is harmless; a used one is an error at run time
        graph.consts[name] = { role = role, missing = true }
      else
        local c = { role = role }
        if t:dtype() == "int64" then
          local shape = t:shape()
          if #shape == 0 then c.int = t:item() else c.int = t:reshape(t:numel()):totable() end
          if #shape == 2 then -- paddings [[a,b],...] flattened
            c.int_shape = shape
          end
          if role ~= "int" and role ~= "plain" then
            error(string.format("tfjs graph: Const '%s' is int32 but used as a %s weight", name, role), 2)
          end
        else
          if role == "int" then
            c.int = t:dim() == 0 and math.tointeger(t:item()) or t:reshape(t:numel()):long():totable()
          elseif role == "conv" then
            if t:dim() ~= 4 then error("tfjs graph: conv filter '" .. name .. "' is not 4-d", 2) end
            t = tfjs.conv_filter(t)
          elseif role == "depthwise" then
            if t:dim() ~= 4 then error("tfjs graph: depthwise filter '" .. name .. "' is not 4-d", 2) end
            t = tfjs.depthwise_filter(t)
          elseif role == "matmul" then
            if t:dim() ~= 2 then error("tfjs graph: MatMul weight '" .. name .. "' is not 2-d", 2) end
            -- stored [out,in] for F.linear; every consumer must agree on transpose_b
            local tb
            for _, other in ipairs(names) do
              local on = graph.nodes[other]
              if (on.op == "MatMul" or on.op == "_FusedMatMul") and on.inputs[2] == name then
                if tb ~= nil and tb ~= on.attrs.transpose_b then
                  error("tfjs graph: MatMul weight '" .. name .. "' is used with and without transpose_b", 2)
                end
                tb = on.attrs.transpose_b
              end
            end
            if not tb then t = t:t():contiguous() end
          end
          if t:dim() == 0 then c.buffer = true end
          if not c.int then params[name] = t end
        end
        graph.consts[name] = c
      end
    end
  end
  -- int arguments of the consumers, resolved once
  for _, name in ipairs(names) do
    local node = graph.nodes[name]
    for i, inp in ipairs(node.inputs) do
      local c = graph.consts[inp]
      if c and c.int then node.int_args[i] = c.int end
    end
  end

  -- outputs: opts.outputs, else the signature's, else the sinks
  local outputs = opts.outputs
  if not outputs then
    local meta = type(model.userDefinedMetadata) == "table" and model.userDefinedMetadata or {}
    local sig = model.signature or meta.signature
    if sig ~= nil and (type(sig) ~= "table" or (sig.outputs ~= nil and type(sig.outputs) ~= "table")) then
      error(string.format("tfjs graph: %s: signature is not an object with an outputs object", tostring(path)), 2)
    end
    if sig and sig.outputs then
      outputs = {}
      for key, o in pairs(sig.outputs) do
        local nm = type(o) == "table" and o.name or key
        if type(nm) ~= "string" then
          error(string.format("tfjs graph: %s: an output of the signature has no node name", tostring(path)), 2)
        end
        nm = input_name(nm)
        if not graph.nodes[nm] then -- hardening: an unknown output is an error, not an empty graph
          error(string.format("tfjs graph: %s: the signature's output '%s' is not a node of the graph", tostring(path),
            tostring(nm)), 2)
        end
        outputs[#outputs + 1] = nm
      end
      table.sort(outputs)
      if #outputs == 0 then outputs = nil end
    end
  end
  if not outputs then
    local used = {}
    for _, name in ipairs(names) do
      for _, inp in ipairs(graph.nodes[name].inputs) do used[inp] = true end
    end
    outputs = {}
    for _, name in ipairs(names) do
      local op = graph.nodes[name].op
      if not used[name] and op ~= "Const" and op ~= "Placeholder" then outputs[#outputs + 1] = name end
    end
  end
  if type(outputs) == "string" then outputs = { outputs } end
  if #outputs == 0 then error("tfjs graph: " .. tostring(path) .. " has no output node", 2) end

  -- every op the outputs need must be supported, and every Const present
  local probe = setmetatable({ _graph = graph }, { __index = GraphModel })
  local plan = GraphModel._plan(probe, outputs)
  local unsupported = {}
  for _, name in ipairs(plan.order) do
    local node = graph.nodes[name]
    if not SUPPORTED[node.op] then unsupported[#unsupported + 1] = node.op .. " (" .. name .. ")" end
    if node.op == "Const" and graph.consts[name].missing then
      error("tfjs graph: the weights manifest has no tensor for Const '" .. name .. "'", 2)
    end
  end
  if #unsupported > 0 then
    error("tfjs graph: unsupported ops: " .. table.concat(unsupported, ", "), 2)
  end

  local model_ = GraphModel(graph, outputs, params)
  -- input shape (TF layout) of the single placeholder, when known
  if #graph.placeholders == 1 then
    rawset(model_, "input_shape", graph.nodes[graph.placeholders[1]].attrs.shape)
  end
  return model_
end

--- A TF.js graph model (model.json and its weight files) as a mien module.
-- @tparam string path the model.json
-- @tparam[opt] table opts outputs (node names to return; default the graph's outputs)
-- @treturn GraphModel
-- @usage local g = require("mien.tfjs.graph").load("../shared/weights/human-models/models/faceres.json")
function M.load(path, opts)
  local text, err = tfjs.read_file(path)
  if not text then error("tfjs: cannot read " .. path .. ": " .. tostring(err), 2) end
  local model = tfjs.decode_json(text, path)
  if type(model) ~= "table" or not model.modelTopology then error("tfjs: " .. path .. " is not a graph model", 2) end
  return M.from_json(model, tfjs.dirname(path), opts, path)
end

return M
