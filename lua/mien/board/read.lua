--- Finding and reading what runs and sweeps leave on disk, for `mien board`:
-- a run folder holds history.jsonl (mien.train.fit), and maybe config.json
-- and errors.json; a sweep folder holds sweep.json and trials/<id>.json
-- (mien.sweep). Runs may sit inside sweep folders (a sweep's run function
-- training into ctx.dir); they belong to that sweep.
local core = require "mien.core"
local fs = require "mien.util.fs"
local json = require "mien.util.json"

local read = {}

local MAX_DEPTH = 8
-- Folders that mien writes inside runs and sweeps and that hold no runs.
local SKIP = { errors = true, trials = true, logs = true }

local function decode_file(path)
  local text = fs.read(path)
  if not text then return nil end
  local ok, value = pcall(json.decode, text)
  if not ok or type(value) ~= "table" then return nil, path .. " is not a JSON object" end
  return value
end

-- The rows of history.jsonl; nil and a message naming the file and line when one is not JSON.
local function read_history(path)
  local text, err = fs.read(path)
  if not text then return nil, err end
  local rows, line_no = {}, 0
  for line in text:gmatch("[^\n]+") do
    line_no = line_no + 1
    local ok, row = pcall(json.decode, line)
    if not ok or type(row) ~= "table" then
      return nil, string.format("%s line %d is not a JSON object", path, line_no)
    end
    rows[#rows + 1] = row
  end
  return rows
end

-- A mistake's image must be a PNG inside the run's errors/ folder.
local function safe_image(name)
  return type(name) == "string" and name:match("^errors/[%w_%-%.]+%.png$") and not name:find("..", 1, true)
end

local function read_run(dir, warnings)
  local history, err = read_history(dir .. "/history.jsonl")
  if not history then
    warnings[#warnings + 1] = "skipped " .. dir .. ": " .. tostring(err)
    return nil
  end
  local run = { path = dir, history = history }
  local config, cerr = decode_file(dir .. "/config.json")
  if cerr then warnings[#warnings + 1] = cerr end
  run.config = config or {}
  local errors, eerr = decode_file(dir .. "/errors.json")
  if eerr then warnings[#warnings + 1] = eerr end
  if errors and type(errors.matrix) == "table" and type(errors.classes) == "table" then
    local listed = type(errors.mistakes) == "table" and errors.mistakes or {}
    local mistakes = {}
    for _, m in ipairs(listed) do
      if type(m) == "table" then mistakes[#mistakes + 1] = m end
    end
    if #mistakes < #listed then
      warnings[#warnings + 1] = string.format("%s/errors.json: ignored mistakes that are not objects", dir)
    end
    errors.mistakes = mistakes
    for _, m in ipairs(mistakes) do
      if safe_image(m.image) then
        m.png = fs.read(dir .. "/" .. m.image)
      else
        warnings[#warnings + 1] = string.format("%s/errors.json: ignored image %s (not errors/<name>.png)", dir,
          tostring(m.image))
      end
    end
    run.errors = errors
  end
  return run
end

local function read_sweep(dir, warnings)
  local description, err = decode_file(dir .. "/sweep.json")
  if not description then
    warnings[#warnings + 1] = "skipped sweep " .. dir .. ": " .. tostring(err or "no sweep.json")
    return nil
  end
  local trials = {}
  if core.is_dir(dir .. "/trials") then
    for _, name in ipairs((core.listdir(dir .. "/trials"))) do
      if name:match("%.json$") then
        local record, terr = decode_file(dir .. "/trials/" .. name)
        if record then trials[#trials + 1] = record else warnings[#warnings + 1] = terr end
      end
    end
  end
  table.sort(trials, function(a, b)
    return (tonumber(a.index) or 0) < (tonumber(b.index) or 0)
  end)
  return { path = dir, description = description, trials = trials }
end

local function walk(dir, depth, sweep, found)
  local names, is_dir = core.listdir(dir)
  local has = {}
  for _, name in ipairs(names) do has[name] = true end
  if has["sweep.json"] then
    sweep = read_sweep(dir, found.warnings)
    if sweep then found.sweeps[#found.sweeps + 1] = sweep end
  end
  if has["history.jsonl"] then
    local run = read_run(dir, found.warnings)
    if run then
      run.sweep = sweep
      found.runs[#found.runs + 1] = run
    end
    return
  end
  if depth >= MAX_DEPTH then return end
  for i, name in ipairs(names) do
    if is_dir[i] and not SKIP[name] and name:sub(1, 1) ~= "." then
      walk(dir .. "/" .. name, depth + 1, sweep, found)
    end
  end
end

--- Find the runs and sweeps under some folders.
-- Each folder may be a run, a sweep, or hold them at any depth (up to 8).
-- @tparam {string,...} paths folders
-- @return `{runs={{path=, history=, config=, errors=, sweep=}, ...}, sweeps={{path=, description=, trials=}, ...},
--   warnings={string, ...}}`; what cannot be read is skipped with a warning
function read.scan(paths)
  local found = { runs = {}, sweeps = {}, warnings = {} }
  for _, path in ipairs(paths) do
    if type(path) ~= "string" or not core.is_dir(path) then
      error(string.format("%s is not a folder", tostring(path)), 0)
    end
    walk((path:gsub("(.)/+$", "%1")), 0, nil, found)
  end
  return found
end

return read
