--- Argument errors raised from nested validation helpers but reported at
-- the caller of the public function, prefixed with that function's name:
--   error("metrics.confusion_matrix: label 9 out of range 1..7", 2)
local args = {}

local Invalid = {}

--- Raise an argument error (message formatted like string.format).
function args.fail(fmt, ...)
  local message = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  error(setmetatable({ message = message }, Invalid))
end

--- Wrap fn so args.fail errors surface as "<name>: message" at level 2;
-- any other error passes through unchanged.
function args.public(name, fn)
  return function(...)
    local r = table.pack(pcall(fn, ...))
    if r[1] then
      return table.unpack(r, 2, r.n)
    end
    if getmetatable(r[2]) == Invalid then
      error(name .. ": " .. r[2].message, 2)
    end
    error(r[2], 0)
  end
end

--- Wrap every function of impl into a new module table named prefix.
function args.module(prefix, impl)
  local m = {}
  for key, fn in pairs(impl) do
    m[key] = args.public(prefix .. "." .. key, fn)
  end
  return m
end

-- Type checks of public functions' arguments. A wrong type names the
-- function, the argument and what was expected, at the caller's line:
--   stratified_split: argument 2 must be an options table {val=, seed=}, got number

-- What each kind accepts, and how it is described when no description is given.
local KINDS = {
  table = { "a table", function(v) return type(v) == "table" end },
  number = { "a number", function(v) return type(v) == "number" end },
  integer = { "an integer", function(v) return math.type(v) == "integer" or (type(v) == "number" and v == math.floor(v) and v == v and v ~= math.huge and v ~= -math.huge) end },
  string = { "a string", function(v) return type(v) == "string" end },
  boolean = { "a boolean", function(v) return type(v) == "boolean" end },
  ["function"] = { "a function", function(v) return type(v) == "function" end },
  tensor = { "a tensor", function(v) local mt = getmetatable(v); return type(v) == "userdata" and type(mt) == "table" and mt.__name == "mien.Tensor" end },
  dataset = { "a data set (from mien.data)", function(v) return type(v) == "table" and v.images ~= nil and v.labels ~= nil end },
  module = { "a module (mien.nn)", function(v) return type(v) == "table" and rawget(v, "_params") ~= nil end },
  callable = { "a function or module", function(v)
    if type(v) == "function" then return true end
    local mt = getmetatable(v)
    return type(mt) == "table" and mt.__call ~= nil
  end },
}

-- How a wrong value is named in "got ...": its type, with the value for a
-- number or a short string (a tensor is "a tensor").
local function got(v)
  local t = type(v)
  if t == "userdata" then
    local mt = getmetatable(v)
    if type(mt) == "table" and mt.__name == "mien.Tensor" then return "a tensor" end
  elseif t == "number" then
    return "number " .. tostring(v)
  elseif t == "string" and #v <= 40 then
    return string.format("string %q", v)
  end
  return t
end

-- The message for value at argument pos against kind ("table", "table?" for
-- optional, "number|string" for either), or nil when it fits.
local function mismatch(what_arg, value, kind, what)
  local optional = kind:sub(-1) == "?"
  if optional then
    if value == nil then return nil end
    kind = kind:sub(1, -2)
  end
  local descriptions = {}
  for k in kind:gmatch("[^|]+") do
    local entry = KINDS[k] or error("args: unknown kind '" .. k .. "'", 3)
    if entry[2](value) then return nil end
    descriptions[#descriptions + 1] = entry[1]
  end
  return string.format("%s must be %s, got %s", what_arg, what or table.concat(descriptions, " or "),
    value == nil and "nothing" or got(value))
end

--- Check argument pos of the public function name; a mismatch is an error at
-- the line that called that function.
-- @tparam string name the function as users call it ("stratified_split", "metrics.roc")
-- @tparam int pos the argument's position (1-based; self is not counted for methods)
-- @param value the argument
-- @tparam string kind "table", "number", "integer", "string", "boolean", "function", "tensor",
-- "dataset", "module", "callable"; "a|b" for either; a trailing "?" allows nil
-- @tparam[opt] string what the expectation in words ("an options table {val=, seed=}")
-- @return value
-- @usage args.check("stratified_split", 1, ds, "dataset|table")
function args.check(name, pos, value, kind, what)
  local message = mismatch("argument " .. pos, value, kind, what)
  if message then error(name .. ": " .. message, 3) end
  return value
end

--- The options table of a public function: opts itself, {} for nil, and an
-- error at the caller's line for anything else.
-- @tparam string name the function as users call it
-- @tparam int pos the options' argument position
-- @param opts the argument
-- @tparam[opt] string fields the options in brief, e.g. "{val=, seed=}"
-- @treturn table
-- @usage opts = args.options("stratified_split", 2, opts, "{val=, seed=}")
function args.options(name, pos, opts, fields)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(string.format("%s: argument %d must be an options table%s, got %s", name, pos,
      fields and " " .. fields or "", got(opts)), 3)
  end
  return opts
end

--- Check the fields of an options table: spec maps a field name to a kind
-- (as for args.check; every field is optional).
-- @tparam string name the function as users call it
-- @tparam table opts the options
-- @tparam table spec field -> kind, e.g. {val = "number", seed = "integer"}
-- @treturn table opts
function args.fields(name, opts, spec)
  for field, kind in pairs(spec) do
    local message = mismatch("option " .. field, opts[field], kind .. (kind:sub(-1) == "?" and "" or "?"))
    if message then error(name .. ": " .. message, 3) end
  end
  return opts
end

--- Like args.check, for functions wrapped by args.public/args.module (which add the name).
-- @tparam int pos the argument's position
-- @param value the argument
-- @tparam string kind as for args.check
-- @tparam[opt] string what the expectation in words
-- @return value
function args.expect(pos, value, kind, what)
  local message = mismatch("argument " .. pos, value, kind, what)
  if message then args.fail("%s", message) end
  return value
end

return args
