--- One sweep trial: call the user's run(cfg, ctx) once per seed and
-- aggregate numeric results into mean and sample standard deviation.
--
-- Trial record (also the JSON stored in dir/trials/<id>.json):
--   { id = "0003", index = 3, status = "ok" | "failed", config = {..},
--     objective = mean, objective_std = std, metrics = {name = mean},
--     metrics_std = {name = std}, runs = {{seed =, result = {..}}, ..},
--     error = "first line of the error" (failed only), seconds = wall time }
local metrics = require "mien.metrics"

local trial = {}

--- The id of the trial with this index ("0001").
-- @tparam int index
-- @treturn string
function trial.id(index)
  return string.format("%04d", index)
end

-- Keep the scalar fields of a result (tensors, tables, functions dropped).
local function scalars(result)
  local out = {}
  for k, v in pairs(result) do
    local t = type(v)
    if type(k) == "string" and (t == "number" or t == "string" or t == "boolean") then
      out[k] = v
    end
  end
  return out
end

local function aggregate(runs)
  local values = {}
  for _, r in ipairs(runs) do
    for k, v in pairs(r.result) do
      if type(v) == "number" then
        values[k] = values[k] or {}
        values[k][#values[k] + 1] = v
      end
    end
  end
  local mean, std = {}, {}
  for k, list in pairs(values) do
    mean[k], std[k] = metrics.mean_std(list)
  end
  return mean, std
end

local function check_result(result, objective)
  if type(result) ~= "table" then
    return "run returned a " .. type(result) .. ", expected a table of metrics"
  end
  local v = result[objective]
  if type(v) ~= "number" then
    return string.format("run result has no numeric '%s'", objective)
  end
  if v ~= v or v == math.huge or v == -math.huge then
    return string.format("objective %s is %s", objective, tostring(v))
  end
end

--- o: sweep options (run, seeds, objective, dir, quiet); task: {index, id, config}.
function trial.run(o, task)
  local started = os.time()
  local runs = {}
  for _, seed in ipairs(o.seeds) do
    local cfg = {}
    for k, v in pairs(task.config) do
      cfg[k] = v
    end
    cfg.seed = seed
    local ok, result = xpcall(o.run, debug.traceback, cfg, { trial = task.id, index = task.index, dir = o.dir })
    local err = ok and check_result(result, o.objective) or not ok and tostring(result)
    if err then
      if not o.quiet then
        io.stderr:write(string.format("mien.sweep: trial %s (seed %s) failed: %s\n", task.id, tostring(seed), err))
      end
      return {
        id = task.id, index = task.index, status = "failed", config = task.config, runs = runs,
        error = string.format("seed %s: %s", tostring(seed), err:match("[^\n]*")),
        seconds = os.time() - started,
      }
    end
    runs[#runs + 1] = { seed = seed, result = scalars(result) }
  end
  local mean, std = aggregate(runs)
  return {
    id = task.id, index = task.index, status = "ok", config = task.config,
    objective = mean[o.objective], objective_std = std[o.objective],
    metrics = mean, metrics_std = std, runs = runs, seconds = os.time() - started,
  }
end

return trial
