--- mien.board: one HTML page comparing runs and sweeps, like an experiment
-- tracker's dashboard but written to a file, with no service.
--   require("mien.board").write({"runs/"}, {out = "board.html"})
local args = require "mien.util.args"
local fs = require "mien.util.fs"
local read = require "mien.board.read"
local data = require "mien.board.data"
local page = require "mien.board.page"

local fail = args.fail

local board = {}

local function check(paths, opts)
  if type(paths) ~= "table" or #paths == 0 then fail("expected a list of folders") end
  if opts ~= nil and type(opts) ~= "table" then fail("opts must be a table") end
  opts = opts or {}
  if opts.out ~= nil and (type(opts.out) ~= "string" or opts.out == "") then fail("out must be a file path") end
  if opts.watch ~= nil and (type(opts.watch) ~= "number" or opts.watch < 1) then
    fail("watch must be a number of seconds >= 1, got %s", tostring(opts.watch))
  end
  if opts.mistakes ~= nil and (math.type(opts.mistakes) ~= "integer" or opts.mistakes < 0) then
    fail("mistakes must be an integer >= 0, got %s", tostring(opts.mistakes))
  end
  return opts
end

--- The page's data for some folders of runs and sweeps.
-- @tparam {string,...} paths folders (runs, sweeps, or folders holding them)
-- @tparam table opts as for `board.write`
-- @return the data table, and a list of warnings (what could not be read)
function board.build(paths, opts)
  opts = check(paths, opts)
  local ok, found = pcall(read.scan, paths)
  if not ok then fail("%s", found) end
  return data.build(found, opts), found.warnings
end

--- Write the board page (atomically).
-- @tparam {string,...} paths folders (runs, sweeps, or folders holding them)
-- @tparam table opts `out` ("board.html"): the page; `title` ("mien board"); `mistakes` (6): mistakes shown
--   per class and run; `image_budget` (3e6): bytes of embedded images at most; `watch` (nil): seconds after
--   which the page reloads itself (set by `board.watch`)
-- @return the path written, `{runs=, sweeps=, bytes=, images=}`, and the warnings
-- @usage local path, stats = require("mien.board").write({"runs"}, {out = "board.html"})
function board.write(paths, opts)
  local d, warnings = board.build(paths, opts)
  local out = (opts or {}).out or "board.html"
  local html = page.html(d)
  local dir = out:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then fs.mkdir_p(dir) end
  fs.write_atomic(out, html)
  return out, { runs = #d.runs, sweeps = #d.sweeps, bytes = #html, images = #d.images }, warnings
end

--- Rewrite the board every `opts.watch` seconds (the page reloads itself as often).
-- @tparam {string,...} paths folders
-- @tparam table opts as for `board.write`, with `watch` required; `times` (nil: forever): writes before
--   returning; `on_write` (nil): called with the results of each `board.write`
-- @return the path written
function board.watch(paths, opts)
  opts = check(paths, opts)
  if opts.watch == nil then fail("watch needs a number of seconds") end
  local n, out = 0, nil
  while true do
    local path, stats, warnings = board.write(paths, opts)
    out = path
    if opts.on_write then opts.on_write(path, stats, warnings) end
    n = n + 1
    if opts.times and n >= opts.times then return out end
    -- Ctrl-C interrupts sleep: stop watching then.
    local slept, how = os.execute("sleep " .. string.format("%d", math.ceil(opts.watch)))
    if not slept and how == "signal" then return out end
  end
end

return args.module("board", board)
