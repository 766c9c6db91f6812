--- Training checkpoints: one safetensors file (written atomically) holding
--   model.<name>                         the model's parameters and buffers
--   optimizer.state.<index>.<key>        the optimizer's state tensors (exp_avg, momentum_buffer, ...)
--   ema.<name>                           a weight average's tensors (mien.optim.EMA), when given
-- and, as JSON in the metadata entry "mien.checkpoint": the optimizer's
-- hyper-parameters and scalar state, the schedule's state, the RNG state
-- (seed, counter), epoch, step, the metric history and any extra data.
--   ckpt.save_checkpoint(path, {model=, optimizer=, schedule=, ema=, epoch=, step=, history=, extra=})
--   info = ckpt.load_checkpoint(path, {model=, optimizer=, schedule=, ema=, strict=true, rng=true})
--     restores what it is given (and the RNG unless rng=false); returns
--     {epoch=, step=, history=, extra=, model_state=, optimizer_state=, schedule_state=, ema_state=}
local mien = require "mien"
local json = require "mien.util.json"
local st = require "mien.io.safetensors"

local M = {}

M.METADATA_KEY = "mien.checkpoint"
M.FORMAT = 1

local is_tensor = mien.is_tensor

-- JSON has no inf/nan: they travel as {["__float"] = "inf" | "-inf" | "nan"}.
local function wrap(v)
  if type(v) == "number" then
    if v ~= v then return { __float = "nan" } end
    if v == math.huge then return { __float = "inf" } end
    if v == -math.huge then return { __float = "-inf" } end
    return v
  end
  if type(v) ~= "table" then
    if type(v) == "function" or type(v) == "userdata" then
      error("checkpoint: cannot store a " .. type(v) .. " in the JSON part", 4)
    end
    return v
  end
  local out = {}
  for k, x in pairs(v) do out[k] = wrap(x) end
  return out
end

local nonfinite = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }
local function unwrap(v)
  if type(v) == "number" then return math.tointeger(v) or v end
  if type(v) ~= "table" then return v end
  if v.__float and next(v, next(v)) == nil then return nonfinite[v.__float] end
  local out = {}
  for k, x in pairs(v) do out[k] = unwrap(x) end
  return out
end

--- JSON text of a Lua value; NaN and infinities survive (as {__float = "nan"|"inf"|"-inf"}).
-- @param v a table, string, number or boolean
-- @treturn string
function M.encode_json(v) return json.encode(wrap(v)) end
--- The Lua value of JSON text written by encode_json (non-finite numbers restored).
-- @tparam string s
-- @return the value
function M.decode_json(s) return unwrap(json.decode(s)) end

-- A module's state dict and its names in order, or a plain state dict.
local function model_state(m)
  if type(m) == "table" and rawget(m, "_params") ~= nil then return m:state_dict(), m:state_dict_names() end
  return m
end

--- Write a training checkpoint in one safetensors file, atomically.
-- @tparam string path the .safetensors file
-- @tparam table c model (module or state dict), optimizer, schedule, ema (mien.optim.EMA), epoch, step, history,
-- extra (all optional)
-- @usage mien.io.save_checkpoint("runs/last.safetensors", {model = net, optimizer = opt, epoch = 3})
function M.save_checkpoint(path, c)
  assert(type(path) == "string", "save_checkpoint: path must be a string")
  c = c or {}
  local entries = {}
  local info = { format = M.FORMAT, epoch = c.epoch, step = c.step, history = c.history, extra = c.extra }

  if c.model then
    local sd, order = model_state(c.model)
    if not order then
      order = {}
      for name in pairs(sd) do order[#order + 1] = name end
      table.sort(order)
    end
    for _, name in ipairs(order) do entries[#entries + 1] = { "model." .. name, sd[name] } end
  end

  if c.optimizer then
    local osd = c.optimizer:state_dict()
    local scalars = {}
    local indices = {}
    for idx in pairs(osd.state) do indices[#indices + 1] = idx end
    table.sort(indices)
    for _, idx in ipairs(indices) do
      local s, keys = osd.state[idx], {}
      for k in pairs(s) do keys[#keys + 1] = k end
      table.sort(keys)
      local plain = {}
      for _, k in ipairs(keys) do
        local v = s[k]
        if is_tensor(v) then
          entries[#entries + 1] = { string.format("optimizer.state.%d.%s", idx, k), v }
        else
          plain[k] = v
        end
      end
      scalars[tostring(idx)] = plain
    end
    info.optimizer = { type = osd.type, param_groups = osd.param_groups, state = scalars }
  end

  if c.schedule then info.schedule = c.schedule:state_dict() end

  if c.ema then
    local esd = c.ema:state_dict()
    for _, name in ipairs(c.ema.names) do entries[#entries + 1] = { "ema." .. name, esd[name] } end
    info.ema = { updates = c.ema.updates, decay = c.ema.decay }
  end

  local seed, counter = mien.rng_state()
  info.rng = { seed = string.format("%d", seed), counter = string.format("%d", counter) }

  st.save(path, entries, { [M.METADATA_KEY] = M.encode_json(info) })
end

-- hardening: the metadata's structure is checked before anything uses it, so
-- a damaged or hostile checkpoint is an error naming the file and the field.
local function is_int(v, min) return math.type(v) == "integer" and v >= (min or 0) end
local function is_list_of(v, pred)
  if type(v) ~= "table" then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n ~= #v then return false end
  for _, x in ipairs(v) do if not pred(x) then return false end end
  return true
end
local function is_number(v) return type(v) == "number" end
local function is_table(v) return type(v) == "table" end
local function is_scalar(v)
  local t = type(v)
  return t == "number" or t == "string" or t == "boolean" or is_list_of(v, is_number)
end
local function is_int_string(v) return type(v) == "string" and math.tointeger(tonumber(v)) ~= nil end

local function check_info(info, path)
  local function bad(field, want)
    error(string.format("load_checkpoint: %s: metadata field '%s' is not %s", path, field, want), 4)
  end
  if type(info) ~= "table" then bad("(top level)", "a JSON object") end
  if info.epoch ~= nil and not is_int(info.epoch) then bad("epoch", "a non-negative integer") end
  if info.step ~= nil and not is_int(info.step) then bad("step", "a non-negative integer") end
  if info.history ~= nil and not is_table(info.history) then bad("history", "a list or an object") end
  if info.extra ~= nil and not is_table(info.extra) then bad("extra", "an object") end
  if info.ema ~= nil and not is_table(info.ema) then bad("ema", "an object") end
  if info.rng ~= nil and not (is_table(info.rng) and is_int_string(info.rng.seed) and is_int_string(info.rng.counter)) then
    bad("rng", "{seed=, counter=} with integers as strings")
  end
  local o = info.optimizer
  if o ~= nil then
    if not is_table(o) or (o.type ~= nil and type(o.type) ~= "string") then bad("optimizer", "an object") end
    if not is_list_of(o.param_groups, is_table) then bad("optimizer.param_groups", "a list of objects") end
    for gi, g in ipairs(o.param_groups) do
      for k, v in pairs(g) do
        local ok = type(k) == "string" and (k == "params" and is_list_of(v, is_int) or k ~= "params" and is_scalar(v))
        if not ok then bad(string.format("optimizer.param_groups[%d].%s", gi, tostring(k)), "a number, string or list of numbers") end
      end
      if g.params == nil then bad(string.format("optimizer.param_groups[%d].params", gi), "a list of indices") end
    end
    if o.state ~= nil and not is_table(o.state) then bad("optimizer.state", "an object") end
    for idx, plain in pairs(o.state or {}) do
      if not is_int_string(idx) or not is_table(plain) then bad("optimizer.state." .. tostring(idx), "an object") end
      for k, v in pairs(plain) do
        if type(k) ~= "string" or not is_scalar(v) then bad("optimizer.state." .. idx .. "." .. tostring(k), "a scalar") end
      end
    end
  end
  local sc = info.schedule
  if sc ~= nil then
    if not is_table(sc) or (sc.type ~= nil and type(sc.type) ~= "string") then bad("schedule", "an object") end
    if sc.last_epoch ~= nil and math.type(sc.last_epoch) ~= "integer" then bad("schedule.last_epoch", "an integer") end
    for _, k in ipairs { "base_lrs", "last_lrs" } do
      if sc[k] ~= nil and not is_list_of(sc[k], is_number) then bad("schedule." .. k, "a list of numbers") end
    end
  end
end

--- The checkpoint's parts without applying them.
function M.read_checkpoint(path)
  local tensors, meta = st.load(path)
  local raw = meta[M.METADATA_KEY]
  if not raw then
    error("load_checkpoint: " .. path .. " has no '" .. M.METADATA_KEY .. "' metadata (not a checkpoint)", 3)
  end
  local ok, info = pcall(M.decode_json, raw)
  if not ok then
    error(string.format("load_checkpoint: %s: metadata '%s' is not JSON (%s)", path, M.METADATA_KEY, tostring(info)), 3)
  end
  check_info(info, path)
  local msd, ostate, esd = {}, {}, {}
  for name, t in pairs(tensors) do
    local mname, ename = name:match("^model%.(.+)$"), name:match("^ema%.(.+)$")
    if mname then
      msd[mname] = t
    elseif ename then
      esd[ename] = t
    else
      local idx, key = name:match("^optimizer%.state%.(%d+)%.(.+)$")
      if idx then
        idx = math.tointeger(tonumber(idx))
        ostate[idx] = ostate[idx] or {}
        ostate[idx][key] = t
      end
    end
  end
  local osd
  if info.optimizer then
    for idx, plain in pairs(info.optimizer.state or {}) do
      local i = math.tointeger(tonumber(idx))
      ostate[i] = ostate[i] or {}
      for k, v in pairs(plain) do ostate[i][k] = v end
    end
    osd = { type = info.optimizer.type, param_groups = info.optimizer.param_groups, state = ostate }
  end
  return info, msd, osd, next(esd) and esd or nil
end

--- Read a checkpoint and load its parts into the given objects.
-- @tparam string path the .safetensors file
-- @tparam[opt] table targets model, optimizer, schedule, ema (each restored when given; an EMA
-- restarts from the loaded model's weights when the checkpoint holds none), strict (true:
-- the model's parameter names must match)
-- @treturn table info {format=, epoch=, step=, history=, extra=}
function M.load_checkpoint(path, targets)
  assert(type(path) == "string", "load_checkpoint: path must be a string")
  targets = targets or {}
  local info, msd, osd, esd = M.read_checkpoint(path)
  if targets.model then targets.model:load_state_dict(msd, { strict = targets.strict ~= false }) end
  if targets.ema then
    local updates = type(info.ema) == "table" and math.tointeger(info.ema.updates) or nil
    targets.ema:load_state_dict(esd or msd, esd and updates or 0)
  end
  if targets.optimizer then
    if not osd then error("load_checkpoint: " .. path .. " holds no optimizer state", 2) end
    targets.optimizer:load_state_dict(osd)
  end
  if targets.schedule then
    if not info.schedule then error("load_checkpoint: " .. path .. " holds no schedule state", 2) end
    targets.schedule:load_state_dict(info.schedule)
  end
  if targets.rng ~= false and info.rng then
    mien.set_rng_state(math.tointeger(tonumber(info.rng.seed)), math.tointeger(tonumber(info.rng.counter)))
  end
  return { epoch = info.epoch, step = info.step, history = info.history, extra = info.extra, model_state = msd,
    optimizer_state = osd, schedule_state = info.schedule, rng = info.rng, ema_state = esd }
end

return M
