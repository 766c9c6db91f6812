--- Progress output: a redrawn bar on a terminal, plain log lines otherwise.
local core = require "mien.core"

local Progress = {}
Progress.__index = Progress

local function new(opts)
  opts = opts or {}
  return setmetatable({
    tty = opts.tty == nil and core.isatty(1) or opts.tty,
    quiet = opts.quiet,
    out = opts.out or io.stdout,
  }, Progress)
end

local function fmt_time(s)
  s = math.max(0, math.floor(s + 0.5))
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, s % 3600 // 60, s % 60) end
  return string.format("%d:%02d", s // 60, s % 60)
end

--- Called after each batch with the running figures of the epoch.
function Progress:batch(epoch, epochs, b, nb, loss, acc, ips, elapsed)
  if self.quiet or not self.tty then return end
  local width = 24
  local done = math.floor(width * b / nb)
  local eta = b > 0 and elapsed / b * (nb - b) or 0
  self.out:write(string.format("\r\27[Kepoch %d/%d [%s%s] %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s", epoch, epochs,
    string.rep("=", done), string.rep(" ", width - done), b, nb, loss, 100 * acc, ips, fmt_time(eta)))
  self.out:flush()
end

--- Called at the end of each epoch with its history row.
function Progress:epoch(row, epochs)
  if self.quiet then return end
  if self.tty then self.out:write("\r\27[K") end
  local parts = { string.format("epoch %d/%d", row.epoch, epochs),
    string.format("loss %.4f", row.train_loss), string.format("acc %.2f%%", 100 * row.train_acc) }
  if row.val_loss then
    parts[#parts + 1] = string.format("val_loss %.4f", row.val_loss)
    parts[#parts + 1] = string.format("val_acc %.2f%%", 100 * row.val_acc)
  end
  parts[#parts + 1] = string.format("lr %.3g", row.lr)
  parts[#parts + 1] = string.format("%.0f img/s", row.images_per_s)
  parts[#parts + 1] = string.format("%.1fs", row.seconds)
  -- the remaining epochs at the mean pace of those run so far
  self.seconds_run = (self.seconds_run or 0) + row.seconds
  self.epochs_run = (self.epochs_run or 0) + 1
  if row.epoch < epochs then
    parts[#parts + 1] = "ETA " .. fmt_time(self.seconds_run / self.epochs_run * (epochs - row.epoch))
  end
  self.out:write(table.concat(parts, "  "), "\n")
  self.out:flush()
end

--- Print a line (clearing a redrawn progress line first); nothing when quiet.
-- @tparam string text
function Progress:message(text)
  if self.quiet then return end
  if self.tty then self.out:write("\r\27[K") end
  self.out:write(text, "\n")
  self.out:flush()
end

return { new = new }
