--- nn.init: in-place weight initialisers (PyTorch naming), drawing from mien's
-- global generator, so mien.manual_seed(s) makes models reproducible. Each
-- returns its tensor. Names without the trailing underscore are aliases.
--   init.kaiming_uniform_(w, {a=0, mode="fan_in", nonlinearity="leaky_relu"})
--   init.kaiming_normal_(w, {...});  init.xavier_uniform_(w, {gain=1}); init.xavier_normal_(w, {gain=1})
--   init.uniform_(w, lo, hi); init.normal_(w, mean, std); init.zeros_(w); init.ones_(w); init.constant_(w, v)
--   init.calculate_gain(nonlinearity, param); init.fan_in_and_fan_out(w)
local mien = require "mien"

local init = {}

--- Gain for a nonlinearity (param: the negative slope of leaky_relu).
function init.calculate_gain(nonlinearity, param)
  nonlinearity = nonlinearity or "leaky_relu"
  if nonlinearity == "linear" or nonlinearity == "identity" or nonlinearity == "sigmoid"
    or nonlinearity:match("^conv") then
    return 1.0
  elseif nonlinearity == "tanh" then
    return 5.0 / 3.0
  elseif nonlinearity == "relu" then
    return math.sqrt(2.0)
  elseif nonlinearity == "leaky_relu" then
    local slope = param == nil and 0.01 or param
    return math.sqrt(2.0 / (1 + slope * slope))
  elseif nonlinearity == "selu" then
    return 3.0 / 4.0
  end
  error("calculate_gain: unknown nonlinearity '" .. tostring(nonlinearity) .. "'", 2)
end

--- Weight [out, in, k...]: fan_in = in * prod(k), fan_out = out * prod(k).
function init.fan_in_and_fan_out(t)
  local shape = t:shape()
  if #shape < 2 then error("fan_in_and_fan_out: needs a tensor with at least 2 dims", 2) end
  local receptive = 1
  for d = 3, #shape do receptive = receptive * shape[d] end
  return shape[2] * receptive, shape[1] * receptive
end

local function fan(t, mode)
  local fan_in, fan_out = init.fan_in_and_fan_out(t)
  if mode == nil or mode == "fan_in" then return fan_in end
  if mode == "fan_out" then return fan_out end
  error("kaiming: mode must be \"fan_in\" or \"fan_out\", got '" .. tostring(mode) .. "'", 3)
end

local function fill(fn)
  return function(t, ...)
    local args = table.pack(...)
    mien.no_grad(function() fn(t, table.unpack(args, 1, args.n)) end)
    return t
  end
end

init.uniform_ = fill(function(t, lo, hi) t:uniform_(lo or 0, hi or 1) end)
init.normal_ = fill(function(t, mean, std) t:normal_(mean or 0, std or 1) end)
init.constant_ = fill(function(t, v) t:fill_(v) end)
init.zeros_ = fill(function(t) t:fill_(0) end)
init.ones_ = fill(function(t) t:fill_(1) end)

--- Fill t in place from U(-b, b), b = gain * sqrt(3 / fan) (He et al.).
-- @tparam Tensor t
-- @tparam[opt] table opts a (0: the negative slope), mode ("fan_in" or "fan_out"), nonlinearity ("leaky_relu")
-- @treturn Tensor t
function init.kaiming_uniform_(t, opts)
  opts = opts or {}
  local gain = init.calculate_gain(opts.nonlinearity or "leaky_relu", opts.a or 0)
  local bound = gain * math.sqrt(3.0 / fan(t, opts.mode))
  return init.uniform_(t, -bound, bound)
end

--- Fill t in place from N(0, (gain / sqrt(fan))^2) (He et al.).
-- @tparam Tensor t
-- @tparam[opt] table opts a (0), mode ("fan_in"), nonlinearity ("leaky_relu")
-- @treturn Tensor t
function init.kaiming_normal_(t, opts)
  opts = opts or {}
  local gain = init.calculate_gain(opts.nonlinearity or "leaky_relu", opts.a or 0)
  return init.normal_(t, 0, gain / math.sqrt(fan(t, opts.mode)))
end

--- Fill t in place from U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot).
-- @tparam Tensor t
-- @tparam[opt] table opts gain (1)
-- @treturn Tensor t
function init.xavier_uniform_(t, opts)
  local gain = opts and opts.gain or 1.0
  local fan_in, fan_out = init.fan_in_and_fan_out(t)
  local bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
  return init.uniform_(t, -bound, bound)
end

--- Fill t in place from N(0, (gain * sqrt(2 / (fan_in + fan_out)))^2) (Glorot).
-- @tparam Tensor t
-- @tparam[opt] table opts gain (1)
-- @treturn Tensor t
function init.xavier_normal_(t, opts)
  local gain = opts and opts.gain or 1.0
  local fan_in, fan_out = init.fan_in_and_fan_out(t)
  return init.normal_(t, 0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
end

for _, name in ipairs { "uniform", "normal", "constant", "zeros", "ones", "kaiming_uniform", "kaiming_normal",
  "xavier_uniform", "xavier_normal" } do
  init[name] = init[name .. "_"]
end

return init
