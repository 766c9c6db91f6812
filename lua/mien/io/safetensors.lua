--- Safetensors files (Hugging Face format) of mien tensors, through the C
-- reader/writer in core/io (atomic writes: temp file, fsync, rename).
--   st.save(path, tensors, metadata)  tensors: {name = tensor} (sorted by name)
--                                     or an ordered list of {name, tensor} pairs;
--                                     metadata: {key = string}
--   st.load(path) -> tensors {name = tensor}, metadata {key = string}, names (file order)
--   st.read_header(path) -> the parsed JSON header (pure Lua, no tensor data read)
local core = require "mien.core"

local st = {}

--- Write tensors to a safetensors file.
-- @tparam string path
-- @tparam table tensors name -> tensor
-- @tparam[opt] table metadata string -> string
function st.save(path, tensors, metadata)
  assert(type(path) == "string", "safetensors.save: path must be a string")
  core.safetensors_save(path, tensors, metadata)
end

--- Read a safetensors file.
-- @tparam string path
-- @treturn table name -> tensor
-- @treturn table metadata string -> string
-- @treturn {string,...} names in file order
function st.load(path)
  assert(type(path) == "string", "safetensors.load: path must be a string")
  return core.safetensors_load(path)
end

--- The JSON header of a safetensors file, without reading the tensors.
-- @tparam string path
-- @treturn string the header's JSON text
function st.read_header(path)
  local f, err = io.open(path, "rb")
  if not f then error("safetensors.read_header: " .. tostring(err), 2) end
  local head = f:read(8)
  if not head or #head < 8 then
    f:close()
    error("safetensors.read_header: " .. path .. " is too short", 2)
  end
  local n = string.unpack("<I8", head)
  local json = f:read(n)
  f:close()
  if not json or #json < n then error("safetensors.read_header: " .. path .. " is truncated", 2) end
  return require("cjson").decode(json), n
end

return st
