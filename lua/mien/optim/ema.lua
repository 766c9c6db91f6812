--- An exponential moving average of a model's weights (Polyak averaging as
-- in timm's ModelEma): after every optimizer step,
--   shadow = d * shadow + (1 - d) * weight,  d = min(decay, (1 + n) / (10 + n)) with warmup
-- (n = updates so far), for every parameter and floating-point buffer (BatchNorm
-- running statistics, as timm's ModelEmaV2); integer buffers are copied. Evaluating with the averaged weights
-- usually gains accuracy for free at the end of a short schedule.
--   local ema = mien.optim.EMA(model, {decay = 0.999})
--   ... opt:step(); ema:update()
--   local r = ema:apply(function() return mien.train.evaluate(model, val) end)  -- shadow weights swapped in
--   ema:copy_to(model)                                                          -- keep the shadow weights
-- mien.train.fit{ema = ema} updates it after every step, validates with it
-- and keeps it in the checkpoints (tensors "ema.<name>").
local mien = require "mien"
local args = require "mien.util.args"

local EMA = {}
EMA.__index = EMA
EMA.__name = "EMA"

--- A moving average of model's parameters and floating-point buffers.
-- @param model a mien.nn module
-- @tparam[opt] table opts decay (0.999), warmup (true: d = min(decay, (1 + n) / (10 + n)))
-- @treturn EMA
-- @usage local ema = mien.optim.EMA(model, {decay = 0.998})
local function new(model, opts)
  if type(model) ~= "table" or type(model.state_dict) ~= "function" then
    error("EMA: argument #1 must be a mien.nn module", 2)
  end
  opts = args.options("EMA", 2, opts, "{decay=, warmup=}")
  local decay = opts.decay or 0.999
  if type(decay) ~= "number" or decay < 0 or decay >= 1 then
    error("EMA: decay must be a number in [0, 1), got " .. tostring(decay), 2)
  end
  local self = setmetatable({ model = model, decay = decay, warmup = opts.warmup ~= false, updates = 0,
    names = model:state_dict_names(), shadow = {} }, EMA)
  local sd = model:state_dict()
  mien.no_grad(function()
    for _, name in ipairs(self.names) do self.shadow[name] = sd[name]:detach():clone() end
  end)
  return self
end

--- The decay the next update uses.
-- @treturn number
function EMA:current_decay()
  if not self.warmup then return self.decay end
  return math.min(self.decay, (1 + self.updates) / (10 + self.updates))
end

--- Move the average towards the model's current weights (call after each optimizer step).
function EMA:update()
  local d = self:current_decay()
  local sd = self.model:state_dict()
  mien.no_grad(function()
    for _, name in ipairs(self.names) do
      local s, w = self.shadow[name], sd[name]
      if s:dtype() == "float32" or s:dtype() == "float64" then
        s:mul_(d):add_(w:detach(), 1 - d)
      else
        s:copy_(w)
      end
    end
  end)
  self.updates = self.updates + 1
end

-- exchange the model's tensors with the shadow ones, in place
local function swap(self)
  local sd = self.model:state_dict()
  mien.no_grad(function()
    for _, name in ipairs(self.names) do
      local w, s = sd[name], self.shadow[name]
      local tmp = w:detach():clone()
      w:copy_(s)
      s:copy_(tmp)
    end
  end)
end

--- Run fn with the averaged weights in the model, then put the trained weights back (even on an error).
-- @tparam function fn called with no arguments
-- @return what fn returns
-- @usage local r = ema:apply(function() return mien.train.evaluate(model, val) end)
function EMA:apply(fn)
  swap(self)
  local res = table.pack(pcall(fn))
  swap(self)
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

--- Copy the averaged weights into a module of the same structure (the model itself by default).
-- @param[opt] target a module (default: the averaged model)
function EMA:copy_to(target)
  target = target or self.model
  target:load_state_dict(self:state_dict())
end

--- The averaged tensors by name (the EMA's own tensors, not copies).
-- @treturn table name -> tensor
function EMA:state_dict()
  local out = {}
  for _, name in ipairs(self.names) do out[name] = self.shadow[name] end
  return out
end

--- Restore the averaged tensors (from a checkpoint's "ema." entries) and the update count.
-- @tparam table sd name -> tensor, every name of the model
-- @tparam[opt] int updates the number of updates so far (keeps the warm-up where it was)
function EMA:load_state_dict(sd, updates)
  for _, name in ipairs(self.names) do
    local t = sd[name]
    if not mien.is_tensor(t) then error("EMA:load_state_dict: the state has no tensor '" .. name .. "'", 2) end
    local a, b = t:shape(), self.shadow[name]:shape()
    if table.concat(a, ",") ~= table.concat(b, ",") then
      error(string.format("EMA:load_state_dict: '%s' has shape [%s], the model's is [%s]", name,
        table.concat(a, ","), table.concat(b, ",")), 2)
    end
  end
  mien.no_grad(function()
    for _, name in ipairs(self.names) do self.shadow[name]:copy_(sd[name]) end
  end)
  if updates then self.updates = updates end
end

function EMA:__tostring()
  return string.format("EMA(decay=%g, updates=%d, tensors=%d)", self.decay, self.updates, #self.names)
end

return setmetatable({ new = new, EMA = EMA }, { __call = function(_, ...) return new(...) end })
