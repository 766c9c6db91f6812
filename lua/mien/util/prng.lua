--- A small seeded generator (SplitMix64 on Lua 5.4 integers, which wrap
-- around on overflow) for shuffles, splits and sweeps, kept apart from
-- mien's tensor RNG and from math.random, so that data order or a sweep's
-- sampling never disturbs dropout or initialisation streams.
-- prng.new(seed, stream) gives independent streams per (seed, stream):
-- epoch e of a loader shuffles with stream e, trial i of a sweep samples
-- from stream i, whatever ran before.
local prng = {}

local Prng = {}
Prng.__index = Prng

local GOLDEN = 0x9e3779b97f4a7c15

local function mix(z)
  z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
  z = (z ~ (z >> 27)) * 0x94d049bb133111eb
  return z ~ (z >> 31)
end

--- A seeded SplitMix64 generator.
-- @tparam[opt=0] int seed
-- @tparam[opt=0] int stream an independent stream of the same seed
-- @treturn Prng
function prng.new(seed, stream)
  seed = math.tointeger(seed or 0) or error("prng: the seed must be an integer, got " .. tostring(seed), 2)
  return setmetatable({ state = mix(seed) ~ mix((stream or 0) + GOLDEN) }, Prng)
end

--- Next 64-bit integer.
function Prng:next()
  self.state = self.state + GOLDEN
  return mix(self.state)
end

--- Uniform float in [0, 1), from the top 53 bits.
function Prng:float()
  return (self:next() >> 11) * 2.0 ^ -53
end

--- Uniform integer in [lo, hi].
function Prng:int(lo, hi)
  return lo + math.floor(self:float() * (hi - lo + 1))
end

--- Standard normal (Box-Muller).
function Prng:normal()
  local u = 1 - self:float()
  return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * self:float())
end

--- Fisher-Yates, in place; returns the list.
function Prng:shuffle(list)
  for i = #list, 2, -1 do
    local j = self:int(1, i)
    list[i], list[j] = list[j], list[i]
  end
  return list
end

--- {1, 2, ..., n}
function prng.range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

return prng
