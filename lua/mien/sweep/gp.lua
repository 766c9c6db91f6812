--- Gaussian-process regression in plain Lua for Bayesian optimisation:
-- Matern 5/2 kernel on unit-cube inputs, targets standardised, signal
-- variance profiled out analytically, length scale and noise picked from
-- a small grid by marginal likelihood. Cost is O(n^3) per grid point, fine
-- for the tens to low hundreds of trials a sweep runs.
local gp = {}

local LENGTH_SCALES = { 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5 }
local NOISES = { 1e-6, 1e-3, 1e-2, 1e-1 }

local SQRT5 = math.sqrt(5)

local function matern52(a, b, length_scale)
  local d2 = 0
  for i = 1, #a do
    local d = a[i] - b[i]
    d2 = d2 + d * d
  end
  local r = SQRT5 * math.sqrt(d2) / length_scale
  return (1 + r + r * r / 3) * math.exp(-r)
end

-- Lower-triangular L with L L^T = A, or nil when A is not positive definite.
local function cholesky(A)
  local n = #A
  local L = {}
  for i = 1, n do
    L[i] = {}
    for j = 1, i do
      local s = A[i][j]
      for k = 1, j - 1 do
        s = s - L[i][k] * L[j][k]
      end
      if i == j then
        if s <= 0 then
          return nil
        end
        L[i][i] = math.sqrt(s)
      else
        L[i][j] = s / L[j][j]
      end
    end
  end
  return L
end

-- Solve L x = b (forward substitution).
local function solve_lower(L, b)
  local x = {}
  for i = 1, #L do
    local s = b[i]
    for k = 1, i - 1 do
      s = s - L[i][k] * x[k]
    end
    x[i] = s / L[i][i]
  end
  return x
end

-- Solve L^T x = b (back substitution).
local function solve_upper(L, b)
  local n = #L
  local x = {}
  for i = n, 1, -1 do
    local s = b[i]
    for k = i + 1, n do
      s = s - L[k][i] * x[k]
    end
    x[i] = s / L[i][i]
  end
  return x
end

local function standardise(y)
  local n, mean = #y, 0
  for _, v in ipairs(y) do
    mean = mean + v / n
  end
  local var = 0
  for _, v in ipairs(y) do
    var = var + (v - mean) ^ 2 / n
  end
  local scale = var > 0 and math.sqrt(var) or 1
  local z = {}
  for i, v in ipairs(y) do
    z[i] = (v - mean) / scale
  end
  return z, mean, scale
end

-- Fit for one (length scale, noise); returns the model and its log
-- marginal likelihood with the signal variance s2 at its optimum
-- s2 = z^T R^-1 z / n, where R = correlation matrix + noise * I.
local function fit_one(X, z, length_scale, noise)
  local n = #X
  local R = {}
  for i = 1, n do
    R[i] = {}
    for j = 1, i do
      R[i][j] = matern52(X[i], X[j], length_scale) + (i == j and noise or 0)
    end
  end
  local L = cholesky(R)
  if not L then
    return nil
  end
  local alpha = solve_upper(L, solve_lower(L, z))
  local quad = 0
  for i = 1, n do
    quad = quad + z[i] * alpha[i]
  end
  local s2 = math.max(quad / n, 1e-12)
  local log_det = 0
  for i = 1, n do
    log_det = log_det + 2 * math.log(L[i][i])
  end
  local log_ml = -0.5 * n * math.log(s2) - 0.5 * log_det
  return { X = X, L = L, alpha = alpha, s2 = s2, length_scale = length_scale, noise = noise }, log_ml
end

--- Fit to inputs X (array of unit-cube points) and targets y.
function gp.fit(X, y)
  local z, mean, scale = standardise(y)
  local best, best_ml
  for _, length_scale in ipairs(LENGTH_SCALES) do
    for _, noise in ipairs(NOISES) do
      local model, log_ml = fit_one(X, z, length_scale, noise)
      if model and (best_ml == nil or log_ml > best_ml) then
        best, best_ml = model, log_ml
      end
    end
  end
  best.mean, best.scale = mean, scale
  return best
end

--- Predictive mean and standard deviation of the latent function at x, in
-- the units of y.
function gp.predict(model, x)
  local k = {}
  for i, xi in ipairs(model.X) do
    k[i] = matern52(x, xi, model.length_scale)
  end
  local mu = 0
  for i = 1, #k do
    mu = mu + k[i] * model.alpha[i]
  end
  local v = solve_lower(model.L, k)
  local explained = 0
  for i = 1, #v do
    explained = explained + v[i] * v[i]
  end
  local var = model.s2 * math.max(1 - explained, 1e-12)
  return model.mean + model.scale * mu, model.scale * math.sqrt(var)
end

return gp
