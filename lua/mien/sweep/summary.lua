--- Plain-text output of a sweep: one progress line per finished trial,
-- the ranked results table and the best configuration.
local ranking = require "mien.sweep.ranking"
local text_table = require "mien.util.text_table"

local summary = {}

local function value(v)
  if type(v) == "number" then
    return math.tointeger(v) and string.format("%d", v) or string.format("%.4g", v)
  end
  return tostring(v)
end

local function config_text(config, names)
  local parts = {}
  for _, name in ipairs(names or {}) do
    parts[#parts + 1] = name .. "=" .. value(config[name])
  end
  return table.concat(parts, " ")
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end

--- "objective ± std" of a trial record.
-- @tparam table record
-- @treturn string
function summary.mean_std(record)
  return string.format("%.4g ± %.2g", record.objective, record.objective_std or 0)
end

--- One progress line for a finished trial.
-- @tparam table record
-- @tparam int done trials finished
-- @tparam int total trials planned
-- @tparam string objective the objective's name
-- @treturn string
function summary.progress(record, done, total, objective)
  local result = record.status == "ok" and string.format("%s %s", objective, summary.mean_std(record))
    or "failed: " .. tostring(record.error)
  return string.format("[sweep %d/%d] trial %s  %s  %s", done, total, record.id, result,
    config_text(record.config, sorted_keys(record.config)))
end

--- Ranked table of all records plus a line for the best one.
function summary.render(records, names, objective, mode)
  local header = { "rank", "trial", objective .. " (mean ± std)" }
  for _, name in ipairs(names) do
    header[#header + 1] = name
  end
  header[#header + 1] = "status"
  local rows = { header }
  local sorted = ranking.sort(records, mode)
  for i, r in ipairs(sorted) do
    local row = { r.status == "ok" and tostring(i) or "-", r.id, r.status == "ok" and summary.mean_std(r) or "-" }
    for _, name in ipairs(names) do
      row[#row + 1] = value(r.config[name])
    end
    row[#row + 1] = r.status
    rows[#rows + 1] = row
  end
  local text = text_table.render(rows, { align = "rl" .. string.rep("r", #names + 1) .. "l" })
  local best = sorted[1]
  if best and best.status == "ok" then
    text = text .. string.format("best: trial %s  %s = %s over %d seed(s)  %s\n", best.id, objective,
      summary.mean_std(best), #best.runs, config_text(best.config, names))
  else
    text = text .. "best: none (no trial succeeded)\n"
  end
  return text
end

return summary
