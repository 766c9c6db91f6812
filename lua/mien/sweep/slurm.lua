--- Sweep trials as Slurm array jobs (mien.sweep{backend = "slurm"}). The
-- runner hands this executor up to `workers` trials; it submits them as one
-- `sbatch --array` job, each task running `lua5.4 <script>` with
-- MIEN_SWEEP_WORKER pointing at its trial's task file (the same protocol as
-- the local worker pool: the task writes dir/trials/<id>.json). The executor
-- reports the batch as busy until every task of it has ended, so the runner
-- proposes the next batch (Bayesian search included) with all of its results.
--
-- Every submission is recorded in dir/slurm/jobs.json. A driver started
-- again on the same dir re-attaches to the tasks still queued or running in
-- Slurm instead of submitting them again; finished trials are never resubmitted.
-- A task that ends without a result is reported with its Slurm state, exit
-- code and the tail of its log.
-- @module mien.sweep.slurm
local fs = require "mien.util.fs"
local json = require "mien.util.json"
local pool = require "mien.sweep.pool"
local store = require "mien.sweep.store"

local slurm = {}

local POLL = "sleep 1"
local LIVE = { PENDING = true, RUNNING = true, CONFIGURING = true, COMPLETING = true, REQUEUED = true,
  RESIZING = true, SUSPENDED = true }
local OPTIONS = { partition = "--partition", time = "--time", cpus_per_task = "--cpus-per-task", gres = "--gres",
  mem = "--mem", account = "--account", qos = "--qos", extra = false }

--- Validated slurm = {...} options of mien.sweep.
-- @tparam table t {partition=, time=, cpus_per_task=, gres=, mem=, account=, qos=, extra = {sbatch args}} or nil
-- @tparam function fail raises an error naming the problem (format, ...)
-- @return the options (an empty table for nil)
function slurm.options(t, fail)
  t = t or {}
  if type(t) ~= "table" then fail("slurm must be a table {partition=, time=, cpus_per_task=, gres=}") end
  for k, v in pairs(t) do
    if OPTIONS[k] == nil then
      fail("unknown slurm option '%s' (partition, time, cpus_per_task, gres, mem, account, qos, extra)", tostring(k))
    end
    if k == "extra" then
      if type(v) ~= "table" then fail("slurm.extra must be an array of sbatch arguments") end
    elseif type(v) ~= "string" and math.type(v) ~= "integer" then
      fail("slurm.%s must be a string or an integer, got %s", k, tostring(v))
    end
  end
  return t
end

-- Output of a shell command and whether it succeeded.
local function run(command)
  local p = assert(io.popen(command .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function tail(path, n)
  local lines = {}
  for line in (fs.read(path) or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
  return table.concat(lines, " | ", math.max(1, #lines - (n or 5) + 1))
end

local Executor = {}
Executor.__index = Executor

--- The jobs recorded in dir/slurm/jobs.json, checked: their job ids go into
-- squeue's command line, their tasks back into the sweep.
-- @tparam string path the jobs file ({} when it does not exist)
-- @return list of {job=, script=, tasks={{array=, index=, id=, config=}, ...}}
-- @raise an error naming the file and the bad entry
function slurm.read_jobs(path)
  local text = fs.read(path)
  if not text then return {} end
  local function bad(what)
    error(string.format("mien.sweep: %s: %s; delete it to forget the submitted jobs", path, what), 0)
  end
  local ok, jobs = pcall(json.decode, text)
  if not ok or type(jobs) ~= "table" then bad("not a JSON list of jobs") end
  for j, job in ipairs(jobs) do
    local id = type(job) == "table" and job.job
    if math.type(id) then id = math.tointeger(id) and string.format("%d", id) end -- 42 or 42.0 from a decoder
    if type(id) ~= "string" or not id:match("^%d+$") or type(job.tasks) ~= "table" then
      bad(string.format("job %d has no numeric job id and list of tasks", j))
    end
    job.job = id
    for _, t in ipairs(job.tasks) do
      local array = type(t) == "table" and math.type(t.array) and math.tointeger(t.array)
      local index = type(t) == "table" and math.type(t.index) and math.tointeger(t.index)
      if not array or not index or index < 1 or type(t.id) ~= "string" or type(t.config) ~= "table" then
        bad(string.format("job %s lists a task without array, index, id and config", job.job))
      end
      t.array, t.index = array, index
    end
  end
  return jobs
end

--- An executor for mien.sweep.runner that submits trials to Slurm.
-- @tparam table o validated sweep options (dir, script, script_args, workers, slurm, quiet)
-- @return the executor (count, start, wait, reattach)
function slurm.new(o)
  local q = fs.shell_quote
  local ok, out = run("command -v sbatch squeue")
  if not ok then error("mien.sweep: backend \"slurm\" needs sbatch and squeue on the PATH: " .. out, 0) end
  fs.mkdir_p(o.dir .. "/slurm")
  local self = setmetatable({ o = o, q = q, queued = {}, inflight = {}, jobs_path = o.dir .. "/slurm/jobs.json" }, Executor)
  self.jobs = slurm.read_jobs(self.jobs_path)
  return self
end

--- Slots in use: the whole batch while any task of it is in flight.
-- @return integer
function Executor:count()
  if #self.inflight > 0 then return math.max(self.o.workers, #self.inflight) end
  return #self.queued
end

--- Queues a trial for the next array job (submitted by `wait`).
-- @tparam table task {index=, id=, config=}
function Executor:start(task)
  self.queued[#self.queued + 1] = task
end

-- State of every task of job still known to squeue, by array index.
local function queue_states(job)
  local ok, out = run(string.format("squeue -h -r -j %s -o '%%i|%%T'", job))
  local states = {}
  if not ok then return states end -- an ended job is no longer known
  for id, state in out:gmatch("([%w_]+)|(%u+)") do
    local a = id:match("_(%d+)$")
    if a then states[tonumber(a)] = state end
  end
  return states
end

--- Tasks of earlier drivers still queued or running in Slurm, by trial index
-- (the runner counts them as running instead of proposing them again).
-- @tparam table finished records of finished trials, by index
-- @return table of recorded tasks {array=, index=, id=, config=} by trial index
function Executor:reattach(finished)
  local attached = {}
  for _, job in ipairs(self.jobs) do
    local states = queue_states(job.job)
    for _, t in ipairs(job.tasks) do
      if not finished[t.index] and LIVE[states[t.array] or ""] and not attached[t.index] then
        attached[t.index] = t
        self.inflight[#self.inflight + 1] = { job = job.job, task = t }
      end
    end
  end
  return attached
end

--- Submits the queued trials as one `sbatch --array` job and records it in dir/slurm/jobs.json.
function Executor:submit()
  local o, q, dir = self.o, self.q, self.o.dir
  local n = #self.jobs + 1
  local lines = { "#!/bin/bash", "#SBATCH --job-name=mien-sweep",
    string.format("#SBATCH --array=0-%d", #self.queued - 1),
    "#SBATCH --output=" .. dir .. "/slurm/%A_%a.out", "#SBATCH --chdir=" .. (os.getenv("PWD") or ".") }
  for key, flag in pairs(OPTIONS) do
    if flag and o.slurm[key] ~= nil then lines[#lines + 1] = string.format("#SBATCH %s=%s", flag, o.slurm[key]) end
  end
  for _, a in ipairs(o.slurm.extra or {}) do lines[#lines + 1] = "#SBATCH " .. a end
  local paths = {}
  for i, task in ipairs(self.queued) do
    local p = pool.paths(dir, task.id)
    os.remove(p.result) -- a failed attempt's record
    fs.write_atomic(p.task, json.encode { dir = dir, index = task.index, id = task.id, config = task.config })
    paths[i] = { task = p.task, log = p.log }
  end
  local task_files, logs = {}, {}
  for i, p in ipairs(paths) do
    task_files[i], logs[i] = q(p.task), q(p.log)
  end
  local script = { "lua5.4", q(o.script) }
  for _, a in ipairs(o.script_args) do script[#script + 1] = q(a) end
  lines[#lines + 1] = "tasks=(" .. table.concat(task_files, " ") .. ")"
  lines[#lines + 1] = "logs=(" .. table.concat(logs, " ") .. ")"
  lines[#lines + 1] = "exec >\"${logs[$SLURM_ARRAY_TASK_ID]}\" 2>&1 </dev/null"
  -- the trial finds mien (and the user's modules) through the driver's paths
  lines[#lines + 1] = string.format("export LUA_PATH_5_4=%s LUA_CPATH_5_4=%s %s=\"${tasks[$SLURM_ARRAY_TASK_ID]}\"",
    q(package.path), q(package.cpath), pool.ENV)
  lines[#lines + 1] = "exec " .. table.concat(script, " ")
  local batch = string.format("%s/slurm/batch-%03d.sh", dir, n)
  fs.write_atomic(batch, table.concat(lines, "\n") .. "\n")
  local ok, out = run("sbatch --parsable " .. q(batch))
  local job = ok and out:match("^%s*(%d+)")
  if not job then error(string.format("mien.sweep: sbatch %s failed: %s", batch, out), 0) end
  local record = { job = job, script = batch, tasks = {} }
  for i, task in ipairs(self.queued) do
    record.tasks[i] = { array = i - 1, index = task.index, id = task.id, config = task.config }
    self.inflight[#self.inflight + 1] = { job = job, task = record.tasks[i] }
  end
  self.jobs[#self.jobs + 1] = record
  fs.write_atomic(self.jobs_path, json.encode(self.jobs) .. "\n")
  if not o.quiet then
    io.write(string.format("mien.sweep: submitted Slurm array job %s (%d trials: %s)\n", job, #self.queued,
      table.concat((function()
        local ids = {}
        for i, t in ipairs(self.queued) do ids[i] = t.id end
        return ids
      end)(), " ")))
  end
  self.queued = {}
end

-- The end state and exit code of an array task that left squeue.
local function end_state(job, array)
  local ok, out = run(string.format("scontrol show job -o %s_%d", job, array))
  if ok then
    return out:match("JobState=(%S+)") or "unknown", out:match(" ExitCode=(%S+)") or "?"
  end
  return "unknown (no longer known to squeue or scontrol)", "?"
end

local function failed(entry, dir)
  local t = entry.task
  local state, code = end_state(entry.job, t.array)
  local log, out = dir .. "/logs/" .. t.id .. ".log", string.format("%s/slurm/%s_%d.out", dir, entry.job, t.array)
  local text = tail(log)
  if text == "" then text = tail(out) end
  return {
    id = t.id, index = t.index, status = "failed", config = t.config, runs = {},
    error = string.format("Slurm task %s_%d ended %s (exit code %s) without a result (%s): %s", entry.job, t.array,
      state, code, log, text),
  }
end

--- Submits what is queued, then waits for the next trial to end.
-- @return its record (a failed one, with the Slurm state and log tail, for a task that ended without a result)
function Executor:wait()
  if #self.queued > 0 then self:submit() end
  local dir = self.o.dir
  while true do
    local states_of = {}
    for i, entry in ipairs(self.inflight) do
      local path = store.trial_path(dir, entry.task.id)
      local text = fs.read(path)
      local ok, record = pcall(json.decode, text or "")
      if text and ok and type(record) == "table" then
        table.remove(self.inflight, i)
        os.remove(pool.paths(dir, entry.task.id).task)
        local bad = store.check_record(record, entry.task.index)
        if bad then
          local t = entry.task
          return { id = t.id, index = t.index, status = "failed", config = t.config, runs = {},
            error = string.format("the result %s is not a trial record: %s", path, bad) }
        end
        record.index = entry.task.index
        return record
      end
      states_of[entry.job] = states_of[entry.job] or queue_states(entry.job)
      if not LIVE[states_of[entry.job][entry.task.array] or ""] and not fs.exists(path) then
        table.remove(self.inflight, i)
        return failed(entry, dir)
      end
    end
    os.execute(POLL)
  end
end

return slurm
