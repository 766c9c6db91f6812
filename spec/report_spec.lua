local report = require "mien.report"
local H = require "spec.support.helpers"

local tmpdir, read_file, count = H.tmpdir, H.read_file, H.count

local CHROMIUM = "/usr/bin/chromium"

local function history()
  local h = {}
  for epoch = 1, 6 do
    h[epoch] = {
      epoch = epoch,
      train_loss = 1 / epoch,
      train_acc = 1 - 0.5 / epoch,
      lr = 1e-3 * 0.5 ^ (epoch - 1),
    }
    -- validation every other epoch: still drawn as one line
    if epoch % 2 == 0 then
      h[epoch].val_loss = 1.2 / epoch
      h[epoch].val_acc = 1 - 0.6 / epoch
    end
  end
  return h
end

local function run_report(dir)
  return report.run {
    dir = dir,
    title = "FER <baseline> & friends",
    config = { lr = 0.001, batch = 32, model = { name = "resnet<18>", layers = 18 }, augment = { "flip", "crop" } },
    history = history(),
    metrics = { accuracy = 0.8125, macro_f1 = 0.79, per_class_f1 = { 0.9, 0.7 } },
    confusion = { matrix = { { 40, 10 }, { 5, 45 } }, classes = { "neutral", "happy" } },
    roc = { curves = { { name = "happy", fpr = { 0, 0.1, 1 }, tpr = { 0, 0.9, 1 }, auc = 0.94 } } },
  }
end

local function trial(id, lr, opt, objective, std)
  return {
    id = id, status = "ok", config = { lr = lr, optimizer = opt }, objective = objective, objective_std = std,
    runs = {
      { seed = 1, result = { val_acc = objective - std } },
      { seed = 2, result = { val_acc = objective + std } },
    },
  }
end

local function sweep_trials()
  return {
    trial("0001", 1e-5, "sgd", 0.41, 0.02),
    trial("0002", 1e-3, "adam", 0.83, 0.01),
    trial("0003", 3e-4, "adam", 0.77, 0.03),
    { id = "0004", status = "failed", config = { lr = 1e-2, optimizer = "sgd" }, error = "loss is <nan>", runs = {} },
  }
end

describe("mien.report", function()
  local dir

  before_each(function()
    dir = tmpdir()
  end)

  after_each(function()
    H.remove_dir(dir)
  end)

  describe("run", function()
    it("writes dir/report.html with the charts inline", function()
      local path = run_report(dir .. "/nested")
      assert.are.equal(dir .. "/nested/report.html", path)
      local html = read_file(path)
      assert.matches("^<!DOCTYPE html>", html)
      assert.matches("<style>", html)
      -- loss, accuracy, lr, two confusion heatmaps, ROC
      assert.are.equal(6, count(html, "<svg "))
      assert.are.equal(2 + 2 + 1 + 1, count(html, '<path class="series"'))
      assert.are.equal(8, count(html, '<rect class="cell"'))
      assert.matches('<path class="diagonal"', html)
    end)

    it("lists the configuration and the final metrics, escaped", function()
      local html = read_file(run_report(dir))
      assert.matches("<td>model.name</td>\n<td>resnet&lt;18&gt;</td>", html, 1, true)
      assert.matches("<td>augment</td>\n<td>flip, crop</td>", html, 1, true)
      assert.matches('<td>lr</td>\n<td class="num">0.001</td>', html, 1, true)
      assert.matches('<td>accuracy</td>\n<td class="num">0.8125</td>', html, 1, true)
      assert.matches("<title>FER &lt;baseline&gt; &amp; friends</title>", html, 1, true)
      assert.is_nil(html:find("resnet<18>", 1, true))
    end)

    it("includes the classification report text", function()
      local html = read_file(run_report(dir))
      assert.matches("<pre>[^<]*precision%s+recall%s+f1%-score%s+support", html)
      assert.matches("happy%s+0%.82%s+0%.90%s+0%.86%s+50", html)
    end)

    it("uses a log axis for a decaying learning rate", function()
      local html = read_file(run_report(dir))
      assert.matches(">1e%-5</text>", html)
    end)

    it("needs only dir", function()
      local html = read_file(report.run { dir = dir })
      assert.matches("<h1>mien report</h1>", html, 1, true)
      assert.has_error(function()
        report.run { title = "x" }
      end, "report.run: dir must be a directory path")
    end)
  end)

  describe("sweep", function()
    local function sweep_report()
      return read_file(report.sweep {
        dir = dir, title = "lr sweep", trials = sweep_trials(), objective = "val_acc", mode = "max",
      })
    end

    it("ranks trials best first with mean ± std and shows failures", function()
      local html = sweep_report()
      local first = html:find("<td>0002</td>", 1, true)
      local second = html:find("<td>0003</td>", 1, true)
      local third = html:find("<td>0001</td>", 1, true)
      local failed = html:find("<td>0004</td>", 1, true)
      assert.is_true(first < second and second < third and third < failed)
      assert.matches("0.83 ± 0.01", html, 1, true)
      assert.matches("failed: loss is &lt;nan&gt;", html, 1, true)
      assert.matches('<tr class="best">', html, 1, true)
    end)

    it("shows the best configuration with per-seed values", function()
      local html = sweep_report()
      local best = html:match("<h2>Best configuration</h2>(.-)</section>")
      assert.matches("0.83 ± 0.01", best, 1, true)
      assert.matches("seed 1: 0.82; seed 2: 0.84", best, 1, true)
      assert.matches("<td>optimizer</td>\n<td>adam</td>", best, 1, true)
    end)

    it("plots progress and the objective against each hyper-parameter", function()
      local html = sweep_report()
      assert.are.equal(3, count(html, "<svg "))
      assert.matches("val_acc vs lr", html, 1, true)
      assert.matches("val_acc vs optimizer", html, 1, true)
      -- 3 successful trials in each of the 2 scatter plots
      assert.are.equal(6, count(html, '<circle class="point"'))
      -- lr spans 2 decades: log axis
      assert.matches(">1e%-5</text>", html)
    end)

    it("sorts ascending for mode = min", function()
      local html = read_file(report.sweep { dir = dir, trials = sweep_trials(), objective = "val_acc", mode = "min" })
      assert.is_true(html:find("<td>0001</td>", 1, true) < html:find("<td>0002</td>", 1, true))
    end)

    it("validates its options", function()
      assert.has_error(function()
        report.sweep { dir = dir, trials = {}, objective = "val_acc", mode = "up" }
      end, 'report.sweep: mode must be "max" or "min"')
    end)
  end)

  describe("in headless Chromium", function()
    it("renders the svg elements", function()
      if not io.open(CHROMIUM) then
        pending("chromium not installed")
        return
      end
      local path = run_report(dir)
      local profile = dir .. "/profile"
      local command = table.concat({
        "timeout 60", CHROMIUM, "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run",
        "--disable-background-networking --disable-component-update --disable-sync",
        "--user-data-dir='" .. profile .. "'", "--dump-dom", "'file://" .. path .. "'", "2>/dev/null",
      }, " ")
      local p = io.popen(command)
      local dom = p:read("a")
      p:close()
      assert.are.equal(6, count(dom, "<svg "))
      assert.are.equal(6, count(dom, '<path class="series"'))
      assert.matches("<title>FER &lt;baseline&gt; &amp; friends</title>", dom, 1, true)
    end)
  end)
end)
