--- The mien command's subcommands. Each lives in its own module,
-- mien.cli.<name>, which returns
--   { summary = "one line for --help",
--     configure = function(command) ... end,  -- argparse arguments and options
--     main = function(args) ... end,          -- runs the parsed command
--     runs_script = true,                     -- optional: `mien NAME SCRIPT args...`
--                                             -- hands everything after SCRIPT to it
--     script_args = function(args) ... end }  -- optional: filters those arguments first
local cli = {}

-- The order of `mien --help`.
cli.commands = { "train", "run", "sweep", "eval", "predict", "watch", "board", "examples", "info" }

--- Runs a user's Lua script with its own arguments in `arg` and `...`.
function cli.run_script(path, args)
  local chunk, err = loadfile(path)
  if not chunk then error(err, 0) end
  _G.arg = { [0] = path, table.unpack(args) }
  return chunk(table.unpack(args))
end

-- The mien command's own file (arg[0] before run_script hands arg to a script).
local COMMAND = arg and arg[0]

-- The folder of mien's own modules (".../mien/"), to tell its frames from the user's.
local function mien_dir()
  local init = package.searchpath("mien", package.path)
  return init and init:match("^(.*/)init%.lua$") or "\0"
end

-- Where a stack frame's code lives: "mien" (mien's modules or the mien
-- command), "user" (any other Lua file: the script and what it loads) or nil (C).
local function owner(info, dir, command)
  if info.what == "C" or info.source:sub(1, 1) ~= "@" then return nil end
  local file = info.source:sub(2)
  if file:sub(1, #dir) == dir or file == command then return "mien" end
  return "user"
end

--- The message handler of the mien command (for xpcall): the error as one
-- line placed at the user's code, and the full stack for --traceback.
-- An error whose position lies inside mien (or that has none, as errors from C)
-- is shown at the innermost line of the user's code that led to it; an error
-- in the user's code keeps its own position.
-- @param err the error value
-- @treturn table {message = "file:line: text" or "text", traceback = "..."}
function cli.on_error(err)
  local text = tostring(err)
  local dir, command = mien_dir(), COMMAND
  local user_place, frames = nil, {}
  for level = 2, math.huge do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    local who = owner(info, dir, command)
    frames[info.short_src] = frames[info.short_src] or who
    if who == "user" and not user_place and info.currentline > 0 then
      user_place = info.short_src .. ":" .. info.currentline
    end
  end
  local file, rest = text:match("^([^\n]-):%d+: (.*)$")
  if file and frames[file] == "mien" then text = rest end
  if user_place and not (file and frames[file] == "user") then text = user_place .. ": " .. text end
  return { message = text, traceback = debug.traceback(tostring(err), 2) }
end

return cli
