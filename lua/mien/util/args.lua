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

return args
