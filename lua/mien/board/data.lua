--- The data a board page draws, from what mien.board.read found: per run its
-- curves (columns, rounded), its table cells (config and final/best
-- metrics) and its errors; per sweep its space and trials; and the mistake
-- images, each embedded once however many runs got it wrong.
local base64 = require "mien.util.base64"

local data = {}

-- json.encode writes NaN as null: a hole in an array.
local NULL = 0 / 0

local CURVES = { "train_loss", "val_loss", "train_acc", "val_acc", "lr" }

-- 5 significant digits: enough for a chart, and a third of the bytes.
local function round(v)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return nil end
  if math.type(v) == "integer" then return v end
  return tonumber(string.format("%.5g", v))
end

local function scalar(v)
  local t = type(v)
  return t == "number" or t == "string" or t == "boolean"
end

-- Nested tables to dotted keys; arrays of scalars joined by commas.
local function flatten(t, prefix, out)
  for k, v in pairs(t) do
    local key = prefix and prefix .. "." .. tostring(k) or tostring(k)
    if type(v) == "table" then
      if #v > 0 and scalar(v[1]) then
        local parts = {}
        for i, x in ipairs(v) do parts[i] = tostring(x) end
        out[key] = table.concat(parts, ",")
      else
        flatten(v, key, out)
      end
    elseif scalar(v) then
      out[key] = type(v) == "number" and round(v) or v
    end
  end
  return out
end

-- The config cells of a run: its hyper-parameters (fit's config option, or
-- the model options and the optimizer's), the model script and the data.
local function config_cells(c)
  local cells = flatten(type(c.config) == "table" and c.config or {}, nil, {})
  local recipe = type(c.recipe) == "table" and c.recipe or {}
  if next(cells) == nil and type(recipe.opts) == "table" then flatten(recipe.opts, nil, cells) end
  local opt = type(c.optimizer) == "table" and c.optimizer or {}
  if cells.optimizer == nil and opt.name then cells.optimizer = opt.name end
  if cells.lr == nil and type(opt.hyper) == "table" then cells.lr = round(opt.hyper.lr) end
  if cells.batch == nil then cells.batch = c.batch end
  if type(recipe.script) == "string" then cells.model = recipe.script:match("([^/]+)$") end
  if cells.data == nil and c.train_size then
    cells.data = string.format("%d train / %s val", c.train_size, tostring(c.val_size or 0))
  end
  return cells
end

local function columns_of(history)
  local h = { epoch = {}, step = {}, time = {} }
  for _, key in ipairs(CURVES) do h[key] = {} end
  local clock = 0
  for i, row in ipairs(history) do
    h.epoch[i] = round(row.epoch) or i
    h.step[i] = round(row.step) or h.epoch[i]
    clock = clock + (tonumber(row.seconds) or 0)
    h.time[i] = round(clock)
    for _, key in ipairs(CURVES) do h[key][i] = round(row[key]) or NULL end
  end
  return h
end

local function metric_cells(run, cells)
  local history, c = run.history, run.config
  local last = history[#history] or {}
  for _, key in ipairs { "train_loss", "train_acc", "val_loss", "val_acc" } do
    cells["final " .. key] = round(last[key])
  end
  local best_acc, best_loss, best_epoch
  for _, row in ipairs(history) do
    if type(row.val_acc) == "number" and (best_acc == nil or row.val_acc > best_acc) then
      best_acc, best_epoch = row.val_acc, row.epoch
    end
    if type(row.val_loss) == "number" and (best_loss == nil or row.val_loss < best_loss) then best_loss = row.val_loss end
  end
  cells["best val_acc"], cells["best val_loss"], cells["best epoch"] = round(best_acc), round(best_loss), best_epoch
  local seconds = 0
  for _, row in ipairs(history) do seconds = seconds + (tonumber(row.seconds) or 0) end
  local planned = math.tointeger(c.epochs)
  cells.epochs = #history .. (planned and ("/" .. planned) or "")
  cells.minutes = round(seconds / 60)
end

local METRIC_COLUMNS = { "best val_acc", "final val_acc", "best val_loss", "final val_loss", "final train_loss",
  "final train_acc", "best epoch", "epochs", "minutes" }

-- Columns: run, sweep, the config keys whose values differ between runs,
-- then the metrics. Config keys with one value everywhere go to `constant`.
local function table_columns(runs, has_sweeps)
  local values, keys = {}, {}
  for _, r in ipairs(runs) do
    for k, v in pairs(r.config_cells) do
      if not values[k] then
        values[k] = {}
        keys[#keys + 1] = k
      end
      values[k][tostring(v)] = true
    end
  end
  table.sort(keys)
  local columns, constant = { { key = "name", label = "run" } }, {}
  if has_sweeps then columns[2] = { key = "sweep", label = "sweep" } end
  for _, k in ipairs(keys) do
    local n, missing = 0, false
    for _ in pairs(values[k]) do n = n + 1 end
    for _, r in ipairs(runs) do missing = missing or r.config_cells[k] == nil end
    if n == 1 and not missing and #runs > 1 then
      constant[#constant + 1] = { key = k, value = next(values[k]) }
    else
      columns[#columns + 1] = { key = k, label = k, group = "config" }
    end
  end
  for _, k in ipairs(METRIC_COLUMNS) do columns[#columns + 1] = { key = k, label = k, group = "metric" } end
  for _, col in ipairs(columns) do
    col.num = true
    for _, r in ipairs(runs) do
      local v = r.cells[col.key]
      if v ~= nil and type(v) ~= "number" then col.num = false end
    end
  end
  return columns, constant
end

-- Mistake images: one base64 PNG per distinct image, until the byte budget is spent.
local function image_store(budget)
  local by_png, list, used = {}, {}, 0
  return list, function(png)
    if type(png) ~= "string" then return nil end
    if by_png[png] then return by_png[png] end
    local uri = "data:image/png;base64," .. base64.encode(png)
    if used + #uri > budget then return nil end
    used = used + #uri
    list[#list + 1] = uri
    by_png[png] = #list - 1 -- 0-based, as the page indexes it
    return by_png[png]
  end
end

local function errors_of(e, per_class, embed)
  local kept, count = {}, {}
  for _, m in ipairs(type(e.mistakes) == "table" and e.mistakes or {}) do
    local t = math.tointeger(m.target)
    if t then
      count[t] = (count[t] or 0) + 1
      if count[t] <= per_class then
        kept[#kept + 1] = { t, math.tointeger(m.pred), round(m.confidence), embed(m.png) or NULL }
      end
    end
  end
  return { classes = e.classes, matrix = e.matrix, mistakes = kept }
end

-- The longest folder ("a/b/") holding every path; for one path, its parent.
local function common_prefix(paths)
  local function parent(p) return p:match("^(.*/)[^/]+/?$") or "" end
  if #paths == 0 then return "" end
  local prefix = #paths == 1 and parent(paths[1]) or paths[1] .. "/"
  for _, p in ipairs(paths) do
    while prefix ~= "" and (p .. "/"):sub(1, #prefix) ~= prefix do prefix = parent(prefix) end
  end
  return prefix
end

local function sweep_of(s, name, run_index)
  local d = s.description
  local params = {}
  for pname, spec in pairs(type(d.space) == "table" and d.space or {}) do
    if type(spec) == "table" and type(spec.kind) == "string" then -- what is not a parameter is not drawn
      local kind = spec.kind
      params[#params + 1] = { name = tostring(pname), kind = kind, values = kind == "choice" and spec.values or nil,
        lo = spec.lo, hi = spec.hi, log = kind:find("log", 1, true) ~= nil }
    end
  end
  table.sort(params, function(a, b) return a.name < b.name end)
  local trials = {}
  for _, t in ipairs(s.trials) do
    trials[#trials + 1] = { id = t.id, status = t.status, config = flatten(type(t.config) == "table" and t.config or {},
      nil, {}), objective = round(t.objective), run = run_index[s.path .. "#" .. tostring(t.id)] }
  end
  return { name = name, method = d.method, objective = d.objective, mode = d.mode or "max", params = params,
    trials = trials }
end

--- The page's data from scanned runs and sweeps.
-- @tparam table found the result of `mien.board.read.scan`
-- @tparam table opts `mistakes` (6): mistakes shown per class and run; `image_budget` (3e6): bytes of
--   embedded images at most (mistakes beyond it are listed without their image); `title`
-- @return a table for JSON: `{title=, runs=, columns=, constant=, sweeps=, images=}`
function data.build(found, opts)
  opts = opts or {}
  local per_class, budget = opts.mistakes or 6, opts.image_budget or 3e6
  local images, embed = image_store(budget)
  local paths = {}
  for i, r in ipairs(found.runs) do paths[i] = r.path end
  for i, s in ipairs(found.sweeps) do paths[#found.runs + i] = s.path end
  local prefix = common_prefix(paths)
  local function short(path) return path:sub(#prefix + 1) end
  local runs, run_index = {}, {}
  for i, r in ipairs(found.runs) do
    local c = r.config_cells or config_cells(r.config)
    local cells = { name = short(r.path), sweep = r.sweep and short(r.sweep.path) or nil }
    for k, v in pairs(c) do cells[k] = v end
    metric_cells(r, cells)
    local trial = r.sweep and r.path:match("/(%d%d%d%d+)[^/]*$")
    if trial then run_index[r.sweep.path .. "#" .. trial] = i - 1 end
    runs[i] = { name = cells.name, sweep = cells.sweep, trial = trial, config_cells = c, cells = cells,
      h = columns_of(r.history), errors = r.errors and errors_of(r.errors, per_class, embed) or nil }
  end
  local columns, constant = table_columns(runs, #found.sweeps > 0)
  for _, r in ipairs(runs) do r.config_cells = nil end
  local sweeps = {}
  for i, s in ipairs(found.sweeps) do sweeps[i] = sweep_of(s, short(s.path), run_index) end
  return { title = opts.title or "mien board", root = prefix, runs = runs, columns = columns, constant = constant, sweeps = sweeps,
    images = images, watch = opts.watch }
end

return data
