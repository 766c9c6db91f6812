-- Fuzz driver: a labels.csv manifest naming images in its folder (a.png, b.png exist).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua"
local common = require "common"
local data = require "mien.data"

return function(bytes, dir)
  common.images(dir)
  data.manifest(common.write(dir .. "/labels.csv", bytes), { size = 4 })
end
