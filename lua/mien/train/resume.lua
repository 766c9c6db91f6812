--- Where mien.train.fit resumes from, and the clean-up before it starts:
--   * temporary files that a killed run left behind (<name>.tmp.XXXXXX of
--     the atomic checkpoint writer, <name>.tmp of fs.write_atomic) are removed;
--   * last.ckpt is loaded; when it is missing or cannot be read, best.ckpt
--     is, and the run says so;
--   * when neither can be loaded but one exists, fit stops with an error
--     instead of starting afresh and overwriting it.
local core = require "mien.core"
local fs = require "mien.util.fs"

local resume = {}

-- The names the writers give their temporary files.
local function is_temporary(name)
  return name:match("%.tmp%.[%w_]+$") ~= nil or name:match("%.tmp$") ~= nil
end

--- Remove the temporary files a killed run left in dir.
-- @string dir the run's folder
-- @treturn {string,...} the names removed
function resume.clean_orphans(dir)
  local removed = {}
  local ok, names, is_dir = pcall(core.listdir, dir)
  if not ok then return removed end
  for i, name in ipairs(names) do
    if not is_dir[i] and is_temporary(name) and os.remove(dir .. "/" .. name) then removed[#removed + 1] = name end
  end
  return removed
end

--- Load the state to resume from into targets.
-- @string dir the run's folder
-- @tparam table targets {model=, optimizer=, schedule=} as for mien.io.load_checkpoint
-- @tparam function load the checkpoint loader, load(path, targets) -> state
-- @treturn[1] table the loaded state, with `path` the file it came from and
--   `fallback` a sentence when it is best.ckpt instead of last.ckpt
-- @treturn[2] nil when dir holds no checkpoint
-- @raise when a checkpoint exists but none can be loaded (naming each and why)
function resume.load(dir, targets, load)
  local last, best = dir .. "/last.ckpt", dir .. "/best.ckpt"
  local why
  if fs.exists(last) then
    local ok, state = pcall(load, last, targets)
    if ok then
      state.path = last
      return state
    end
    why = "last.ckpt cannot be loaded (" .. tostring(state) .. ")"
  else
    why = "there is no last.ckpt"
  end
  if fs.exists(best) then
    local ok, state = pcall(load, best, targets)
    if ok then
      state.path = best
      state.fallback = string.format("%s; resuming from %s (epoch %s)", why, best, tostring(state.epoch))
      return state
    end
    why = why .. "; best.ckpt cannot be loaded either (" .. tostring(state) .. ")"
  elseif not fs.exists(last) then
    return nil
  end
  error(string.format("fit: cannot resume from %s: %s. Nothing was overwritten; pass resume = false to start afresh "
    .. "(that replaces these checkpoints)", dir, why), 0)
end

return resume
