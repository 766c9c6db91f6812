--- mien train SCRIPT [args]: everything after the script belongs to the script.
local cli = require "mien.cli"

return {
  summary = "Run a training script (it calls mien.train.fit and writes its report).",
  runs_script = true,
  configure = function(command)
    command:argument("script", "Lua script, e.g. quickstart.lua (`mien examples quickstart` copies it here)")
    command:argument("args", "Arguments passed on to the script."):args("*")
  end,
  main = function(a) return cli.run_script(a.script, a.args or {}) end,
}
