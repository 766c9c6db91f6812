--- Runs the trials of a sweep that are not finished yet, `workers` at a
-- time: in-process when workers == 1, else in worker processes, or as
-- Slurm array jobs with backend = "slurm" (mien.sweep.slurm). Every
-- finished trial is saved at once, so a killed sweep loses only the
-- trials that were running.
local planner = require "mien.sweep.planner"
local pool = require "mien.sweep.pool"
local store = require "mien.sweep.store"
local summary = require "mien.sweep.summary"
local trial = require "mien.sweep.trial"

local runner = {}

-- Runs the one trial it was given when waited on.
local Inline = {}
Inline.__index = Inline

--- 1 while a trial is pending, else 0.
-- @treturn int
function Inline:count()
  return self.task and 1 or 0
end

--- Queue one trial (run by wait, in this process).
-- @tparam table task
function Inline:start(task)
  self.task = task
end

--- Run the queued trial and return its record.
-- @treturn table
function Inline:wait()
  local task = self.task
  self.task = nil
  return trial.run(self.o, task)
end

local function records_of(results, n)
  local list = {}
  for i = 1, n do
    list[#list + 1] = results[i]
  end
  return list
end

--- o: validated sweep options; finished: records already done, by index.
-- Returns all records by index.
function runner.run(o, finished)
  local space = o.space
  local plan = planner.new(o, space)
  local executor = o.backend == "slurm" and require("mien.sweep.slurm").new(o)
    or o.workers > 1 and pool.new(o) or setmetatable({ o = o }, Inline)
  -- trials an earlier (killed) driver submitted that are still queued or running
  local attached = executor.reattach and executor:reattach(finished) or {}
  local results, queue, running = {}, {}, {}
  for i = 1, o.n_trials do
    results[i] = finished[i]
    if attached[i] then
      running[i] = assert(space:canonical(attached[i].config))
    elseif not finished[i] then
      queue[#queue + 1] = i
    end
  end
  local next_in_queue, done = 1, o.n_trials - #queue
  for _ in pairs(attached) do done = done - 1 end
  while next_in_queue <= #queue or executor:count() > 0 do
    while next_in_queue <= #queue and executor:count() < o.workers do
      local index = queue[next_in_queue]
      next_in_queue = next_in_queue + 1
      running[index] = plan(index, results, running)
      executor:start { index = index, id = trial.id(index), config = running[index] }
    end
    local record = executor:wait()
    -- Records from workers come through JSON: restore integer types etc.
    record.config = assert(space:canonical(record.config))
    running[record.index] = nil
    results[record.index] = record
    done = done + 1
    if o.dir then
      store.save_trial(o.dir, record)
      store.write_results(o.dir, records_of(results, o.n_trials), space:names(), o.objective)
    end
    if not o.quiet then
      io.write(summary.progress(record, done, o.n_trials, o.objective), "\n")
    end
  end
  return results
end

return runner
