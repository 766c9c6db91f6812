--- mien.tfjs: TensorFlow.js model files.
--
--   local tfjs = require "mien.tfjs"
--
--   -- a weights manifest (face-api style: *-weights_manifest.json + .bin shards)
--   local w = tfjs.load("face_expression_model-weights_manifest.json")
--   w["dense0/conv0/filters"]        -- float32 tensor in mien layout
--
--   -- a graph model (format "graph-model": model.json + .bin shards)
--   local net = tfjs.load("mobilefacenet.json")     -- an nn Module (tfjs.GraphModel)
--   local emb = net(x)                              -- x NCHW float32
--   local backbone = net:cut("MobileFaceNet/Logits/SeparableConv2d/depthwise")
--
-- Weights are dequantised as tfjs does: uint8/uint16 affine entries
-- {dtype, scale, min} become float32(q*scale + min) computed in double,
-- float16 entries become float32 exactly; int32 tensors load as int64.
--
-- Layouts of tfjs.load on a weights manifest (opts.layout = "mien", the default):
--   4-d conv filters   HWIO [kh,kw,in,out]   -> OIHW [out,in,kh,kw]      (F.conv2d)
--   depthwise filters  HWCM [kh,kw,C,M]      -> [C*M,1,kh,kw], groups=C  (name contains "depthwise")
--   dense weights      [in,out]              -> kept as [in,out] (x:matmul(W)); opts.dense = "out_in"
--                                                gives [out,in] for F.linear(x, W, b)
--   vectors, scalars                          -> unchanged
-- opts.layout = "tf" returns every tensor exactly as stored (TF layouts).
local mien = require "mien"
local core = require "mien.core"
local fs = require "mien.util.fs"

local tfjs = {}

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function decode_json(text, path)
  local ok, cjson = pcall(require, "cjson")
  local decode = ok and cjson.decode or require("mien.util.json").decode
  local ok2, v = pcall(decode, text)
  if not ok2 then error("tfjs: " .. path .. " is not valid JSON: " .. tostring(v), 3) end
  return v
end

local function shape_str(shape)
  local parts = {}
  for i, s in ipairs(shape) do parts[i] = tostring(s) end
  return "[" .. table.concat(parts, ",") .. "]"
end
tfjs.shape_str = shape_str

-- hardening: the element count of a weight, checked (Lua integers wrap)
local function numel(shape, what)
  local n = 1
  for _, s in ipairs(shape) do
    if s ~= 0 and n > math.maxinteger // s then
      error(string.format("tfjs: %s: shape %s has too many elements (the product of its sizes overflows)", what,
        shape_str(shape)), 3)
    end
    n = n * s
  end
  return n
end

-- hardening: a manifest shape must be a list of non-negative integers
local function read_shape(w, what)
  if type(w.shape) ~= "table" then
    error(string.format("tfjs: %s: shape must be a list of sizes, got %s %s", what, type(w.shape),
      tostring(w.shape)), 3)
  end
  local shape = {}
  for i, s in ipairs(w.shape) do
    local v = math.tointeger(s)
    if not v or v < 0 then error(string.format("tfjs: %s: shape[%d] = %s is not a size", what, i, tostring(s)), 3) end
    shape[i] = v
  end
  local entries = 0
  for _ in pairs(w.shape) do entries = entries + 1 end
  if entries ~= #shape then error(string.format("tfjs: %s: shape must be a list of sizes", what), 3) end
  return shape
end

local stored_size = { float32 = 4, float16 = 2, int32 = 4, uint16 = 2, uint8 = 1, bool = 1 }

--- Reads the weights of manifest groups ({paths=, weights={{name, shape, dtype, quantization}}})
-- from the shards in dir.
-- @tparam table groups the decoded manifest (a list of groups)
-- @string dir the folder the shard paths are relative to
-- @tparam[opt] table opts `source` (nil): the manifest's path, for errors;
--   `allow_outside` (false): let shard paths leave dir (see mien.util.fs.inside)
-- @return name -> tensor (TF layout), and the list of entries in file order ({name=, shape=, dtype=})
function tfjs.read_weights(groups, dir, opts)
  opts = opts or {}
  assert(type(groups) == "table", "tfjs.read_weights: expected a list of manifest groups")
  local source = opts.source and ("manifest '" .. opts.source .. "'") or "manifest"
  local tensors, entries = {}, {}
  for gi, group in ipairs(groups) do
    if type(group) ~= "table" then error(string.format("tfjs: %s: group %d is not an object", source, gi), 2) end
    local parts = {}
    for _, p in ipairs(type(group.paths) == "table" and group.paths or {}) do
      local full = fs.inside(dir, p, { allow_outside = opts.allow_outside, what = "tfjs: " .. source })
      local data, err = read_file(full)
      if not data then error(string.format("tfjs: weight shard '%s' (group %d) cannot be read: %s", full, gi, tostring(err)), 2) end
      parts[#parts + 1] = data
    end
    local data = table.concat(parts)
    local offset = 0
    for wi, w in ipairs(type(group.weights) == "table" and group.weights or {}) do
      if type(w) ~= "table" or type(w.name) ~= "string" then
        error(string.format("tfjs: %s: weight %d of group %d has no name", source, wi, gi), 2)
      end
      local what = source .. " weight '" .. w.name .. "'"
      local shape = read_shape(w, what)
      local q = w.quantization
      if q ~= nil and type(q) ~= "table" then
        error(string.format("tfjs: %s: quantization is not an object", what), 2)
      end
      local stored = q and q.dtype or w.dtype
      if not stored_size[stored] then
        error(string.format("tfjs: weight '%s' has unsupported dtype '%s'", w.name, tostring(stored)), 2)
      end
      local count = numel(shape, what)
      if count > (#data - offset) // stored_size[stored] then
        error(string.format("tfjs: %s %s (%s) needs %s values from byte %d but group %d's shards hold %d bytes",
          what, shape_str(shape), stored, count, offset, gi, #data), 2)
      end
      local need = count * stored_size[stored]
      if offset + need > #data then
        error(string.format("tfjs: weight '%s' %s (%s) needs bytes %d..%d but group %d's shards hold %d bytes",
          w.name, shape_str(shape), stored, offset, offset + need, gi, #data), 2)
      end
      local t
      if stored == "bool" then
        t = core.bytes_decode(data, offset, shape, "uint8")
      elseif q and (stored == "uint8" or stored == "uint16") then
        if q.scale == nil or q.min == nil then
          error(string.format("tfjs: weight '%s': %s quantisation without scale and min", w.name, stored), 2)
        end
        t = core.bytes_decode(data, offset, shape, stored, { scale = q.scale, min = q.min })
      else
        t = core.bytes_decode(data, offset, shape, stored)
      end
      offset = offset + need
      if tensors[w.name] then error("tfjs: weight '" .. w.name .. "' appears twice in the manifest", 2) end
      tensors[w.name] = t
      entries[#entries + 1] = { name = w.name, shape = shape, dtype = w.dtype, stored = stored }
    end
    if offset ~= #data then
      io.stderr:write(string.format("tfjs: warning: group %d's shards hold %d bytes, the manifest uses %d\n", gi, #data,
        offset))
    end
  end
  return tensors, entries
end

--- TF layout -> mien layout.
function tfjs.conv_filter(t) -- HWIO -> OIHW
  return t:permute(4, 3, 1, 2):contiguous()
end

--- A TF depthwise filter [kh,kw,C,M] as a mien grouped-convolution weight [C*M,1,kh,kw].
-- @tparam Tensor t
-- @treturn Tensor
function tfjs.depthwise_filter(t) -- [kh,kw,C,M] -> [C*M,1,kh,kw]
  local kh, kw, c, m = t:size(1), t:size(2), t:size(3), t:size(4)
  return t:permute(3, 4, 1, 2):contiguous():reshape(c * m, 1, kh, kw)
end

--- A TF-layout weight in mien's layout (convolution filters, depthwise filters, dense weights).
-- @tparam string name the tensor's name (a "depthwise" name is a depthwise filter)
-- @tparam Tensor t
-- @tparam[opt] table opts dense ("out_in": transpose 2-d weights)
-- @treturn Tensor
function tfjs.to_mien_layout(name, t, opts)
  opts = opts or {}
  if t:dim() == 4 then
    if name:lower():find("depthwise", 1, true) then return tfjs.depthwise_filter(t) end
    return tfjs.conv_filter(t)
  elseif t:dim() == 2 and opts.dense == "out_in" then
    return t:t():contiguous()
  end
  return t
end

--- name -> tensor of a weights manifest file (a JSON list of groups).
function tfjs.load_manifest(path, opts)
  opts = opts or {}
  local text, err = read_file(path)
  if not text then error("tfjs: cannot read " .. path .. ": " .. tostring(err), 2) end
  local groups = decode_json(text, path)
  if type(groups) ~= "table" or groups[1] == nil then
    error("tfjs: " .. path .. " is not a weights manifest (a JSON list of groups)", 2)
  end
  local tensors, entries = tfjs.read_weights(groups, dirname(path), { source = path, allow_outside = opts.allow_outside })
  if opts.layout ~= "tf" then
    for name, t in pairs(tensors) do tensors[name] = tfjs.to_mien_layout(name, t, opts) end
  end
  return tensors, entries
end

--- Graph models: see mien.tfjs.graph.
function tfjs.load_graph(path, opts)
  return require("mien.tfjs.graph").load(path, opts)
end

--- A weights manifest -> name -> tensor; a graph model -> a GraphModel module.
function tfjs.load(path, opts)
  assert(type(path) == "string", "tfjs.load: path must be a string")
  local text, err = read_file(path)
  if not text then error("tfjs: cannot read " .. path .. ": " .. tostring(err), 2) end
  local v = decode_json(text, path)
  if type(v) == "table" and v[1] ~= nil then
    return tfjs.load_manifest(path, opts)
  end
  if type(v) == "table" and v.modelTopology then
    if v.format and v.format ~= "graph-model" then
      error("tfjs: " .. path .. " is a '" .. tostring(v.format) .. "'; only graph models and weights manifests load", 2)
    end
    return require("mien.tfjs.graph").from_json(v, dirname(path), opts, path)
  end
  error("tfjs: " .. path .. " is neither a weights manifest nor a graph model", 2)
end

tfjs.ops = require "mien.tfjs.ops"
tfjs.read_file = read_file
tfjs.decode_json = decode_json
tfjs.dirname = dirname

return setmetatable(tfjs, {
  __index = function(t, k)
    if k == "GraphModel" then
      local g = require("mien.tfjs.graph").GraphModel
      rawset(t, k, g)
      return g
    end
  end,
})
