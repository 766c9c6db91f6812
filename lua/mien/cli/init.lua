-- The mien command's subcommands. Each lives in its own module,
-- mien.cli.<name>, which returns
--   { summary = "one line for --help",
--     configure = function(command) ... end,  -- argparse arguments and options
--     main = function(args) ... end,          -- runs the parsed command
--     runs_script = true }                    -- optional: `mien NAME SCRIPT args...`
--                                             -- hands everything after SCRIPT to it
local cli = {}

-- The order of `mien --help`.
cli.commands = { "train", "run", "sweep", "eval", "predict", "board", "info" }

-- Runs a user's Lua script with its own arguments in `arg` and `...`.
function cli.run_script(path, args)
  local chunk, err = loadfile(path)
  if not chunk then error(err, 0) end
  _G.arg = { [0] = path, table.unpack(args) }
  return chunk(table.unpack(args))
end

return cli
