--- nn.Module: the base of every layer and model.
--
-- A module holds parameters (tensors that train), buffers (state that is
-- saved but not trained, like BatchNorm's running statistics) and child
-- modules, all as plain fields: self.weight, self.running_mean, self.fc.
-- Assigning a module or a tensor that requires grad to a new field registers
-- it (a child or a parameter); register_buffer registers buffers. Children of
-- a Sequential live at the integer keys 1..n and are named "1", "2", ...
--
-- Define a module:
--   local Net = nn.Module:extend("Net")
--   function Net:__init(classes) self.fc = nn.Linear(10, classes) end
--   function Net:forward(x) return self.fc(x) end
--   local net = Net(7)          -- net(x) calls net:forward(x)
local mien = require "mien"

local Module = {}
Module.__index = Module
Module.__name = "Module"
Module._is_module_class = true

local is_tensor = mien.is_tensor
Module.is_tensor = is_tensor

-- An instance (not a class): it has its own registration lists.
local function is_module(v)
  return type(v) == "table" and rawget(v, "_params") ~= nil
end
Module.is_module = is_module

-- ---------------------------------------------------------------- classes

local function construct(cls, ...)
  local self = setmetatable({}, cls)
  rawset(self, "_params", {})
  rawset(self, "_buffers", {})
  rawset(self, "_children", {})
  rawset(self, "training", true)
  rawset(self, "frozen", false)
  local init = cls.__init
  if init then init(self, ...) end
  return self
end

--- Subclass: local Conv = Module:extend("Conv2d"). Metamethods are copied
-- (Lua looks them up with rawget on the metatable).
function Module:extend(name)
  local cls = {}
  for _, k in ipairs { "__call", "__tostring", "__newindex", "__len", "__concat" } do
    cls[k] = rawget(self, k)
  end
  cls.__index = cls
  cls.__name = name or "Module"
  cls._is_module_class = true
  cls.super = self
  return setmetatable(cls, { __index = self, __call = construct })
end

setmetatable(Module, { __call = construct })

-- Auto-registration of new fields: modules become children, tensors that
-- require grad become parameters; anything else is a plain field.
function Module.__newindex(self, key, value)
  if type(key) == "string" then
    if is_module(value) then
      local list = rawget(self, "_children")
      local known = false
      for _, n in ipairs(list) do
        if n == key then known = true break end
      end
      if not known then list[#list + 1] = key end
    elseif is_tensor(value) and value.requires_grad then
      self:register_parameter(key, value)
      return
    end
  end
  rawset(self, key, value)
end

function Module.__call(self, ...)
  local out = self:forward(...)
  local hook = Module._forward_hook
  if hook then hook(self, out) end
  return out
end

-- Subclasses set up their fields here; Parent.__init(self, ...) chains.
function Module:__init() end

--- The module's computation; every module class defines it (calling the module calls it).
-- @param ... the inputs
-- @return the outputs
function Module:forward()
  error(self.__name .. ": forward is not implemented", 2)
end

-- ------------------------------------------------------------ registration

local function add_name(list, name)
  for _, n in ipairs(list) do
    if n == name then return end
  end
  list[#list + 1] = name
end

--- Add (or replace, or with nil remove) a trainable parameter, reachable as self[name].
-- @tparam string name
-- @tparam Tensor t (requires_grad is set unless the module is frozen)
function Module:register_parameter(name, t)
  assert(type(name) == "string", "register_parameter: name must be a string")
  if t ~= nil and not is_tensor(t) then error("register_parameter: '" .. name .. "' is not a tensor", 2) end
  if t ~= nil and not t.requires_grad and not self.frozen then t.requires_grad = true end
  add_name(rawget(self, "_params"), name)
  rawset(self, name, t)
  return t
end

--- Add a non-trainable tensor saved with the state dict (e.g. batch-norm running means), reachable as self[name].
-- @tparam string name
-- @tparam Tensor t
function Module:register_buffer(name, t)
  assert(type(name) == "string", "register_buffer: name must be a string")
  if t ~= nil and not is_tensor(t) then error("register_buffer: '" .. name .. "' is not a tensor", 2) end
  add_name(rawget(self, "_buffers"), name)
  rawset(self, name, t)
  return t
end

--- Add a child module, reachable as self[name] (an integer name appends to a container).
-- @param name string or integer
-- @param m the module
function Module:add_module(name, m)
  if not is_module(m) then error("add_module: '" .. tostring(name) .. "' is not a module", 2) end
  if math.type(name) == "integer" then
    rawset(self, name, m)
  else
    add_name(rawget(self, "_children"), name)
    rawset(self, name, m)
  end
  return m
end

-- ------------------------------------------------------------- traversal

-- Ordered {name, module} of the direct children: integer slots, then named fields.
function Module:_child_list()
  local out = {}
  for i = 1, rawlen(self) do
    local m = rawget(self, i)
    if is_module(m) then out[#out + 1] = { tostring(i), m } end
  end
  for _, name in ipairs(rawget(self, "_children")) do
    local m = rawget(self, name)
    if is_module(m) then out[#out + 1] = { name, m } end
  end
  return out
end

local function list_iter(list)
  local i = 0
  return function()
    i = i + 1
    local e = list[i]
    if e then return e[1], e[2] end
  end
end

--- for name, child in m:named_children()
function Module:named_children()
  return list_iter(self:_child_list())
end

--- The direct child modules, in order.
-- @treturn {Module,...}
function Module:children()
  local out = {}
  for _, e in ipairs(self:_child_list()) do out[#out + 1] = e[2] end
  return out
end

-- Pre-order {name, module}; the root is named "" (prefix when given).
local function collect_modules(m, prefix, out, seen)
  if seen[m] then return end
  seen[m] = true
  out[#out + 1] = { prefix, m }
  for _, e in ipairs(m:_child_list()) do
    collect_modules(e[2], prefix == "" and e[1] or prefix .. "." .. e[1], out, seen)
  end
end

function Module:_module_list()
  local out = {}
  collect_modules(self, "", out, {})
  return out
end

--- for name, m in model:named_modules()  (the model itself first, named "")
function Module:named_modules()
  return list_iter(self:_module_list())
end

--- for m in model:modules()
function Module:modules()
  local list, i = self:_module_list(), 0
  return function()
    i = i + 1
    local e = list[i]
    if e then return e[2], e[1] end
  end
end

-- {name, tensor} of parameters (kind "_params") or buffers, shared tensors once.
function Module:_tensor_list(kind)
  local out, seen = {}, {}
  for _, e in ipairs(self:_module_list()) do
    local prefix, m = e[1], e[2]
    for _, name in ipairs(rawget(m, kind)) do
      local t = rawget(m, name)
      if t ~= nil and not seen[t] then
        seen[t] = true
        out[#out + 1] = { prefix == "" and name or prefix .. "." .. name, t }
      end
    end
  end
  return out
end

--- for name, p in model:named_parameters()  (dotted names: "features.1.weight")
function Module:named_parameters()
  return list_iter(self:_tensor_list("_params"))
end

--- Iterate over (dotted name, tensor) of every buffer, this module's and its descendants'.
-- @treturn function iterator
function Module:named_buffers()
  return list_iter(self:_tensor_list("_buffers"))
end

--- A list of the parameter tensors (what the optimizers take).
function Module:parameters()
  local out = {}
  for _, e in ipairs(self:_tensor_list("_params")) do out[#out + 1] = e[2] end
  return out
end

--- Only the parameters that require grad (not frozen).
function Module:trainable_parameters()
  local out = {}
  for _, e in ipairs(self:_tensor_list("_params")) do
    if e[2].requires_grad then out[#out + 1] = e[2] end
  end
  return out
end

--- Every buffer tensor, this module's and its descendants'.
-- @treturn {Tensor,...}
function Module:buffers()
  local out = {}
  for _, e in ipairs(self:_tensor_list("_buffers")) do out[#out + 1] = e[2] end
  return out
end

--- fn(m) on every sub-module, children before parents (like PyTorch).
function Module:apply(fn)
  for _, e in ipairs(self:_child_list()) do e[2]:apply(fn) end
  fn(self)
  return self
end

-- ------------------------------------------------------------------ modes

--- Set training mode (dropout active, batch norm using batch statistics) on this module and its descendants.
-- @tparam[opt=true] boolean mode false for eval mode
-- @return self
function Module:train(mode)
  if mode == nil then mode = true end
  for m in self:modules() do rawset(m, "training", mode and true or false) end
  return self
end

--- Eval mode: train(false).
-- @return self
function Module:eval()
  return self:train(false)
end

--- A copy for inference with Conv2d/Linear + BatchNorm folded and ReLU and 2x2 max-pool fused into the
-- convolution (mien.nn.fuse); the model keeps its parameters and state_dict, and is put in eval mode.
-- @return the fused copy (it refuses train())
-- @usage local fast = model:fuse(); local y = mien.no_grad(function() return fast(x) end)
function Module:fuse()
  return require("mien.nn.fuse").fuse(self)
end

--- Freeze this module and everything under it: parameters stop requiring
-- grad (and lose their grads), and BatchNorm layers use and keep their
-- running statistics even while the model is in train mode.
function Module:freeze()
  for m in self:modules() do
    rawset(m, "frozen", true)
    for _, name in ipairs(rawget(m, "_params")) do
      local p = rawget(m, name)
      if p then
        p.grad = nil
        p.requires_grad = false
      end
    end
  end
  return self
end

--- Make every parameter trainable again (undoes freeze), with its descendants.
-- @return self
function Module:unfreeze()
  for m in self:modules() do
    rawset(m, "frozen", false)
    for _, name in ipairs(rawget(m, "_params")) do
      local p = rawget(m, name)
      if p then p.requires_grad = true end
    end
  end
  return self
end

--- Drop the gradients of every parameter (p.grad = nil).
-- @return self
function Module:zero_grad()
  for _, p in ipairs(self:parameters()) do p.grad = nil end
  return self
end

-- ------------------------------------------------------ state dicts

--- The module's parameters and buffers by name (its own tensors, not copies),
-- so `mien.io.safetensors.save(path, model:state_dict())` saves them.
-- @return table name -> tensor
-- @usage local sd = model:state_dict(); print(sd["0.weight"]:shape()[1])
function Module:state_dict()
  local sd = {}
  for _, kind in ipairs { "_params", "_buffers" } do
    for _, e in ipairs(self:_tensor_list(kind)) do sd[e[1]] = e[2] end
  end
  return sd
end

--- The names of state_dict's entries in module order (parameters, then buffers).
-- @return table list of names
function Module:state_dict_names()
  local order = {}
  for _, kind in ipairs { "_params", "_buffers" } do
    for _, e in ipairs(self:_tensor_list(kind)) do order[#order + 1] = e[1] end
  end
  return order
end

local function shape_str(t)
  return "[" .. table.concat(t:shape(), ",") .. "]"
end

--- Copies the tensors of sd into the module. strict (default true): a key the
-- module lacks, or one of its tensors missing from sd, is an error naming
-- it. A shape mismatch is always an error. Returns {missing=, unexpected=}.
function Module:load_state_dict(sd, opts)
  local strict = not (opts and opts.strict == false)
  local own, order = self:state_dict(), self:state_dict_names()
  local missing, unexpected, mismatched = {}, {}, {}
  for _, name in ipairs(order) do
    local src = sd[name]
    if src == nil then
      missing[#missing + 1] = name
    elseif not is_tensor(src) then
      mismatched[#mismatched + 1] = string.format("'%s' is a %s, not a tensor", name, type(src))
    else
      local dst = own[name]
      local a, b = dst:shape(), src:shape()
      local same = #a == #b
      for d = 1, #a do same = same and a[d] == b[d] end
      if not same then
        mismatched[#mismatched + 1] =
          string.format("'%s' has shape %s in the state dict, %s in the model", name, shape_str(src), shape_str(dst))
      end
    end
  end
  for name in pairs(sd) do
    if own[name] == nil then unexpected[#unexpected + 1] = name end
  end
  table.sort(unexpected)
  local problems = {}
  if #mismatched > 0 then problems[#problems + 1] = "size mismatch: " .. table.concat(mismatched, "; ") end
  if strict and #missing > 0 then problems[#problems + 1] = "missing keys: " .. table.concat(missing, ", ") end
  if strict and #unexpected > 0 then
    problems[#problems + 1] = "unexpected keys: " .. table.concat(unexpected, ", ")
  end
  if #problems > 0 then error("load_state_dict: " .. table.concat(problems, "; "), 2) end
  mien.no_grad(function()
    for _, name in ipairs(order) do
      local src = sd[name]
      if src ~= nil then own[name]:copy_(src) end
    end
  end)
  return { missing = missing, unexpected = unexpected }
end

-- ------------------------------------------------- dtype and device moves

--- model:to("float64") / to("float32") / to("cuda") / to("cpu"): replaces the
-- parameter and buffer tensors in place (float buffers follow a dtype change,
-- integer ones stay). Build optimizers after moving a model.
function Module:to(what)
  local dtypes = { float32 = "float32", float = "float32", float64 = "float64", double = "float64" }
  local dtype = dtypes[what]
  local device = not dtype and tostring(what) or nil
  if device and device ~= "cpu" and not device:match("^cuda") then
    error("to: expected a float dtype or a device, got " .. tostring(what), 2)
  end
  if device then device = device:match("^cuda") and "cuda" or "cpu" end
  local moved = {}
  local function convert(t, is_buffer)
    if moved[t] then return moved[t] end
    local out = t
    if dtype then
      local keep = is_buffer and not t:dtype():match("^float")
      if not keep and t:dtype() ~= dtype then
        out = mien.no_grad(function() return t:to(dtype):detach() end)
      end
    elseif t:device() ~= device then
      out = mien.no_grad(function() return t:to(device):detach() end)
    end
    moved[t] = out
    return out
  end
  for m in self:modules() do
    for _, name in ipairs(rawget(m, "_params")) do
      local p = rawget(m, name)
      if p then
        local q = convert(p, false)
        if q ~= p then
          q.requires_grad = p.requires_grad
          rawset(m, name, q)
        end
      end
    end
    for _, name in ipairs(rawget(m, "_buffers")) do
      local b = rawget(m, name)
      if b then rawset(m, name, convert(b, true)) end
    end
  end
  return self
end

--- to("float32").
-- @return self
function Module:float() return self:to("float32") end
--- to("float64").
-- @return self
function Module:double() return self:to("float64") end
--- to("cuda").
-- @return self
function Module:cuda() return self:to("cuda") end
--- to("cpu").
-- @return self
function Module:cpu() return self:to("cpu") end

-- ------------------------------------------------------------ printing

local function count(params)
  local total, trainable = 0, 0
  for _, p in ipairs(params) do
    local n = p:numel()
    total = total + n
    if p.requires_grad then trainable = trainable + n end
  end
  return total, trainable
end
Module._count = count

-- 1234567 -> "1,234,567"
local function commas(n)
  local s = tostring(math.tointeger(n) or n)
  local k
  repeat s, k = s:gsub("^(-?%d+)(%d%d%d)", "%1,%2") until k == 0
  return s
end
Module._commas = commas

--- Text after the type name, e.g. "1, 64, kernel_size=3"; layers override it.
function Module:extra_repr()
  return ""
end

-- The tree as text; "frozen" marks the top of each frozen sub-tree.
function Module:_repr(indent, parent_frozen)
  local kids = self:_child_list()
  local extra = self:extra_repr()
  local mark = self.frozen and not parent_frozen
  if #kids == 0 then
    if mark then extra = extra ~= "" and extra .. ", frozen" or "frozen" end
    return self.__name .. "(" .. extra .. ")"
  end
  local lines = { self.__name .. "(" .. extra .. (mark and "  -- frozen" or "") }
  local pad = indent .. "  "
  for _, e in ipairs(kids) do
    lines[#lines + 1] = pad .. "(" .. e[1] .. "): " .. e[2]:_repr(pad, self.frozen)
  end
  lines[#lines + 1] = indent .. ")"
  return table.concat(lines, "\n")
end

function Module.__tostring(self)
  local total, trainable = count(self:parameters())
  return self:_repr("") .. string.format("\nParameters: %s total, %s trainable, %s frozen", commas(total),
    commas(trainable), commas(total - trainable))
end

--- Runs a dummy forward on zeros of shape {1, ...input_shape} (eval mode, no
-- grad; the previous modes are restored) and lists each leaf module's output
-- shape and parameter count. Prints the table unless opts.print == false;
-- returns it as a string.
function Module:summary(input_shape, opts)
  opts = opts or {}
  local shape = { 1 }
  for _, s in ipairs(input_shape) do shape[#shape + 1] = s end
  local first = self:parameters()[1] or self:buffers()[1]
  local dtype = opts.dtype or (first and first:dtype():match("^float") and first:dtype()) or "float32"
  local x = mien.zeros(shape, { dtype = dtype })
  if first and first:device() ~= "cpu" then x = x:to(first:device()) end

  local names = {}
  for name, m in self:named_modules() do names[m] = name end
  local modes = {}
  for m in self:modules() do modes[m] = rawget(m, "training") end

  local rows = {}
  local prev = Module._forward_hook
  Module._forward_hook = function(m, out)
    if #m:_child_list() == 0 then
      local shp
      if is_tensor(out) then shp = shape_str(out) else shp = type(out) end
      local n = 0
      for _, pname in ipairs(rawget(m, "_params")) do
        local p = rawget(m, pname)
        if p then n = n + p:numel() end
      end
      rows[#rows + 1] = { (names[m] or "?") .. " (" .. m.__name .. ")", shp, commas(n) }
    end
    if prev then prev(m, out) end
  end
  self:eval()
  local ok, err = pcall(mien.no_grad, function() return self(x) end)
  Module._forward_hook = prev
  for m, mode in pairs(modes) do rawset(m, "training", mode) end
  if not ok then error("summary: the forward pass failed: " .. tostring(err), 2) end

  local w1, w2, w3 = #"Layer (type)", #"Output shape", #"Params"
  for _, r in ipairs(rows) do
    w1, w2, w3 = math.max(w1, #r[1]), math.max(w2, #r[2]), math.max(w3, #r[3])
  end
  local fmt = "%-" .. w1 .. "s  %-" .. w2 .. "s  %" .. w3 .. "s"
  local rule = string.rep("-", w1 + w2 + w3 + 4)
  local lines = { self.__name .. " summary, input " .. shape_str(x), rule, string.format(fmt, "Layer (type)",
    "Output shape", "Params"), rule }
  for _, r in ipairs(rows) do lines[#lines + 1] = string.format(fmt, r[1], r[2], r[3]) end
  local total, trainable = count(self:parameters())
  lines[#lines + 1] = rule
  lines[#lines + 1] = "Total params: " .. commas(total)
  lines[#lines + 1] = "Trainable params: " .. commas(trainable)
  lines[#lines + 1] = "Non-trainable params: " .. commas(total - trainable)
  local text = table.concat(lines, "\n")
  if opts.print ~= false then print(text) end
  return text
end

return Module
