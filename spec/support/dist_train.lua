-- Trains a small CNN with mien.train.fit{dist = true} and writes each rank's
-- final weights as JSON; spec/dist_spec.lua runs it as one process and under
-- `mpirun -np 2` and compares.
--   lua5.4 spec/support/dist_train.lua OUT BATCH [EPOCHS] [BN] [LR] [DIR]
-- BN: "frozen" (BatchNorm in inference mode: the runs must agree exactly),
-- "sync" (statistics over the global batch) or "rank" (per-rank statistics).
local mien = require "mien"
local json = require "mien.util.json"
local nn = mien.nn

local out, batch, epochs, bn = arg[1], tonumber(arg[2]), tonumber(arg[3] or 2), arg[4] or "frozen"
local lr, dir = tonumber(arg[5] or 1e-2), arg[6]
mien.set_num_threads(1)
mien.manual_seed(7)
local faces = mien.data.synthetic_faces { n = 64, size = 16, seed = 3 }
local model = nn.Sequential(nn.Conv2d(1, 4, 3, { padding = 1 }), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
  nn.Flatten(), nn.Linear(4 * 8 * 8, #faces.classes))
if bn == "frozen" then model[2]:freeze() end
local optimizer = mien.optim.Adam(model:parameters(), { lr = lr })
local loader = mien.data.loader(faces, { batch = batch, seed = 5, augment = { size = 16 } })
local history = mien.train.fit { model = model, optimizer = optimizer, train = loader, epochs = epochs, quiet = true,
  dir = dir, dist = bn == "sync" and { sync_batchnorm = true, bucket_mb = 0.001 } or { bucket_mb = 0.001 } }
local weights, stats = {}, {}
for _, name in ipairs(model:state_dict_names()) do
  local list = name:find("running") and stats or weights
  for _, v in ipairs(model:state_dict()[name]:reshape(-1):double():totable()) do list[#list + 1] = v end
end
local f = assert(io.open(string.format("%s.rank%d.json", out, mien.dist.rank()), "w"))
local last = history[#history] or {}
-- the epoch's image count, from images/s x seconds (a float)
f:write(json.encode { weights = weights, stats = stats, world = mien.dist.world_size(), epochs = #history,
  train_loss = last.train_loss, images = last.seconds and math.floor(last.images_per_s * last.seconds + 0.5), loader_batches = #loader })
f:close()
