--- Hyper-parameter sweeps. Called from a script file:
--
--   local sweep = require "mien.sweep"
--   local result = sweep {
--     space = { lr = sweep.log_uniform(1e-5, 1e-2), batch = {16, 32, 64},
--               dropout = sweep.uniform(0.2, 0.5), layers = sweep.int_uniform(1, 3) },
--     method = "bayes",          -- "grid" | "random" (default) | "bayes"
--     trials = 30,               -- not for grid, which runs the whole product
--     seeds = 3,                 -- each trial runs cfg.seed = 1..3 (or a list)
--     objective = "val_acc", mode = "max",
--     run = function(cfg, ctx) ... return { val_acc = ..., ... } end,
--     workers = 4, dir = "sweeps/lr", seed = 0,
--   }
--
-- run(cfg, ctx) gets the hyper-parameters plus cfg.seed, and ctx = {trial =
-- id, index =, dir =}; it returns a table of numbers holding the objective.
-- A trial's objective is the mean over seeds (std reported). A run that
-- raises, or returns no finite objective, fails its trial; failed trials
-- are reported and retried on resume.
--
-- With dir, every finished trial is saved to dir/trials/<id>.json, and
-- results.jsonl, results.csv and report.html are written; calling the
-- script again resumes, running only the trials not finished. With
-- workers > 1 (dir required) trials run in parallel as `lua5.4 <script>`
-- processes (script = arg[0] with the same arguments, unless script= is
-- given, then without arguments): in those processes the
-- mien.sweep{} call runs one assigned trial and exits, so code before the
-- call runs in every worker and code after it only in the parent.
--
-- backend = "slurm" (or `mien sweep SCRIPT --slurm`, which sets
-- mien.sweep.default_backend) submits the trials as Slurm array jobs instead,
-- `workers` trials per `sbatch --array` job (default: all of them, or `init`
-- for bayes), with slurm = {partition=, time=, cpus_per_task=, gres=, mem=,
-- account=, qos=, extra = {"--exclusive", ...}} as #SBATCH lines. The driver
-- waits for the batch, then proposes the next; a killed driver started again
-- re-attaches to its queued and running tasks (dir/slurm/jobs.json). See
-- mien.sweep.slurm.
--
-- Returns { trials = records by index, best = best record or nil, dir = }.
local args = require "mien.util.args"
local fs = require "mien.util.fs"
local report = require "mien.report"
local pool = require "mien.sweep.pool"
local ranking = require "mien.sweep.ranking"
local runner = require "mien.sweep.runner"
local space = require "mien.sweep.space"
local store = require "mien.sweep.store"
local slurm = require "mien.sweep.slurm"
local summary = require "mien.sweep.summary"
local trial = require "mien.sweep.trial"

local fail = args.fail
local M = {}

local OPTIONS = {
  space = true, method = true, trials = true, seeds = true, objective = true, mode = true, run = true,
  workers = true, dir = true, seed = true, script = true, quiet = true, init = true, title = true,
  backend = true, slurm = true,
}
local BACKENDS = { ["local"] = true, slurm = true }
local METHODS = { grid = true, random = true, bayes = true }

local function integer(v, name, min)
  local i = math.tointeger(v)
  if i == nil or i < min then
    fail("%s must be an integer >= %d, got %s", name, min, tostring(v))
  end
  return i
end

local function seed_list(seeds)
  if seeds == nil then
    return { 1 }
  elseif type(seeds) == "table" then
    if #seeds == 0 then
      fail("seeds must be a count or a non-empty array of integers")
    end
    local list = {}
    for i, s in ipairs(seeds) do
      list[i] = integer(s, "seeds[" .. i .. "]", math.mininteger)
    end
    return list
  end
  local list = {}
  for i = 1, integer(seeds, "seeds", 1) do
    list[i] = i
  end
  return list
end

-- Validated options with defaults filled in.
local function options(opts)
  if type(opts) ~= "table" then
    fail("expected a table of options")
  end
  for key in pairs(opts) do
    if not OPTIONS[key] then
      fail("unknown option '%s'", tostring(key))
    end
  end
  local o = {
    space = space.new(opts.space),
    method = opts.method or "random",
    objective = opts.objective,
    mode = opts.mode or "max",
    run = opts.run,
    seeds = seed_list(opts.seeds),
    seed = integer(opts.seed or 0, "seed", math.mininteger),
    workers = integer(opts.workers or 1, "workers", 1),
    backend = opts.backend or M.default_backend or "local",
    slurm = slurm.options(opts.slurm, fail),
    dir = opts.dir,
    quiet = opts.quiet,
    title = opts.title,
  }
  if not METHODS[o.method] then
    fail('method must be "grid", "random" or "bayes", got %s', tostring(o.method))
  end
  if type(o.objective) ~= "string" then
    fail("objective must name a field of run's result, e.g. \"val_acc\"")
  end
  if o.mode ~= "max" and o.mode ~= "min" then
    fail('mode must be "max" or "min", got %s', tostring(o.mode))
  end
  if type(o.run) ~= "function" then
    fail("run must be a function(cfg, ctx) returning a table of metrics")
  end
  if o.dir ~= nil and (type(o.dir) ~= "string" or o.dir == "") then
    fail("dir must be a directory path")
  end
  if o.method == "grid" then
    if opts.trials ~= nil then
      fail("grid runs every combination; leave trials out")
    end
    o.grid = o.space:grid()
    o.n_trials = #o.grid
  else
    o.n_trials = integer(opts.trials, "trials", 1)
  end
  o.init = integer(opts.init or math.min(o.n_trials, math.max(3, o.n_trials // 5)), "init", 1)
  if not BACKENDS[o.backend] then
    fail('backend must be "local" or "slurm", got %s', tostring(o.backend))
  end
  if o.backend == "slurm" and opts.workers == nil then
    -- trials per array job: Bayesian search proposes its first batch at random
    o.workers = o.method == "bayes" and o.init or o.n_trials
  end
  if o.workers > 1 or o.backend == "slurm" then
    if not o.dir then
      fail("%s needs dir (trials are exchanged through files)", o.backend == "slurm" and 'backend "slurm"' or "workers > 1")
    end
    -- Workers get the script's command-line arguments too, so options
    -- computed from them come out the same.
    o.script, o.script_args = opts.script, {}
    if o.script == nil and arg then
      o.script = arg[0]
      table.move(arg, 1, #arg, 1, o.script_args)
    end
    if type(o.script) ~= "string" or not fs.exists(o.script) then
      fail("workers > 1 needs the sweep script: run it as `lua5.4 script.lua` or pass script = path (got %s)",
        tostring(o.script))
    end
  end
  return o
end

-- What identifies a sweep directory's contents (trial counts may grow).
local function description(o)
  return {
    method = o.method, objective = o.objective, mode = o.mode, seed = o.seed, seeds = o.seeds,
    space = o.space:describe(),
  }
end

-- In a worker process: run the assigned trial, save it and exit.
local function serve(o, task_path)
  local task = store.read_task(task_path, o.dir) -- hardening: checked, the trial file inside dir
  local config, err = o.space:canonical(task.config)
  if not config then error(string.format("mien.sweep: task file %s: %s", task_path, tostring(err)), 0) end
  -- Worker output goes to its log file: keep tracebacks there even if quiet.
  o.quiet = false
  store.save_trial(o.dir, trial.run(o, { index = task.index, id = task.id, config = config }))
  os.exit(0, true)
end

local function sweep(_, opts)
  local o = options(opts)
  local task_path = os.getenv(pool.ENV)
  if task_path then
    return serve(o, task_path)
  end
  local finished = {}
  if o.dir then
    store.prepare(o.dir, description(o))
    finished = store.load(o.dir, o.n_trials, o.space)
  end
  local results = runner.run(o, finished)
  local records = {}
  for i = 1, o.n_trials do
    records[i] = results[i]
  end
  local names = o.space:names()
  if o.dir then
    store.write_results(o.dir, records, names, o.objective)
    report.sweep { dir = o.dir, title = o.title, trials = records, objective = o.objective, mode = o.mode }
  end
  if not o.quiet then
    io.write(summary.render(records, names, o.objective, o.mode))
  end
  local best = ranking.sort(records, o.mode)[1]
  return { trials = records, best = best and best.status == "ok" and best or nil, dir = o.dir }
end

for name, fn in pairs(space.constructors) do
  M[name] = fn
end

return setmetatable(M, { __call = args.public("mien.sweep", sweep) })
