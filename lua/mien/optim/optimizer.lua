--- The optimizer base: parameter groups, per-parameter state, zero_grad and
-- state dicts. Subclasses (sgd.lua, adam.lua, rmsprop.lua) set the defaults
-- and implement update(p, grad, state, group), which calls one fused update
-- of the core per parameter (on the parameter's device, through its backend).
--
--   opt = optim.Adam(model:parameters(), {lr = 1e-3})
--   opt = optim.Adam({{params = backbone, lr = 1e-4}, {params = head}}, {lr = 1e-3, weight_decay = 1e-4})
-- A group's missing hyper-parameters come from the second argument, then
-- from the optimizer's defaults. A module may stand in for its parameters.
local Optimizer = {}
Optimizer.__index = Optimizer

local is_tensor = require("mien").is_tensor
Optimizer.is_tensor = is_tensor

local function is_module(v)
  return type(v) == "table" and rawget(v, "_params") ~= nil
end

-- A list of tensors from a tensor, a list of tensors or a module.
local function param_list(v, where)
  if is_tensor(v) then return { v } end
  if is_module(v) then return v:parameters() end
  if type(v) ~= "table" then
    error(where .. ": expected parameters (a list of tensors or a module), got " .. type(v), 4)
  end
  local out = {}
  for i, p in ipairs(v) do
    if not is_tensor(p) then error(string.format("%s: parameter %d is a %s, not a tensor", where, i, type(p)), 4) end
    out[#out + 1] = p
  end
  return out
end

local function copy_value(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy_value(x) end
  return out
end

--- Builds an optimizer of class cls with the class's defaults.
function Optimizer.new(cls, params, opts, name)
  opts = require("mien.util.args").options(name, 2, opts, "{lr=, weight_decay=, ...}")
  local self = setmetatable({ state = {}, param_groups = {}, name = name }, cls)
  local hyper = {}
  for k, v in pairs(cls.defaults) do hyper[k] = v end
  for k, v in pairs(opts) do
    if cls.defaults[k] == nil and k ~= "params" then
      error(string.format("%s: unknown option '%s'", name, tostring(k)), 3)
    end
    hyper[k] = v
  end
  self.defaults = hyper
  local groups
  if type(params) == "table" and not is_module(params) and type(params[1]) == "table" and not is_tensor(params[1])
    and not is_module(params[1]) then
    groups = params
  else
    groups = { { params = params } }
  end
  local seen = {}
  for gi, g in ipairs(groups) do
    local group = { params = param_list(g.params, name .. " group " .. gi) }
    for k, v in pairs(g) do
      if k ~= "params" then
        if hyper[k] == nil and k ~= "initial_lr" and k ~= "name" then
          error(string.format("%s: group %d has unknown option '%s'", name, gi, tostring(k)), 3)
        end
        group[k] = copy_value(v)
      end
    end
    for k, v in pairs(hyper) do
      if group[k] == nil then group[k] = copy_value(v) end
    end
    for _, p in ipairs(group.params) do
      if seen[p] then error(name .. ": a parameter appears in more than one group", 3) end
      seen[p] = true
    end
    if cls.check_group then cls.check_group(group, name) end
    self.param_groups[gi] = group
  end
  return self
end

--- Applies one update to every parameter that has a gradient. closure
-- (optional) re-evaluates the loss first and its result is returned.
-- A subclass with update_many(ps, grads, states, group) gets each group's
-- parameters in one call (a multi-tensor update); otherwise update(p, grad,
-- state, group) is called per parameter.
function Optimizer:step(closure)
  local loss
  if closure then loss = closure() end
  for _, group in ipairs(self.param_groups) do
    local ps, grads, states = {}, {}, {}
    for _, p in ipairs(group.params) do
      local g = p.grad
      if g ~= nil then
        local st = self.state[p]
        if not st then
          st = {}
          self.state[p] = st
        end
        if self.update_many then
          ps[#ps + 1], grads[#grads + 1], states[#states + 1] = p, g, st
        else
          self:update(p, g, st, group)
        end
      end
    end
    if #ps > 0 then self:update_many(ps, grads, states, group) end
  end
  return loss
end

--- Splits the parameters of a multi-tensor update into the lists one core
-- call can take: the same device, dtype and key(i) (e.g. Adam's step count).
-- @tparam {Tensor,...} ps the parameters
-- @tparam function key key(i) -> string or number for parameter i
-- @treturn {{integer,...},...} lists of indices into ps, in order of first appearance
-- @usage for _, idx in ipairs(Optimizer.buckets(ps, function(i) return states[i].step end)) do ... end
function Optimizer.buckets(ps, key)
  local lists, index = {}, {}
  for i, p in ipairs(ps) do
    local k = p:device() .. "|" .. p:dtype() .. "|" .. tostring(key(i))
    local list = index[k]
    if not list then
      list = {}
      index[k] = list
      lists[#lists + 1] = list
    end
    list[#list + 1] = i
  end
  return lists
end

--- Sets every gradient to nil (set_to_none, the default) or to zero.
function Optimizer:zero_grad(set_to_none)
  for _, group in ipairs(self.param_groups) do
    for _, p in ipairs(group.params) do
      if set_to_none == false then
        local g = p.grad
        if g then g:zero_() end
      else
        p.grad = nil
      end
    end
  end
end

--- Adds a group (like PyTorch's add_param_group).
function Optimizer:add_param_group(g)
  local group = { params = param_list(g.params, self.name .. " add_param_group") }
  for k, v in pairs(g) do
    if k ~= "params" then group[k] = copy_value(v) end
  end
  for k, v in pairs(self.defaults) do
    if group[k] == nil then group[k] = copy_value(v) end
  end
  if self.check_group then self.check_group(group, self.name) end
  self.param_groups[#self.param_groups + 1] = group
end

--- The learning rate of each parameter group.
-- @treturn {number,...}
function Optimizer:get_lr()
  local out = {}
  for i, g in ipairs(self.param_groups) do out[i] = g.lr end
  return out
end

--- {state = {[i] = {step=, exp_avg=<tensor>, ...}}, param_groups = {{lr=, ..., params = {i, ...}}}}
-- Parameters are numbered 1.. across the groups in order. Tensors are the
-- optimizer's own (not copies).
function Optimizer:state_dict()
  local state, groups, index = {}, {}, 0
  for gi, group in ipairs(self.param_groups) do
    local g = { params = {} }
    for k, v in pairs(group) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    for _, p in ipairs(group.params) do
      index = index + 1
      g.params[#g.params + 1] = index
      local st = self.state[p]
      if st then
        local s = {}
        for k, v in pairs(st) do s[k] = v end
        state[index] = s
      end
    end
    groups[gi] = g
  end
  return { type = self.name, state = state, param_groups = groups }
end

--- Restores hyper-parameters and state (tensors are copied). The groups must
-- have the same sizes as the saved ones.
function Optimizer:load_state_dict(sd)
  if sd.type and sd.type ~= self.name then
    error(string.format("load_state_dict: the state is of a %s, this is a %s", sd.type, self.name), 2)
  end
  local groups = sd.param_groups
  if #groups ~= #self.param_groups then
    error(string.format("load_state_dict: %d parameter groups saved, the optimizer has %d", #groups,
      #self.param_groups), 2)
  end
  local by_index = {}
  for gi, group in ipairs(self.param_groups) do
    local saved = groups[gi]
    if #saved.params ~= #group.params then
      error(string.format("load_state_dict: group %d has %d parameters saved, %d here", gi, #saved.params,
        #group.params), 2)
    end
    for k, v in pairs(saved) do
      if k ~= "params" then group[k] = copy_value(v) end
    end
    for i, p in ipairs(group.params) do by_index[math.tointeger(saved.params[i]) or saved.params[i]] = p end
  end
  self.state = {}
  for idx, s in pairs(sd.state or {}) do
    local p = by_index[math.tointeger(idx) or tonumber(idx)]
    if not p then error("load_state_dict: state for unknown parameter " .. tostring(idx), 2) end
    local st = {}
    for k, v in pairs(s) do
      if is_tensor(v) then
        local shape, want = v:shape(), p:shape()
        if v:numel() ~= p:numel() then
          error(string.format("load_state_dict: state '%s' of parameter %s has shape [%s], the parameter [%s]", k,
            tostring(idx), table.concat(shape, ","), table.concat(want, ",")), 2)
        end
        local c = require("mien").zeros(want, { dtype = p:dtype() })
        if p:device() ~= "cpu" then c = c:to(p:device()) end
        c:copy_(v:reshape(want))
        st[k] = c
      elseif type(v) == "number" and k == "step" then
        st[k] = math.tointeger(v) or v
      else
        st[k] = copy_value(v)
      end
    end
    self.state[p] = st
  end
end

--- Subclass: local SGD = Optimizer.class("SGD", {lr = 0.01, momentum = 0, ...})
function Optimizer.class(name, defaults)
  local cls = setmetatable({}, { __index = Optimizer })
  cls.__index = cls
  cls.defaults = defaults
  cls.__name = name
  cls.__tostring = function(self)
    local lines = { name .. " (" .. #self.param_groups .. " group" .. (#self.param_groups == 1 and "" or "s") .. ")" }
    for i, g in ipairs(self.param_groups) do
      local keys = {}
      for k in pairs(g) do
        if k ~= "params" then keys[#keys + 1] = k end
      end
      table.sort(keys)
      local parts = {}
      for _, k in ipairs(keys) do
        local v = g[k]
        if type(v) == "table" then v = "{" .. table.concat(v, ", ") .. "}" end
        parts[#parts + 1] = k .. "=" .. tostring(v)
      end
      lines[#lines + 1] = string.format("  group %d: %d params, %s", i, #g.params, table.concat(parts, ", "))
    end
    return table.concat(lines, "\n")
  end
  setmetatable(cls, {
    __index = Optimizer,
    __call = function(c, params, opts) return Optimizer.new(c, params, opts, name) end,
  })
  return cls
end

return Optimizer
