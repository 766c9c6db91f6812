-- Fuzz driver: a TF.js graph model (model.json) with one weight shard beside it.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua"
local common = require "common"
local tfjs = require "mien.tfjs"

return function(bytes, dir)
  common.shard(dir)
  tfjs.load(common.write(dir .. "/model.json", bytes))
end
