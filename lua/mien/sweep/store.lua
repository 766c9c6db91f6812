--- On-disk layout of a sweep directory:
--   sweep.json          what was swept (to refuse resuming a different sweep)
--   trials/<id>.json    one record per finished trial, written atomically
--   logs/<id>.log       output of the worker process that ran the trial
--   results.jsonl/.csv  all records, rewritten after every trial
local fs = require "mien.util.fs"
local json = require "mien.util.json"
local trial = require "mien.sweep.trial"

local store = {}

--- The file of one trial's record in a sweep folder.
-- @tparam string dir the sweep folder
-- @tparam string id the trial id
-- @treturn string
function store.trial_path(dir, id)
  return dir .. "/trials/" .. id .. ".json"
end

--- Create the directory; record the sweep description, or check it matches
-- the one already there.
function store.prepare(dir, description)
  fs.mkdir_p(dir .. "/trials")
  fs.mkdir_p(dir .. "/logs")
  local path = dir .. "/sweep.json"
  local wanted = json.encode(description)
  local existing = fs.read(path)
  local stored
  if existing then -- hardening: a garbage sweep.json is an error naming the file
    local ok, v = pcall(json.decode, existing)
    if not ok or type(v) ~= "table" then
      error(string.format("mien.sweep: %s is not a sweep description (%s); delete it or use a new dir", path,
        ok and ("a JSON " .. type(v)) or ("not JSON: " .. tostring(v))), 0)
    end
    stored = json.encode(v)
  end
  if existing and stored ~= wanted then
    error(string.format("mien.sweep: %s holds a different sweep (space, method, seeds, objective "
      .. "or seed changed); use a new dir or delete it.\n  stored: %s\n  now:    %s", dir, existing, wanted), 0)
  end
  fs.write_atomic(path, wanted .. "\n")
end

local function optional(v, kind) return v == nil or type(v) == kind end

--- Why a trial record cannot be used (nil when it can): the fields the
-- ranking, the planner and the results files read, with their types.
-- @tparam table record a decoded trial record
-- @tparam int index the trial it should be
-- @treturn ?string the first field that is wrong
function store.check_record(record, index)
  if record.id ~= trial.id(index) then return string.format("id is not '%s'", trial.id(index)) end
  if type(record.config) ~= "table" then return "config is not an object" end
  if record.status ~= "ok" then return nil end
  if type(record.objective) ~= "number" then return "objective is not a number" end
  if not optional(record.objective_std, "number") then return "objective_std is not a number" end
  if not optional(record.seconds, "number") then return "seconds is not a number" end
  if type(record.runs) ~= "table" then return "runs is not a list" end
  if not optional(record.metrics, "table") then return "metrics is not an object" end
  for k in pairs(record.metrics or {}) do
    if type(k) ~= "string" then return "metrics is not an object of named values" end
  end
  return nil
end

--- Successful records of trials 1..n already on disk, by index; configs
-- restored to the space's types.
function store.load(dir, n, space)
  local records = {}
  for index = 1, n do
    local path = store.trial_path(dir, trial.id(index))
    local text = fs.read(path)
    if text then
      local ok, record = pcall(json.decode, text)
      if ok and type(record) == "table" and record.status == "ok" then
        local bad = store.check_record(record, index)
        if bad then
          error(string.format("mien.sweep: %s: %s; delete the file to run the trial again", path, bad), 0)
        end
        local config, err = space:canonical(record.config)
        if not config then
          error(string.format("mien.sweep: %s: %s", path, err), 0)
        end
        record.config = config
        record.index = index
        records[index] = record
      end
    end
  end
  return records
end

--- A worker's task file, checked: the sweep dir it belongs to, and a trial
-- index and id whose result file stays inside dir/trials.
-- @string path the task file (dir/trials/<id>.task.json)
-- @string dir the sweep directory this worker serves
-- @treturn table {dir=, index=, id=, config=}
-- @raise an error naming the task file and the bad field
function store.read_task(path, dir)
  local text, err = fs.read(path)
  if not text then error(string.format("mien.sweep: cannot read the task file %s: %s", path, tostring(err)), 0) end
  local ok, task = pcall(json.decode, text)
  if not ok or type(task) ~= "table" then
    error(string.format("mien.sweep: the task file %s is not a JSON object", path), 0)
  end
  local index = math.tointeger(task.index)
  if not index or index < 1 then
    error(string.format("mien.sweep: the task file %s has no positive integer index", path), 0)
  end
  if task.id ~= trial.id(index) then
    error(string.format("mien.sweep: the task file %s names trial '%s', expected '%s' for index %d", path,
      tostring(task.id), trial.id(index), index), 0)
  end
  fs.inside(dir .. "/trials", task.id .. ".json", { what = "mien.sweep: task file " .. path })
  if type(task.config) ~= "table" then
    error(string.format("mien.sweep: the task file %s has no config object", path), 0)
  end
  if task.dir ~= dir then
    error(string.format("mien.sweep: this worker was started for the sweep in %s but reached a sweep with dir %s; "
      .. "a script run with workers must make one mien.sweep{} call, with the same options each time it starts",
      tostring(task.dir), tostring(dir)), 0)
  end
  task.index = index
  return task
end

--- Write one trial's record (JSON, atomically).
-- @tparam string dir the sweep folder
-- @tparam table record
function store.save_trial(dir, record)
  fs.write_atomic(store.trial_path(dir, record.id), json.encode(record) .. "\n")
end

local function csv_field(v)
  local s = v == nil and "" or type(v) == "number" and json.number(v) or tostring(v)
  if s:find('[,"\n]') then
    s = '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

--- results.jsonl (one record per line) and results.csv (one row per
-- trial: id, status, hyper-parameters, metric means, objective std).
function store.write_results(dir, records, names, objective)
  local lines = {}
  for i, r in ipairs(records) do
    lines[i] = json.encode(r)
  end
  fs.write_atomic(dir .. "/results.jsonl", table.concat(lines, "\n") .. (#lines > 0 and "\n" or ""))
  local seen, metric_names = {}, {}
  for _, r in ipairs(records) do
    for k in pairs(r.metrics or {}) do
      if not seen[k] then
        seen[k] = true
        metric_names[#metric_names + 1] = k
      end
    end
  end
  table.sort(metric_names)
  local header = { "id", "status" }
  for _, n in ipairs(names) do
    header[#header + 1] = n
  end
  for _, n in ipairs(metric_names) do
    header[#header + 1] = n
  end
  for _, n in ipairs { objective .. "_std", "seconds", "error" } do
    header[#header + 1] = n
  end
  local rows = { table.concat(header, ",") }
  for _, r in ipairs(records) do
    local row = { csv_field(r.id), csv_field(r.status) }
    for _, n in ipairs(names) do
      row[#row + 1] = csv_field(r.config[n])
    end
    for _, n in ipairs(metric_names) do
      row[#row + 1] = csv_field(r.metrics and r.metrics[n])
    end
    row[#row + 1] = csv_field(r.objective_std)
    row[#row + 1] = csv_field(r.seconds)
    row[#row + 1] = csv_field(r.error)
    rows[#rows + 1] = table.concat(row, ",")
  end
  fs.write_atomic(dir .. "/results.csv", table.concat(rows, "\n") .. "\n")
end

return store
