-- A small seeded generator (splitmix64) for shuffles and splits, kept apart
-- from mien's global tensor RNG so data order does not disturb dropout or
-- initialisation streams.
local Prng = {}
Prng.__index = Prng

local function new(seed)
  return setmetatable({ state = math.tointeger(seed or 0) or 0 }, Prng)
end

function Prng:next_int()
  self.state = self.state + 0x9E3779B97F4A7C15
  local z = self.state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end

-- uniform integer in [1, n]
function Prng:below(n)
  return ((self:next_int() >> 11) % n) + 1
end

function Prng:shuffle(list)
  for i = #list, 2, -1 do
    local j = self:below(i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

function Prng.range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

return { new = new, range = Prng.range }
