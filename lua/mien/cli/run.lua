--- mien run SCRIPT [args]: everything after the script belongs to the script.
local cli = require "mien.cli"

return {
  summary = "Run any mien Lua script with its arguments.",
  runs_script = true,
  configure = function(command)
    command:argument("script", "Lua script")
    command:argument("args", "Arguments passed on to the script."):args("*")
  end,
  main = function(a) return cli.run_script(a.script, a.args or {}) end,
}
