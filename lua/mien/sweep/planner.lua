--- Which configuration trial `index` runs, per method:
--   grid    the index-th point of the cartesian product;
--   random  a sample from the PRNG stream (seed, index), so a trial's
--           config never depends on what ran before (resume-safe);
--   bayes   random until `init` trials succeeded, then the expected-
--           improvement maximiser of a GP fitted to the finished trials,
--           with trials still running counted at the worst value seen
--           ("constant liar") so parallel proposals spread out.
local bayes = require "mien.sweep.bayes"
local prng = require "mien.util.prng"

local planner = {}

--- o: sweep options (method, seed, init, mode, objective, n_trials, grid).
function planner.new(o, space)
  local sign = o.mode == "min" and -1 or 1
  return function(index, results, running)
    if o.method == "grid" then
      return o.grid[index]
    end
    local rng = prng.new(o.seed, index)
    if o.method == "random" then
      return space:sample(rng)
    end
    local observations, worst = {}, math.huge
    for i = 1, o.n_trials do
      local r = results[i]
      if r and r.status == "ok" then
        local value = sign * r.objective
        observations[#observations + 1] = { config = r.config, value = value }
        worst = math.min(worst, value)
      end
    end
    if #observations < o.init then
      return space:sample(rng)
    end
    for i = 1, o.n_trials do
      if running[i] then
        observations[#observations + 1] = { config = running[i], value = worst }
      end
    end
    return bayes.propose(space, observations, rng)
  end
end

return planner
