--- mien sweep SCRIPT [args] [--slurm]: everything after the script belongs to
-- the script, except --slurm, which runs its trials as Slurm array jobs.
local cli = require "mien.cli"

-- Takes --slurm out of the script's arguments: the sweep's trials then go to
-- Slurm (mien.sweep's backend defaults to "slurm").
local function script_args(args)
  local out = {}
  for _, a in ipairs(args) do
    if a == "--slurm" then require("mien.sweep").default_backend = "slurm" else out[#out + 1] = a end
  end
  return out
end

return {
  summary = "Run a sweep script (it calls mien.sweep); --slurm submits its trials as Slurm array jobs.",
  runs_script = true,
  script_args = script_args,
  configure = function(command)
    command:argument("script", "Lua script")
    command:argument("args", "Arguments passed on to the script."):args("*")
    command:flag("--slurm", "Run the trials as Slurm array jobs (sbatch --array).")
  end,
  main = function(a)
    if a.slurm then require("mien.sweep").default_backend = "slurm" end
    return cli.run_script(a.script, script_args(a.args or {}))
  end,
}
