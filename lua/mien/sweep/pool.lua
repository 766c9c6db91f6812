--- Worker processes for parallel trials. Each trial runs in a separate
-- `lua5.4 <script>` started in the background with MIEN_SWEEP_WORKER set
-- to a task file; the script's mien.sweep{} call sees it, runs just that
-- trial, writes dir/trials/<id>.json and exits. A wrapper shell writes the
-- exit status to dir/trials/<id>.exit when the process ends, which the
-- parent polls for.
local fs = require "mien.util.fs"
local json = require "mien.util.json"
local store = require "mien.sweep.store"

local pool = {}

pool.ENV = "MIEN_SWEEP_WORKER"
local LUA = "lua5.4"
local POLL = "sleep 0.05"

local Pool = {}
Pool.__index = Pool

--- o: sweep options (dir, script, script_args).
function pool.new(o)
  return setmetatable({ o = o, running = {} }, Pool)
end

--- The number of trials running.
-- @treturn int
function Pool:count()
  return #self.running
end

--- The files of trial id in the sweep dir (also used by mien.sweep.slurm).
-- @treturn table {task=, exit=, ...} paths
function pool.paths(dir, id)
  local base = dir .. "/trials/" .. id
  return {
    task = base .. ".task.json",
    exit = base .. ".exit",
    result = store.trial_path(dir, id),
    log = dir .. "/logs/" .. id .. ".log",
  }
end

--- task: {index, id, config}.
function Pool:start(task)
  local dir, q = self.o.dir, fs.shell_quote
  local p = pool.paths(dir, task.id)
  os.remove(p.result)
  os.remove(p.exit)
  fs.write_atomic(p.task, json.encode { dir = dir, index = task.index, id = task.id, config = task.config })
  local script = { q(self.o.script) }
  for _, a in ipairs(self.o.script_args) do
    script[#script + 1] = q(a)
  end
  -- Children find mien (and the user's modules) through the parent's paths.
  local command = string.format(
    "(env LUA_PATH_5_4=%s LUA_CPATH_5_4=%s %s=%s %s %s >%s 2>&1 </dev/null; echo $? >%s; mv %s %s) >/dev/null 2>&1 &",
    q(package.path), q(package.cpath), pool.ENV, q(p.task), LUA, table.concat(script, " "), q(p.log),
    q(p.exit .. ".tmp"), q(p.exit .. ".tmp"), q(p.exit))
  if not os.execute(command) then
    error("mien.sweep: could not start a worker: " .. command, 0)
  end
  self.running[#self.running + 1] = { task = task, paths = p }
end

local function log_tail(path)
  local text = fs.read(path) or ""
  local lines = {}
  for line in text:gmatch("[^\n]+") do
    lines[#lines + 1] = line
  end
  return table.concat(lines, " | ", math.max(1, #lines - 2))
end

local function collect(job)
  local p, task = job.paths, job.task
  local status = (fs.read(p.exit) or ""):match("%d+") or "?"
  os.remove(p.exit)
  os.remove(p.task)
  local text = fs.read(p.result)
  local ok, record = pcall(json.decode, text or "")
  local bad = "without a result"
  if text and ok and type(record) == "table" then
    local why = store.check_record(record, task.index)
    if not why then
      record.index = task.index -- an integer again after the JSON round trip
      return record
    end
    bad = "with a result whose " .. why
  end
  return {
    id = task.id, index = task.index, status = "failed", config = task.config, runs = {},
    error = string.format("worker exited with status %s %s (%s): %s", status, bad, p.log, log_tail(p.log)),
  }
end

--- Block until a running trial finishes; returns its record (a failed one
-- when the worker died without writing a result).
function Pool:wait()
  while true do
    for i, job in ipairs(self.running) do
      if fs.exists(job.paths.exit) then
        table.remove(self.running, i)
        return collect(job)
      end
    end
    os.execute(POLL)
  end
end

return pool
