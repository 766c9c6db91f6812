-- mien.sweep{backend = "slurm"} against a real one-node Slurm started by
-- scripts/local-slurm.sh: a 6-trial Bayesian sweep in two array jobs, its
-- driver killed once while the second job runs and started again. Skips,
-- saying why, without root or without slurm-wlm/munge.
local json = require "mien.util.json"
local H = require "spec.support.helpers"

local function sh(command)
  local p = io.popen(command .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local missing
if sh("test \"$(id -u)\" -eq 0") ~= 0 then
  missing = "not root (slurmd runs the jobs as their users)"
else
  for _, exe in ipairs { "munged", "slurmctld", "slurmd", "sbatch", "squeue" } do
    if sh("PATH=$PATH:/usr/sbin command -v " .. exe) ~= 0 then
      missing = exe .. " is not installed (slurm-wlm, munge: see scripts/deps/dist.txt)"
    end
  end
end

-- The sweep: each trial appends its id to calls.log, sleeps TRIAL_SLEEP
-- seconds and scores -(x - 0.5)^2; FAIL_TRIAL=id makes that trial's process exit 3.
-- SWEEP_BACKEND=slurm asks for Slurm in the script; without it, `mien sweep ... --slurm` does.
local SCRIPT = [[
local sweep = require "mien.sweep"
local dir, method, trials = arg[1], arg[2], tonumber(arg[3])
local r = sweep {
  space = { x = sweep.uniform(-2, 2) }, method = method, trials = trials, objective = "score",
  dir = dir, backend = os.getenv("SWEEP_BACKEND"), slurm = { time = "10:00", cpus_per_task = 1 },
  run = function(cfg, ctx)
    local f = assert(io.open(dir .. "/calls.log", "a"))
    f:write(ctx.trial, "\n")
    f:close()
    os.execute("sleep " .. (os.getenv("TRIAL_SLEEP") or "0"))
    if os.getenv("FAIL_TRIAL") == ctx.trial then os.exit(3) end
    return { score = -(cfg.x - 0.5) ^ 2 }
  end,
}
print("best", r.best and r.best.id)
]]

describe("sweeps as Slurm array jobs", function()
  if missing then
    pending("Slurm specs skipped: " .. missing)
    return
  end
  local tmp = H.tmpdir()
  local slurm_dir = tmp .. "/slurm"
  local env

  setup(function()
    local code, out = sh("scripts/local-slurm.sh start " .. H.shell_quote(slurm_dir))
    assert.are.equal(0, code, "scripts/local-slurm.sh start: " .. out)
    env = string.format("env SLURM_CONF=%s LUA_PATH=%s LUA_CPATH=%s", H.shell_quote(slurm_dir .. "/slurm.conf"),
      H.shell_quote(package.path), H.shell_quote(package.cpath))
    H.write_file(tmp .. "/sweep.lua", SCRIPT)
  end)

  teardown(function()
    sh("scripts/local-slurm.sh stop " .. H.shell_quote(slurm_dir))
    sh("rm -rf " .. H.shell_quote(tmp))
  end)

  local function driver(dir, args, extra_env)
    return string.format("%s SWEEP_BACKEND=slurm %s lua5.4 %s %s %s", env, extra_env or "",
      H.shell_quote(tmp .. "/sweep.lua"), H.shell_quote(dir), args)
  end

  it("runs 6 trials in two array jobs, and a killed driver resumes without resubmitting", function()
    local dir = tmp .. "/bayes"
    -- the first driver, in the background, killed once the second array job is in Slurm
    local _, pid = sh(string.format("%s >%s 2>&1 & echo $!", driver(dir, "bayes 6", "TRIAL_SLEEP=3"),
      H.shell_quote(tmp .. "/driver1.log")))
    pid = assert(pid:match("%d+"))
    local jobs
    for _ = 1, 600 do
      local ok, list = pcall(json.decode, read(dir .. "/slurm/jobs.json") or "")
      if ok and type(list) == "table" and #list == 2 then jobs = list break end
      sh("sleep 0.1")
    end
    assert.is_truthy(jobs, "the driver submitted a second array job:\n" .. (read(tmp .. "/driver1.log") or ""))
    -- killed while the second job's tasks run (re-attaching to pending ones is the same path)
    for _ = 1, 100 do
      if select(2, sh(env .. " squeue -h -r -t RUNNING -j " .. jobs[2].job)):find("%d") then break end
      sh("sleep 0.1")
    end
    sh("kill -9 " .. pid)
    local _, queue = sh(env .. " squeue -r -o '%.10i %.12j %.8T %.10M %R'")
    print("\n  driver killed; squeue:\n" .. queue:gsub("[^\n]+", "    %0"))
    -- started again: re-attaches to the second job's tasks
    local code, out = sh(driver(dir, "bayes 6", "TRIAL_SLEEP=3"))
    print("  resumed driver:\n" .. out:gsub("[^\n]+", "    %0"))
    assert.are.equal(0, code, out)
    assert.is_nil(out:find("submitted Slurm array job", 1, true), "the resumed driver submitted nothing")
    local calls = {}
    for id in (read(dir .. "/calls.log") or ""):gmatch("%d+") do calls[id] = (calls[id] or 0) + 1 end
    for i = 1, 6 do
      assert.are.equal(1, calls[string.format("%04d", i)], "trial " .. i .. " ran once")
    end
    local ok_rows = select(2, (read(dir .. "/results.csv") or ""):gsub("\n%d+,ok,", ""))
    assert.are.equal(6, ok_rows)
    assert.are.equal(2, #json.decode(read(dir .. "/slurm/jobs.json")))
    local completions = {}
    for line in (read(slurm_dir .. "/jobcomp.log") or ""):gmatch("[^\n]+") do
      if line:find("Name=mien-sweep", 1, true) then
        completions[#completions + 1] = "    " .. line:match("JobId=%S+") .. " " .. line:match("JobState=%S+") .. " "
          .. (line:match("ArrayJobId=%S+ ArrayTaskId=%S+") or "") .. " " .. line:match("ExitCode=%S+")
      end
    end
    print("  job completions (jobcomp/filetxt):\n" .. table.concat(completions, "\n"))
    assert.are.equal(6, #completions)
  end)

  it("reports a task that died with its Slurm state and log (mien sweep SCRIPT --slurm)", function()
    local dir = tmp .. "/failing"
    local code, out = sh(string.format("%s FAIL_TRIAL=0002 scripts/mien sweep %s %s random 2 --slurm", env,
      H.shell_quote(tmp .. "/sweep.lua"), H.shell_quote(dir)))
    assert.are.equal(0, code, out)
    assert.matches("submitted Slurm array job %d+ %(2 trials", out)
    local record = json.decode(assert(read(dir .. "/trials/0002.json")))
    assert.are.equal("failed", record.status)
    assert.matches("Slurm task %d+_1 ended FAILED %(exit code 3:0%) without a result", record.error)
    assert.are.equal("ok", json.decode(assert(read(dir .. "/trials/0001.json"))).status)
  end)
end)
