-- Fuzz driver: the files of a sweep directory (sweep.json, a trial record,
-- a worker's task file) read back as a resumed sweep or a worker reads them.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua"
local common = require "common"
local store = require "mien.sweep.store"
local space = require "mien.sweep.space"
local summary = require "mien.sweep.summary"

local sp = space.new { lr = space.constructors.log_uniform(1e-4, 1e-1), depth = space.constructors.choice { 1, 2, 3 } }
local description = { method = "random", objective = "acc", mode = "max", seed = 1, seeds = { 1 }, space = sp:describe() }

local made = false

return function(bytes, dir)
  local sweep_dir = dir .. "/sweep"
  if not made then
    os.execute("mkdir -p " .. sweep_dir .. "/trials " .. sweep_dir .. "/logs")
    made = true
  end
  local which = #bytes > 0 and bytes:byte(1) % 3 or 0
  -- a task file names its sweep dir; seeds write SWEEP_DIR for this process's
  local body = bytes:sub(2):gsub("SWEEP_DIR", function() return sweep_dir end)
  if which == 0 then
    common.write(sweep_dir .. "/sweep.json", body)
    store.prepare(sweep_dir, description)
  elseif which == 1 then
    -- a resumed sweep ranks, prints and tabulates the records it loaded
    common.write(store.trial_path(sweep_dir, "0001"), body)
    local records = { store.load(sweep_dir, 1, sp)[1] }
    summary.render(records, sp:names(), "acc", "max")
    store.write_results(sweep_dir, records, sp:names(), "acc")
  else
    store.read_task(common.write(sweep_dir .. "/trials/0001.task.json", body), sweep_dir)
  end
end
