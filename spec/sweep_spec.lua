local sweep = require "mien.sweep"
local json = require "mien.util.json"
local H = require "spec.support.helpers"

local tmpdir, write_file, shell_quote = H.tmpdir, H.write_file, H.shell_quote
-- nil for a file that is not there (some specs check that a run wrote nothing)
local read_file_or_nil = H.read_file_or_nil

local function lines(text)
  local out = {}
  for line in (text or ""):gmatch("[^\n]+") do
    out[#out + 1] = line
  end
  return out
end

-- Run a sweep script with lua5.4 from the current directory (so relative
-- entries of package.path still resolve); returns exit code and output.
local function run_script(path, env)
  local command =
    string.format("env LUA_PATH_5_4=%s %s lua5.4 %s 2>&1", shell_quote(package.path), env or "", shell_quote(path))
  local p = io.popen(command)
  local output = p:read("a")
  local _, _, code = p:close()
  return code, output
end

-- The sweep script used by the worker and resume specs: each call to run
-- appends "<trial id>" to calls.log; with CRASH_AFTER=n the process exits
-- before the (n+1)-th call; with DIE_ON=id the worker running that trial
-- exits. Run also sleeps a little so parallel trials overlap, logging
-- "start"/"end" events.
local SCRIPT = [[
local sweep = require "mien.sweep"
local dir = %q
local function append(name, line)
  local f = assert(io.open(dir .. "/" .. name, "a"))
  f:write(line, "\n")
  f:close()
end
local function count_lines(name)
  local f = io.open(dir .. "/" .. name)
  if not f then return 0 end
  local n = 0
  for _ in f:lines() do n = n + 1 end
  f:close()
  return n
end
local result = sweep {
  space = { lr = sweep.log_uniform(1e-4, 1e-1), width = { 8, 16 } },
  method = "random", trials = 6, seed = 3, objective = "score", workers = %d, quiet = true,
  dir = dir .. "/out",
  run = function(cfg, ctx)
    local crash_after = tonumber(os.getenv("CRASH_AFTER"))
    if crash_after and count_lines("calls.log") >= crash_after then os.exit(3) end
    if os.getenv("DIE_ON") == ctx.trial then os.exit(4) end
    append("calls.log", ctx.trial)
    append("events.log", "start " .. ctx.trial)
    os.execute("sleep %s")
    append("events.log", "end " .. ctx.trial)
    return { score = -math.abs(math.log(cfg.lr, 10) + 2) + cfg.width / 100 }
  end,
}
append("done.log", result.best.id .. " " .. #result.trials)
]]

local function sweep_script(dir, workers, sleep)
  local path = dir .. "/sweep.lua"
  write_file(path, SCRIPT:format(dir, workers, sleep))
  return path
end

local function quiet_sweep(opts)
  opts.quiet = true
  return sweep(opts)
end

describe("mien.sweep", function()
  local dir

  before_each(function()
    dir = tmpdir()
  end)

  after_each(function()
    H.remove_dir(dir)
  end)

  describe("grid", function()
    it("enumerates the exact cartesian product, last name fastest", function()
      local seen = {}
      local r = quiet_sweep {
        space = {
          a = { 1, 2 }, b = sweep.choice { "x", "y", "z" }, c = 5,
          d = sweep.uniform(0, 1, { values = { 0.25, 0.75 } }),
        },
        method = "grid", objective = "v",
        run = function(cfg)
          seen[#seen + 1] = string.format("%d%s%d%.2f", cfg.a, cfg.b, cfg.c, cfg.d)
          return { v = cfg.a }
        end,
      }
      assert.are.same({
        "1x50.25", "1x50.75", "1y50.25", "1y50.75", "1z50.25", "1z50.75",
        "2x50.25", "2x50.75", "2y50.25", "2y50.75", "2z50.25", "2z50.75",
      }, seen)
      assert.are.equal(12, #r.trials)
      assert.are.equal("0001", r.trials[1].id)
      assert.are.equal(2, r.best.config.a)
    end)

    it("enumerates integer ranges", function()
      local r = quiet_sweep {
        space = { n = sweep.int_uniform(1, 3) }, method = "grid", objective = "v",
        run = function(cfg)
          return { v = cfg.n }
        end,
      }
      assert.are.same({ 1, 2, 3 }, { r.trials[1].config.n, r.trials[2].config.n, r.trials[3].config.n })
    end)

    it("explains that continuous dimensions need values", function()
      assert.has_error(function()
        quiet_sweep { space = { lr = sweep.log_uniform(1e-5, 1e-2) }, method = "grid", objective = "v", run = print }
      end, "mien.sweep: grid needs a finite list for 'lr': "
        .. "give log_uniform(lo, hi, {values = {...}}) or use choice{...}")
      assert.has_error(function()
        quiet_sweep { space = { a = { 1 } }, method = "grid", trials = 3, objective = "v", run = print }
      end, "mien.sweep: grid runs every combination; leave trials out")
    end)
  end)

  describe("random", function()
    local space = {
      lr = sweep.log_uniform(1e-5, 1e-2), batch = { 16, 32, 64 },
      dropout = sweep.uniform(0.2, 0.5), layers = sweep.int_uniform(1, 3),
    }

    local function configs(seed, trials)
      local r = quiet_sweep {
        space = space, method = "random", trials = trials, seed = seed, objective = "v",
        run = function()
          return { v = 0 }
        end,
      }
      local out = {}
      for i, t in ipairs(r.trials) do
        out[i] = t.config
      end
      return out
    end

    it("is deterministic per seed", function()
      assert.are.same(configs(5, 20), configs(5, 20))
      assert.are_not.same(configs(5, 20), configs(6, 20))
    end)

    it("samples trial i independently of the trial count (resume-safe)", function()
      local short, long = configs(9, 5), configs(9, 12)
      for i = 1, 5 do
        assert.are.same(short[i], long[i])
      end
    end)

    it("samples within each dimension, log-uniformly for log_uniform", function()
      local below, batches = 0, {}
      for _, c in ipairs(configs(1, 300)) do
        assert.is_true(c.lr >= 1e-5 and c.lr <= 1e-2)
        assert.is_true(c.dropout >= 0.2 and c.dropout <= 0.5)
        assert.are.equal("integer", math.type(c.layers))
        assert.is_true(c.layers >= 1 and c.layers <= 3)
        batches[c.batch] = true
        below = below + (c.lr < 1e-4 and 1 or 0)
      end
      assert.are.same({ [16] = true, [32] = true, [64] = true }, batches)
      -- a third of the decades lie below 1e-4
      assert.is_true(below > 70 and below < 130, "samples below 1e-4: " .. below)
    end)
  end)

  describe("seeds", function()
    it("runs each trial once per seed and reports mean and std", function()
      local calls = {}
      local r = quiet_sweep {
        space = { x = { 1 } }, method = "grid", seeds = 3, objective = "v",
        run = function(cfg)
          calls[#calls + 1] = cfg.seed
          return { v = cfg.seed * 2, other = 1, note = "text" }
        end,
      }
      assert.are.same({ 1, 2, 3 }, calls)
      local t = r.best
      assert.are.equal(4, t.objective)
      assert.are.equal(2, t.objective_std) -- sample std of 2, 4, 6
      assert.are.equal(1, t.metrics.other)
      assert.are.equal("text", t.runs[1].result.note)
    end)

    it("accepts an explicit list of seeds", function()
      local calls = {}
      quiet_sweep {
        space = { x = { 1 } }, method = "grid", seeds = { 11, 42 }, objective = "v",
        run = function(cfg)
          calls[#calls + 1] = cfg.seed
          return { v = 0 }
        end,
      }
      assert.are.same({ 11, 42 }, calls)
    end)
  end)

  describe("failures", function()
    it("records failing trials and ranks only the successful ones", function()
      local r = quiet_sweep {
        space = { x = { 1, 2, 3 } }, method = "grid", objective = "v", mode = "min",
        run = function(cfg)
          if cfg.x == 1 then
            error("diverged")
          elseif cfg.x == 2 then
            return { v = 0 / 0 }
          end
          return { v = 7 }
        end,
      }
      assert.are.equal("failed", r.trials[1].status)
      assert.matches("seed 1: .*diverged", r.trials[1].error)
      assert.are.equal("failed", r.trials[2].status)
      assert.matches("objective v is", r.trials[2].error)
      assert.are.equal("0003", r.best.id)
    end)

    it("validates options", function()
      local run = function()
        return { v = 1 }
      end
      assert.has_error(function()
        quiet_sweep { space = { x = { 1 } }, method = "grid", objective = "v", run = run, trails = 3 }
      end, "mien.sweep: unknown option 'trails'")
      assert.has_error(function()
        quiet_sweep { space = { x = { 1 } }, method = "bayes", objective = "v", run = run }
      end, "mien.sweep: trials must be an integer >= 1, got nil")
      assert.has_error(function()
        quiet_sweep { space = { x = { 1 } }, method = "grid", objective = "v", run = run, workers = 2 }
      end, "mien.sweep: workers > 1 needs dir (trials are exchanged through files)")
      assert.has_error(function()
        sweep.log_uniform(0, 1)
      end, "mien.sweep.log_uniform: needs lo > 0, got 0")
      assert.has_error(function()
        quiet_sweep { space = { seed = { 1 } }, method = "grid", objective = "v", run = run }
      end, "mien.sweep: 'seed' is reserved: each trial gets cfg.seed from the seeds option")
    end)
  end)

  describe("bayes", function()
    -- Smooth 2-D objective with its maximum 0 at lr = 10^-3.3, dropout = 0.35.
    local function objective(cfg)
      return { score = -(math.log(cfg.lr, 10) + 3.3) ^ 2 - 4 * (cfg.dropout - 0.35) ^ 2 }
    end

    local function best_of(method, seed)
      return quiet_sweep {
        space = { lr = sweep.log_uniform(1e-5, 1e-1), dropout = sweep.uniform(0, 1) },
        method = method, trials = 15, seed = seed, objective = "score", run = objective,
      }.best.objective
    end

    it("beats random search on a smooth objective and gets near the optimum", function()
      local bayes_total, random_total = 0, 0
      for seed = 1, 4 do
        local b = best_of("bayes", seed)
        assert.is_true(b > -0.05, "bayes best with seed " .. seed .. ": " .. b)
        bayes_total, random_total = bayes_total + b, random_total + best_of("random", seed)
      end
      assert.is_true(bayes_total > random_total, string.format("bayes %g vs random %g", bayes_total, random_total))
    end)

    it("minimises over mixed choice, integer and continuous dimensions", function()
      local r = quiet_sweep {
        space = { opt = { "sgd", "adam", "rmsprop" }, layers = sweep.int_uniform(1, 5), x = sweep.uniform(0, 1) },
        method = "bayes", trials = 20, seed = 2, objective = "loss", mode = "min",
        run = function(cfg)
          return { loss = (cfg.layers - 2) ^ 2 + (cfg.opt == "adam" and 0 or 1) + (cfg.x - 0.7) ^ 2 }
        end,
      }
      assert.is_true(r.best.objective < 0.05, "best loss " .. r.best.objective)
      assert.are.equal("adam", r.best.config.opt)
      assert.are.equal(2, r.best.config.layers)
    end)

    it("resumes from the trials on disk and feeds them to the GP", function()
      local calls = 0
      local function run_sweep(trials)
        return quiet_sweep {
          space = { lr = sweep.log_uniform(1e-5, 1e-1), dropout = sweep.uniform(0, 1) },
          method = "bayes", trials = trials, seed = 1, objective = "score", dir = dir,
          run = function(cfg)
            calls = calls + 1
            return objective(cfg)
          end,
        }
      end
      local first = run_sweep(8)
      assert.are.equal(8, calls)
      local second = run_sweep(16)
      assert.are.equal(16, calls)
      assert.are.same(first.trials[8].config, second.trials[8].config)
      assert.is_true(second.best.objective > -0.05)
      assert.are.equal(16, #lines(read_file_or_nil(dir .. "/results.jsonl")))
    end)
  end)

  describe("directory", function()
    it("writes trial files, results.jsonl, results.csv and report.html", function()
      quiet_sweep {
        space = { lr = sweep.log_uniform(1e-4, 1e-1), opt = { "sgd", "adam" } },
        method = "random", trials = 4, seeds = 2, objective = "acc", dir = dir, title = "lr <sweep>",
        run = function(cfg)
          return { acc = 1 / (1 + math.abs(math.log(cfg.lr, 10) + 2)) + cfg.seed / 100 }
        end,
      }
      for i = 1, 4 do
        local record = json.decode(read_file_or_nil(string.format("%s/trials/%04d.json", dir, i)))
        assert.are.equal("ok", record.status)
        assert.are.equal(2, #record.runs)
      end
      assert.are.equal(4, #lines(read_file_or_nil(dir .. "/results.jsonl")))
      local csv = lines(read_file_or_nil(dir .. "/results.csv"))
      assert.are.equal("id,status,lr,opt,acc,acc_std,seconds,error", csv[1])
      assert.are.equal(5, #csv)
      local html = read_file_or_nil(dir .. "/report.html")
      assert.matches("lr &lt;sweep&gt;", html, 1, true)
      assert.matches("acc vs lr", html, 1, true)
    end)

    it("refuses to resume a different sweep in the same dir", function()
      local function run_with(space)
        return quiet_sweep {
          space = space, method = "grid", objective = "v", dir = dir,
          run = function()
            return { v = 1 }
          end,
        }
      end
      run_with { x = { 1, 2 } }
      assert.has_error(function()
        run_with { x = { 1, 3 } }
      end)
    end)

    it("prints progress, the ranked table and the best configuration", function()
      local script = dir .. "/print.lua"
      write_file(script, [[
        local sweep = require "mien.sweep"
        sweep { space = { x = { 1, 2 } }, method = "grid", objective = "v", run = function(cfg)
          return { v = cfg.x / 10 }
        end }
      ]])
      local code, text = run_script(script)
      assert.are.equal(0, code, text)
      assert.matches("%[sweep 1/2%] trial 0001  v 0%.1 ± 0  x=1\n", text)
      assert.matches("rank%s+trial%s+v %(mean ± std%)%s+x%s+status\n", text)
      assert.matches("1%s+0002%s+0%.2 ± 0%s+2%s+ok\n", text)
      assert.matches("best: trial 0002  v = 0%.2 ± 0 over 1 seed%(s%)  x=2\n", text)
    end)
  end)

  describe("workers", function()
    it("runs 6 trials in 2 parallel worker processes", function()
      local code, output = run_script(sweep_script(dir, 2, "0.2"))
      assert.are.equal(0, code, output)
      assert.are.equal(6, #lines(read_file_or_nil(dir .. "/calls.log")))
      for i = 1, 6 do
        local record = json.decode(read_file_or_nil(string.format("%s/out/trials/%04d.json", dir, i)))
        assert.are.equal("ok", record.status)
      end
      assert.are.equal(7, #lines(read_file_or_nil(dir .. "/out/results.csv")))
      assert.matches("^%d%d%d%d 6\n$", read_file_or_nil(dir .. "/done.log"))
      -- at most, and at some point exactly, 2 trials ran at once
      local running, most = 0, 0
      for _, event in ipairs(lines(read_file_or_nil(dir .. "/events.log"))) do
        running = running + (event:match("^start") and 1 or -1)
        most = math.max(most, running)
      end
      assert.are.equal(2, most)
    end)

    it("records a worker that dies as failed and retries it on resume", function()
      local script = sweep_script(dir, 2, "0")
      local code, output = run_script(script, "DIE_ON=0002")
      assert.are.equal(0, code, output)
      local failed = json.decode(read_file_or_nil(dir .. "/out/trials/0002.json"))
      assert.are.equal("failed", failed.status)
      assert.matches("worker exited with status 4", failed.error)
      code, output = run_script(script)
      assert.are.equal(0, code, output)
      local calls = lines(read_file_or_nil(dir .. "/calls.log"))
      table.sort(calls)
      assert.are.same({ "0001", "0002", "0003", "0004", "0005", "0006" }, calls)
    end)
  end)

  describe("resume", function()
    it("continues a killed sweep without repeating finished trials", function()
      local script = sweep_script(dir, 1, "0")
      local code = run_script(script, "CRASH_AFTER=3")
      assert.are.equal(3, code)
      assert.are.same({ "0001", "0002", "0003" }, lines(read_file_or_nil(dir .. "/calls.log")))
      assert.are.equal(3, #lines(read_file_or_nil(dir .. "/out/results.jsonl")))
      assert.is_nil(read_file_or_nil(dir .. "/done.log"))
      local output
      code, output = run_script(script)
      assert.are.equal(0, code, output)
      assert.are.same({ "0001", "0002", "0003", "0004", "0005", "0006" }, lines(read_file_or_nil(dir .. "/calls.log")))
      assert.are.equal(6, #lines(read_file_or_nil(dir .. "/out/results.jsonl")))
      assert.matches("^%d%d%d%d 6\n$", read_file_or_nil(dir .. "/done.log"))
    end)
  end)
end)
