--- Containers: Sequential (children at 1..n, run in order) and ModuleList
-- (children at 1..n, no forward).
--   local net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
--   net[1], #net, net:add(m), net:insert(m, pos), net:remove(pos), net:sub(1, 2)
local Module = require "mien.nn.module"

local M = {}

local function check_module(m, what)
  if not Module.is_module(m) then
    error(what .. ": expected a module, got a " .. type(m) .. (type(m) == "table" and " (a class? call it)" or ""), 3)
  end
end

local function init_list(self, ...)
  local args = table.pack(...)
  -- Sequential({a, b, c}) as well as Sequential(a, b, c)
  if args.n == 1 and type(args[1]) == "table" and not Module.is_module(args[1]) and not args[1]._is_module_class then
    args = table.pack(table.unpack(args[1]))
  end
  for i = 1, args.n do
    check_module(args[i], self.__name)
    rawset(self, i, args[i])
  end
end

local function index_of(self, pos, extra, what)
  local n = rawlen(self)
  if pos < 0 then pos = n + extra + 1 + pos end
  if math.type(pos) ~= "integer" or pos < 1 or pos > n + extra then
    error(string.format("%s: position %s is out of range 1..%d", what, tostring(pos), n + extra), 3)
  end
  return pos
end

local function add_list_methods(C)
  C.__init = init_list

  -- Appends m (Torch7's add); returns self for chaining.
  function C:add(m)
    check_module(m, "add")
    rawset(self, rawlen(self) + 1, m)
    return self
  end
  C.append = C.add

  -- Inserts m at pos (default: the end); later modules move up by one.
  function C:insert(m, pos)
    check_module(m, "insert")
    pos = index_of(self, pos or rawlen(self) + 1, 1, "insert")
    table.insert(self, pos, m)
    return self
  end

  -- Removes and returns the module at pos (default: the last).
  function C:remove(pos)
    pos = index_of(self, pos or rawlen(self), 0, "remove")
    return table.remove(self, pos)
  end

  -- A new container holding modules i..j (shared, not copied); negative
  -- indices count from the end: net:sub(1, -2) drops the head.
  function C:sub(i, j)
    local n = rawlen(self)
    j = j or n
    if i < 0 then i = n + i + 1 end
    if j < 0 then j = n + j + 1 end
    if i < 1 or j > n or i > j + 1 then error(string.format("sub: range %d..%d is out of 1..%d", i, j, n), 2) end
    local out = getmetatable(self)()
    for k = i, j do rawset(out, k - i + 1, rawget(self, k)) end
    rawset(out, "training", rawget(self, "training"))
    return out
  end

  function C:size()
    return rawlen(self)
  end

  -- for i, m in net:ipairs()
  function C:ipairs()
    return ipairs(self:children())
  end
end

local Sequential = Module:extend("Sequential")
add_list_methods(Sequential)

--- Runs the children in order: 1..n, then any named children (add_module)
-- in the order they were added.
function Sequential:forward(x, ...)
  local n = rawlen(self)
  local named = rawget(self, "_children")
  if #named == 0 then
    if n == 0 then return x end
    x = rawget(self, 1)(x, ...)
    for i = 2, n do x = rawget(self, i)(x) end
    return x
  end
  local first = true
  for _, e in ipairs(self:_child_list()) do
    if first then x, first = e[2](x, ...), false else x = e[2](x) end
  end
  return x
end
M.Sequential = Sequential

local ModuleList = Module:extend("ModuleList")
add_list_methods(ModuleList)
--- A ModuleList has no forward: iterate over its modules instead (an error).
function ModuleList:forward()
  error("ModuleList has no forward; iterate over its modules", 2)
end
M.ModuleList = ModuleList

return M
