--- Axis scales with "nice" ticks: linear steps of 1, 2 or 5 x 10^k, log
-- axes at whole decades, and categorical axes. An axis maps data values to
-- [0, 1] with axis:fraction(v); its domain is widened to the outer ticks.
local ticks = {}

local EPS = 1e-9

local function trim_exponent(s)
  return (s:gsub("e([%-+]?)0*(%d)", function(sign, d)
    return "e" .. (sign == "-" and "-" or "") .. d
  end))
end

-- Largest 1/2/5 x 10^k step giving about `target` intervals over span.
local function nice_step(span, target)
  local raw = span / target
  local magnitude = 10 ^ math.floor(math.log(raw, 10))
  local f = raw / magnitude
  local m = f < 1.5 and 1 or f < 3 and 2 or f < 7 and 5 or 10
  return m * magnitude
end

local function label_for(v, step)
  local decimals = math.max(0, -math.floor(math.log(step, 10) + EPS))
  if decimals > 5 or math.abs(v) >= 1e6 then
    return trim_exponent(string.format("%g", v))
  end
  return string.format("%." .. decimals .. "f", v)
end

local Axis = {}
Axis.__index = Axis

--- Where v lies on the axis, 0 at lo and 1 at hi (log10 on a log axis).
-- @tparam number v
-- @treturn number
function Axis:fraction(v)
  local t = self.log and math.log(v, 10) or v
  return (t - self.lo) / (self.hi - self.lo)
end

--- Whether v can be drawn on this axis (finite; positive on a log axis).
function Axis:accepts(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge and (not self.log or v > 0)
end

local function axis(lo, hi, list, log)
  return setmetatable({ lo = lo, hi = hi, ticks = list, log = log }, Axis)
end

--- Linear axis covering [lo, hi]; a degenerate range is widened around it.
function ticks.linear(lo, hi, target)
  target = target or 5
  if lo > hi then
    lo, hi = hi, lo
  end
  if hi - lo <= math.abs(hi) * EPS then
    local pad = lo == 0 and 1 or math.abs(lo) * 0.1
    lo, hi = lo - pad, hi + pad
  end
  local step = nice_step(hi - lo, target)
  local first = math.floor(lo / step + EPS)
  local last = math.ceil(hi / step - EPS)
  local list = {}
  for i = first, last do
    local v = i * step
    list[#list + 1] = { value = v, label = label_for(v, step) }
  end
  return axis(first * step, last * step, list, false)
end

--- Log10 axis over whole decades covering [lo, hi] (both > 0); at most
-- about 8 labelled decades, skipping some on wide ranges.
function ticks.log(lo, hi)
  if lo > hi then
    lo, hi = hi, lo
  end
  local first = math.floor(math.log(lo, 10) + EPS)
  local last = math.ceil(math.log(hi, 10) - EPS)
  if first == last then
    first, last = first - 1, last + 1
  end
  local stride = math.ceil((last - first) / 8)
  last = first + stride * math.ceil((last - first) / stride)
  -- Plain decimals for moderate ranges, otherwise 1e<k> on every tick.
  local plain = first >= -3 and last <= 4
  local list = {}
  for e = first, last, stride do
    local v = 10.0 ^ e
    list[#list + 1] = { value = v, label = plain and string.format("%g", v) or "1e" .. e }
  end
  return axis(first, last, list, true)
end

--- Categorical axis: category i sits at value i.
function ticks.categories(names)
  local list = {}
  for i, name in ipairs(names) do
    list[i] = { value = i, label = tostring(name) }
  end
  return axis(0.5, #names + 0.5, list, false)
end

--- Axis for the finite values of `values` (positive ones only when log);
-- [0, 1] when there are none. opts.log; opts.range = {lo, hi} to fix it;
-- opts.pad widens a linear range by that fraction on each side, so points
-- do not sit on the frame.
function ticks.for_values(values, opts)
  opts = opts or {}
  if opts.range then
    return opts.log and ticks.log(opts.range[1], opts.range[2]) or ticks.linear(opts.range[1], opts.range[2])
  end
  local probe = axis(0, 1, {}, opts.log)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if probe:accepts(v) then
      lo, hi = math.min(lo, v), math.max(hi, v)
    end
  end
  if lo > hi then
    lo, hi = opts.log and 1 or 0, opts.log and 10 or 1
  elseif opts.pad and not opts.log then
    local pad = (hi - lo) * opts.pad
    lo, hi = lo - pad, hi + pad
  end
  return opts.log and ticks.log(lo, hi) or ticks.linear(lo, hi)
end

return ticks
