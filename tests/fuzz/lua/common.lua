-- Shared by the Lua fuzz drivers: writing the input, and fixture files made
-- once per process in the fuzz folder.
local common = {}

function common.write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
  return path
end

-- A 96-byte weight shard (float32 0..23) next to manifests and graphs.
function common.shard(dir)
  local path = dir .. "/group1-shard1of1.bin"
  local f = io.open(path, "rb")
  if f then f:close() return path end
  local parts = {}
  for i = 0, 23 do parts[#parts + 1] = string.pack("<f", i) end
  return common.write(path, table.concat(parts))
end

-- Two 4x4 grey PNGs, a.png and b.png, for labels.csv manifests.
function common.images(dir)
  local mien = require "mien"
  for _, name in ipairs { "a.png", "b.png" } do
    local path = dir .. "/" .. name
    local f = io.open(path, "rb")
    if f then f:close() else mien.image.write(path, mien.zeros({ 4, 4, 1 }, { dtype = "uint8" })) end
  end
end

return common
