--- Search spaces: dimension constructors, sampling, grid enumeration and
-- the unit-cube encoding used by the Gaussian process.
--
-- A space is a table name -> dimension, where a dimension is
--   uniform(lo, hi[, {values=}]), log_uniform(lo, hi[, {values=}]),
--   int_uniform(lo, hi[, {values=}]), choice{v1, v2, ...}, a plain array
--   (= choice), or a scalar (a fixed value passed through unchanged).
-- `values` lists the points a grid sweep uses for a continuous dimension.
local args = require "mien.util.args"

local fail = args.fail

local space = {}

local Dim = {}
Dim.__index = Dim

local function check_values(values)
  if values == nil then
    return nil
  end
  if type(values) ~= "table" or #values == 0 then
    fail("values must be a non-empty array")
  end
  return values
end

local function range_dim(kind, lo, hi, opts)
  if type(lo) ~= "number" or type(hi) ~= "number" or lo >= hi then
    fail("needs numbers lo < hi, got %s, %s", tostring(lo), tostring(hi))
  end
  if kind == "log_uniform" and lo <= 0 then
    fail("needs lo > 0, got %s", tostring(lo))
  end
  if kind == "int_uniform" and (math.tointeger(lo) == nil or math.tointeger(hi) == nil) then
    fail("needs integer bounds, got %s, %s", tostring(lo), tostring(hi))
  end
  if opts ~= nil and type(opts) ~= "table" then
    fail("third argument must be a table like {values = {...}}")
  end
  local values = check_values(opts and opts.values)
  for _, v in ipairs(values or {}) do
    if type(v) ~= "number" or v < lo or v > hi then
      fail("value %s outside [%s, %s]", tostring(v), tostring(lo), tostring(hi))
    end
  end
  if kind == "int_uniform" then
    lo, hi = math.tointeger(lo), math.tointeger(hi)
  end
  return setmetatable({ kind = kind, lo = lo, hi = hi, values = values }, Dim)
end

-- Public constructors (exposed as mien.sweep.uniform etc.).
local constructors = {}

--- A real parameter drawn uniformly from [lo, hi].
-- @tparam number lo
-- @tparam number hi
-- @tparam[opt] table opts values (the grid points for grid search)
-- @usage lr = mien.sweep.uniform(0.1, 0.9)
function constructors.uniform(lo, hi, opts)
  return range_dim("uniform", lo, hi, opts)
end

--- A positive real parameter drawn uniformly in log space from [lo, hi].
-- @tparam number lo > 0
-- @tparam number hi
-- @tparam[opt] table opts values (the grid points for grid search)
-- @usage lr = mien.sweep.log_uniform(1e-4, 1e-2)
function constructors.log_uniform(lo, hi, opts)
  return range_dim("log_uniform", lo, hi, opts)
end

--- An integer parameter drawn uniformly from lo..hi.
-- @tparam int lo
-- @tparam int hi
-- @tparam[opt] table opts values (the grid points for grid search)
function constructors.int_uniform(lo, hi, opts)
  return range_dim("int_uniform", lo, hi, opts)
end

-- where: prefix naming the dimension in errors ("" from the constructor).
local function choice_dim(values, where)
  if type(values) ~= "table" or #values == 0 then
    fail("%sa choice needs a non-empty array of values", where)
  end
  local numeric = true
  for i, v in ipairs(values) do
    local t = type(v)
    if t ~= "number" and t ~= "string" and t ~= "boolean" then
      fail("%schoice values must be numbers, strings or booleans (value %d is a %s)", where, i, t)
    end
    numeric = numeric and t == "number"
  end
  return setmetatable({ kind = "choice", values = values, numeric = numeric }, Dim)
end

--- A parameter taking one of the given values.
-- @tparam table values a list of numbers, strings or booleans
-- @usage batch = mien.sweep.choice{32, 64, 128}
function constructors.choice(values)
  return choice_dim(values, "")
end

space.constructors = args.module("mien.sweep", constructors)

local Space = {}
Space.__index = Space

--- Space from the user's table: dimensions sorted by name.
function space.new(spec)
  if type(spec) ~= "table" or next(spec) == nil then
    fail("space must be a non-empty table of name = dimension")
  end
  local dims = {}
  for name, d in pairs(spec) do
    if type(name) ~= "string" then
      fail("space keys must be strings")
    end
    if name == "seed" then
      fail("'seed' is reserved: each trial gets cfg.seed from the seeds option")
    end
    if getmetatable(d) == Dim then
      dims[#dims + 1] = { name = name, dim = d }
    elseif type(d) == "table" then
      dims[#dims + 1] = { name = name, dim = choice_dim(d, "space." .. name .. ": ") }
    elseif type(d) == "number" or type(d) == "string" or type(d) == "boolean" then
      dims[#dims + 1] = { name = name, dim = setmetatable({ kind = "fixed", value = d }, Dim) }
    else
      fail("space.%s: expected a dimension, an array of choices or a fixed value, got a %s", name, type(d))
    end
  end
  table.sort(dims, function(a, b)
    return a.name < b.name
  end)
  return setmetatable({ dims = dims }, Space)
end

-- Rounding can push lo + 1 * (hi - lo) past hi; keep values in range.
local function clamp(v, d)
  return math.max(d.lo, math.min(d.hi, v))
end

local function from_unit(d, u)
  if d.kind == "uniform" then
    return clamp(d.lo + u * (d.hi - d.lo), d)
  elseif d.kind == "log_uniform" then
    return clamp(math.exp(math.log(d.lo) + u * (math.log(d.hi) - math.log(d.lo))), d)
  elseif d.kind == "int_uniform" then
    return math.min(d.hi, d.lo + math.floor(u * (d.hi - d.lo + 1)))
  elseif d.kind == "choice" then
    return d.values[math.min(#d.values, 1 + math.floor(u * #d.values))]
  end
  return d.value
end

local function to_unit(d, v)
  if d.kind == "uniform" then
    return (v - d.lo) / (d.hi - d.lo)
  elseif d.kind == "log_uniform" then
    return (math.log(v) - math.log(d.lo)) / (math.log(d.hi) - math.log(d.lo))
  end
  return (v - d.lo) / (d.hi - d.lo)
end

--- A random configuration.
function Space:sample(rng)
  local config = {}
  for _, e in ipairs(self.dims) do
    config[e.name] = from_unit(e.dim, rng:float())
  end
  return config
end

--- A configuration near `config`: continuous and integer dimensions move by
-- a normal step of `scale` in unit-cube units, choices change with
-- probability `scale`.
function Space:perturb(config, rng, scale)
  local out = {}
  for _, e in ipairs(self.dims) do
    local d, v = e.dim, config[e.name]
    if d.kind == "choice" then
      out[e.name] = rng:float() < scale and from_unit(d, rng:float()) or v
    elseif d.kind == "fixed" then
      out[e.name] = v
    else
      local u = math.max(0, math.min(1, to_unit(d, v) + scale * rng:normal()))
      out[e.name] = d.kind == "int_uniform" and math.floor(d.lo + u * (d.hi - d.lo) + 0.5) or from_unit(d, u)
    end
  end
  return out
end

local function grid_values(name, d)
  if d.kind == "fixed" then
    return { d.value }
  elseif d.values then
    return d.values
  elseif d.kind == "int_uniform" then
    local values = {}
    for v = d.lo, d.hi do
      values[#values + 1] = v
    end
    return values
  end
  fail("grid needs a finite list for '%s': give %s(lo, hi, {values = {...}}) or use choice{...}", name, d.kind)
end

--- All configurations (cartesian product; the last dimension by name
-- varies fastest).
function Space:grid()
  local lists = {}
  for i, e in ipairs(self.dims) do
    lists[i] = grid_values(e.name, e.dim)
  end
  local configs = { {} }
  for i, e in ipairs(self.dims) do
    local next_configs = {}
    for _, partial in ipairs(configs) do
      for _, v in ipairs(lists[i]) do
        local c = {}
        for k, x in pairs(partial) do
          c[k] = x
        end
        c[e.name] = v
        next_configs[#next_configs + 1] = c
      end
    end
    configs = next_configs
  end
  return configs
end

--- Point in the unit cube: continuous dims scaled to [0, 1] (log scale for
-- log_uniform), numeric choices by rank, other choices one-hot; fixed
-- values take no coordinate.
function Space:encode(config)
  local x = {}
  for _, e in ipairs(self.dims) do
    local d, v = e.dim, config[e.name]
    if d.kind == "choice" and d.numeric then
      local rank, n = 0, #d.values
      for _, w in ipairs(d.values) do
        rank = rank + (w < v and 1 or 0)
      end
      x[#x + 1] = n > 1 and rank / (n - 1) or 0.5
    elseif d.kind == "choice" then
      for _, w in ipairs(d.values) do
        x[#x + 1] = w == v and 1 or 0
      end
    elseif d.kind ~= "fixed" then
      x[#x + 1] = to_unit(d, v)
    end
  end
  return x
end

--- The configuration with values restored to the space's own types (e.g.
-- after a JSON round trip turned 16 into 16.0); nil and a message when a
-- value does not belong to the space.
function Space:canonical(config)
  local out = {}
  for _, e in ipairs(self.dims) do
    local d, v = e.dim, config[e.name]
    local value
    if d.kind == "choice" then
      for _, w in ipairs(d.values) do
        if w == v then
          value = w
        end
      end
    elseif d.kind == "fixed" then
      value = v == d.value and d.value or nil
    elseif type(v) == "number" and v >= d.lo and v <= d.hi then
      value = d.kind == "int_uniform" and math.tointeger(v) or v + 0.0
    end
    if value == nil then
      return nil, string.format("%s = %s is not in the space", e.name, tostring(v))
    end
    out[e.name] = value
  end
  return out
end

--- Plain description, to detect a changed space when resuming.
function Space:describe()
  local out = {}
  for _, e in ipairs(self.dims) do
    local d = e.dim
    out[e.name] = { kind = d.kind, lo = d.lo, hi = d.hi, values = d.values, value = d.value }
  end
  return out
end

--- The parameter names, in order.
-- @treturn {string,...}
function Space:names()
  local names = {}
  for i, e in ipairs(self.dims) do
    names[i] = e.name
  end
  return names
end

return space
