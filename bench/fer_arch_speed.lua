-- Training speed (images/s: forward, cross entropy, backward, SGD step) of
-- the candidate FER2013 networks on random 48x48 (or --size) grey batches.
-- Used to choose the architecture of examples/best_fer2013.lua.
--   lua5.4 bench/fer_arch_speed.lua [--size 48] [--batch 64] [--iters 6] [--only NAME]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"

local p = argparse("fer_arch_speed", "Training images/s of the candidate FER networks.")
p:option("--size", "Input side.", "48", tonumber)
p:option("--batch", "Batch size.", "64", tonumber)
p:option("--iters", "Timed iterations.", "6", tonumber)
p:option("--only", "Only the candidates whose name contains this.")
local a = p:parse(arg)

local resnet = dofile("examples/fer_resnet.lua")
local candidates = {
  { "seed_cnn", function() return dofile("examples/fer_cnn.lua")({ classes = 7 }) end },
  { "res_pool_64-512", function() return resnet { widths = { 64, 128, 256, 512 } } end },
  { "res_full_32-256", function() return resnet { stem_pool = false, widths = { 32, 64, 128, 256 } } end },
  { "res_full_48-384", function() return resnet { stem_pool = false, widths = { 48, 96, 192, 384 } } end },
  { "res_pool_64-512_d2", function() return resnet { widths = { 64, 128, 256, 512 }, depths = { 2, 2, 2, 1 } } end },
  { "sep_full_64-512", function() return resnet { stem_pool = false, block = "sep", widths = { 64, 128, 256, 512 } } end },
  { "sep_full_64-512_d2", function() return resnet { stem_pool = false, block = "sep", widths = { 64, 128, 256, 512 },
    depths = { 2, 2, 2, 2 } } end },
}

mien.manual_seed(1)
local x = mien.rand({ a.batch, 1, a.size, a.size })
local labels = {}
for i = 1, a.batch do labels[i] = (i - 1) % 7 + 1 end
local y = mien.tensor(labels, { dtype = "int64" })
print(string.format("%-22s %10s %10s", "network", "params", "img/s"))
for _, c in ipairs(candidates) do
  if not a.only or c[1]:find(a.only, 1, true) then
    local model = c[2]()
    local n = 0
    for _, t in ipairs(model:parameters()) do n = n + t:numel() end
    local opt = mien.optim.SGD(model:parameters(), { lr = 0.01, momentum = 0.9 })
    model:train()
    local function step()
      opt:zero_grad()
      local loss = mien.F.cross_entropy(model(x), y)
      loss:backward()
      opt:step()
    end
    step()
    local t0 = core.now()
    for _ = 1, a.iters do step() end
    local dt = core.now() - t0
    print(string.format("%-22s %10d %10.1f", c[1], n, a.iters * a.batch / dt))
    io.stdout:flush()
  end
end
