--- mien.io: weights and checkpoints in safetensors files.
--   mien.io.save(model_or_state_dict, path, {metadata = {key = value}})
--   local sd, metadata = mien.io.load(path)      -- name -> tensor (dotted names)
--   mien.io.save_checkpoint(path, {model=, optimizer=, schedule=, epoch=, step=, history=, extra=})
--   local info = mien.io.load_checkpoint(path, {model=, optimizer=, schedule=})
-- Metadata values that are not strings are stored as JSON (and decoded back
-- by load when they were tables).
local st = require "mien.io.safetensors"
local checkpoint = require "mien.io.checkpoint"
local json = require "mien.util.json"
local args = require "mien.util.args"

local io_ = {}
io_.safetensors = st
io_.save_checkpoint = checkpoint.save_checkpoint
io_.load_checkpoint = checkpoint.load_checkpoint
io_.read_checkpoint = checkpoint.read_checkpoint

local JSON_PREFIX = "json:"

--- Save a module's parameters or a state dict (name -> tensor) as safetensors.
-- @param obj a mien.nn module or a table name -> tensor
-- @tparam string path the file (written atomically)
-- @tparam[opt] table opts metadata (a table key -> value; non-strings are stored as JSON)
-- @usage mien.io.save(net, "net.safetensors", {metadata = {epochs = 30}})
function io_.save(obj, path, opts)
  assert(type(path) == "string", "mien.io.save: path must be a string")
  opts = args.options("mien.io.save", 3, opts, "{metadata=}")
  local entries
  if type(obj) == "table" and rawget(obj, "_params") ~= nil then
    local sd, order = obj:state_dict(), obj:state_dict_names()
    entries = {}
    for _, name in ipairs(order) do entries[#entries + 1] = { name, sd[name] } end
  elseif type(obj) == "table" then
    entries = obj
  else
    error("mien.io.save: expected a module or a state dict, got " .. type(obj), 2)
  end
  local meta
  if opts.metadata then
    meta = {}
    for k, v in pairs(opts.metadata) do
      if type(v) == "table" then v = JSON_PREFIX .. json.encode(v) end
      meta[k] = v
    end
  end
  st.save(path, entries, meta)
end

--- Load a safetensors file.
-- @tparam string path
-- @treturn table name -> tensor
-- @treturn table metadata key -> value (JSON values decoded)
-- @treturn {string,...} the tensor names in file order
function io_.load(path)
  local tensors, meta, names = st.load(path)
  for k, v in pairs(meta) do
    if v:sub(1, #JSON_PREFIX) == JSON_PREFIX then
      local ok, decoded = pcall(json.decode, v:sub(#JSON_PREFIX + 1))
      if ok then meta[k] = decoded end
    end
  end
  return tensors, meta, names
end

-- mien.io.tfjs (the TF.js importer) loads on first use.
return setmetatable(io_, {
  __index = function(t, key)
    if key ~= "tfjs" then return nil end
    local tfjs = require "mien.tfjs"
    rawset(t, "tfjs", tfjs)
    return tfjs
  end,
})
