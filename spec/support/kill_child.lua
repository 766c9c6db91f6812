-- The training child of spec/kill_spec.lua: a small CNN on synthetic faces
-- with checkpoints in DIR, resumed from them when they are there; writes the
-- final weights to OUT (safetensors, tensors only) when it finishes.
--   lua5.4 spec/support/kill_child.lua DIR OUT [KILL_AT]
-- KILL_AT "save:N" makes the process SIGKILL itself while writing its Nth
-- checkpoint: the temporary file is half written, nothing renamed yet.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "build/?.so;" .. package.cpath
local mien = require "mien"
local core = require "mien.core"
local nn = mien.nn

local dir, out, kill_at = arg[1], arg[2], arg[3]

local function kill_self() os.execute("kill -9 $PPID") end -- the shell's parent is this process

if kill_at then
  local target = tonumber(kill_at:match("^save:(%d+)$"))
  local saves, save = 0, mien.io.save_checkpoint
  mien.io.save_checkpoint = function(path, c)
    saves = saves + 1
    if saves == target then
      save(path .. ".tmp.killed", c) -- the bytes a writer would have in its temporary file
      local f = assert(io.open(path .. ".tmp.killed", "rb"))
      local bytes = f:read("a")
      f:close()
      os.remove(path .. ".tmp.killed")
      f = assert(io.open(path .. ".tmp.Xk9q2z", "wb"))
      f:write(bytes:sub(1, #bytes // 2))
      f:close()
      kill_self()
    end
    return save(path, c)
  end
end

mien.manual_seed(11)
core.set_num_threads(1)
local ds = mien.data.synthetic_faces { n = 96, size = 24, seed = 3 }
local train = mien.data.loader(ds, { batch = 16, shuffle = true, seed = 5, augment = { flip = 0.5 }, prefetch = false })
local model = nn.Sequential(
  nn.Conv2d(1, 4, 3, { padding = 1 }), nn.ReLU(), nn.MaxPool2d(2),
  nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * 12 * 12, 7))
local optimizer = mien.optim.Adam(model:parameters(), { lr = 3e-3 })
local schedule = mien.optim.StepLR(optimizer, { step_size = 2, gamma = 0.5 })
mien.train.fit { model = model, optimizer = optimizer, schedule = schedule, train = train, epochs = 6, dir = dir,
  quiet = true }

local tensors = {}
for name, t in pairs(model:state_dict()) do tensors[name] = t end
core.safetensors_save(out, tensors, {})
