--- Bayesian optimisation step: fit a GP to the observations and return the
-- candidate with the largest expected improvement. Candidates are random
-- configurations plus perturbations of the best observations. Values are
-- maximised (callers negate objectives they minimise).
local gp = require "mien.sweep.gp"

local bayes = {}

local RANDOM_CANDIDATES = 1000
local TOP_POINTS = 5
local LOCAL_CANDIDATES = 40
-- Exploration margin, as a fraction of the observed spread of values.
local XI = 0.01

-- Standard normal CDF via the complementary error function (Numerical
-- Recipes' erfcc, relative error below 1.2e-7).
local function normal_cdf(z)
  local x = -z / math.sqrt(2)
  local t = 1 / (1 + 0.5 * math.abs(x))
  local r = t * math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277)))))))))
  return 0.5 * (x >= 0 and r or 2 - r)
end

local function normal_pdf(z)
  return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
end

--- Expected improvement over best of a Gaussian prediction N(mu, sigma^2), maximising.
-- @tparam number mu
-- @tparam number sigma
-- @tparam number best
-- @tparam number xi exploration margin
-- @treturn number
function bayes.expected_improvement(mu, sigma, best, xi)
  local improvement = mu - best - xi
  if sigma <= 0 then
    return math.max(improvement, 0)
  end
  local z = improvement / sigma
  return improvement * normal_cdf(z) + sigma * normal_pdf(z)
end

local function is_duplicate(x, X)
  for _, p in ipairs(X) do
    local d2 = 0
    for i = 1, #x do
      d2 = d2 + (x[i] - p[i]) ^ 2
    end
    if d2 < 1e-12 then
      return true
    end
  end
  return false
end

--- observations: array of {config=, value=}; rng: a mien.util.prng stream.
function bayes.propose(space, observations, rng)
  local X, y = {}, {}
  for i, o in ipairs(observations) do
    X[i], y[i] = space:encode(o.config), o.value
  end
  local model = gp.fit(X, y)
  local candidates = {}
  for i = 1, RANDOM_CANDIDATES do
    candidates[i] = space:sample(rng)
  end
  local ranked = {}
  for i, o in ipairs(observations) do
    ranked[i] = o
  end
  table.sort(ranked, function(a, b)
    return a.value > b.value
  end)
  for i = 1, math.min(TOP_POINTS, #ranked) do
    for k = 1, LOCAL_CANDIDATES do
      -- Alternate coarse and fine steps around each good point.
      candidates[#candidates + 1] = space:perturb(ranked[i].config, rng, k % 2 == 0 and 0.1 or 0.02)
    end
  end
  local best_value = ranked[1].value
  local chosen, chosen_ei = nil, -math.huge
  for _, c in ipairs(candidates) do
    local x = space:encode(c)
    if not is_duplicate(x, X) then
      local mu, sigma = gp.predict(model, x)
      local ei = bayes.expected_improvement(mu, sigma, best_value, XI * model.scale)
      if ei > chosen_ei then
        chosen, chosen_ei = c, ei
      end
    end
  end
  -- Every candidate already tried (a small discrete space): repeat one.
  return chosen or candidates[1]
end

return bayes
