local plot = require "mien.plot"
local ticks = require "mien.plot.ticks"
local H = require "spec.support.helpers"

local count, tmpdir = H.count, H.tmpdir

local function labels(axis)
  local out = {}
  for i, t in ipairs(axis.ticks) do
    out[i] = t.label
  end
  return out
end

-- Every number in the path data of class="series" paths.
local function path_numbers(svg)
  local out = {}
  for d in svg:gmatch('<path class="series" d="([^"]*)"') do
    for n in d:gmatch("[-%d.e]+") do
      out[#out + 1] = tonumber(n)
    end
  end
  return out
end

describe("mien.plot", function()
  describe("ticks", function()
    it("steps by 1, 2 or 5 times a power of ten", function()
      assert.are.same({ "0.0", "0.2", "0.4", "0.6", "0.8", "1.0" }, labels(ticks.linear(0, 1)))
      assert.are.same({ "0", "2000", "4000", "6000", "8000", "10000" }, labels(ticks.linear(0, 9000)))
      assert.are.same({ "-1.0", "-0.5", "0.0", "0.5", "1.0" }, labels(ticks.linear(-1, 1)))
    end)

    it("widens the domain to the outer ticks", function()
      local a = ticks.linear(0.013, 0.0871)
      assert.are.equal(0.01, a.lo)
      assert.is_true(math.abs(a.hi - 0.09) < 1e-12)
      assert.are.equal(0, a:fraction(a.lo))
      assert.are.equal(1, a:fraction(a.hi))
    end)

    it("puts log ticks on decades", function()
      local a = ticks.log(1e-5, 1e-2)
      assert.are.same({ "1e-5", "1e-4", "1e-3", "1e-2" }, labels(a))
      assert.are.equal(-5, a.lo)
      assert.are.equal(-2, a.hi)
      assert.is_true(math.abs(a:fraction(1e-3) - 2 / 3) < 1e-12)
      assert.are.same({ "1", "10", "100" }, labels(ticks.log(2, 50)))
    end)

    it("thins out decades on wide log ranges", function()
      assert.are.same({ "1e-12", "1e-9", "1e-6", "1e-3", "1e0", "1e3", "1e6" }, labels(ticks.log(1e-12, 1e5)))
    end)

    it("widens a degenerate range instead of dividing by zero", function()
      local a = ticks.linear(3, 3)
      assert.is_true(a.lo < 3 and a.hi > 3)
      assert.are.same({ "-1.0", "-0.5", "0.0", "0.5", "1.0" }, labels(ticks.linear(0, 0)))
      local l = ticks.log(100, 100)
      assert.are.same({ "10", "100", "1000" }, labels(l))
    end)

    it("ignores non-finite values and falls back to [0, 1] without data", function()
      local a = ticks.for_values({ 0 / 0, 2, math.huge, 4 })
      assert.are.same({ "2.0", "2.5", "3.0", "3.5", "4.0" }, labels(a))
      assert.are.same({ "0.0", "0.2", "0.4", "0.6", "0.8", "1.0" }, labels(ticks.for_values({ 0 / 0 })))
      assert.are.same({ "0.01", "0.1", "1" }, labels(ticks.for_values({ -1, 0, 0.05, 0.5 }, { log = true })))
    end)
  end)

  describe("lines", function()
    local svg = plot.lines {
      title = "Loss <train & val>",
      xlabel = "epoch",
      ylabel = "loss",
      series = {
        { name = "train <a>", x = { 1, 2, 3, 4 }, y = { 1.0, 0.6, 0.4, 0.3 } },
        { name = "val", y = { 1.1, 0.8, 0.7, 0.65 } },
      },
    }

    it("is an SVG document with one path per series and a legend", function()
      assert.matches("^<svg ", svg)
      assert.matches(' xmlns="http://www.w3.org/2000/svg"', svg, 1, true)
      assert.matches("</svg>\n$", svg)
      assert.are.equal(2, count(svg, '<path class="series"'))
      assert.matches('<g class="legend">', svg)
      assert.matches("#1f77b4", svg)
      assert.matches("#ff7f0e", svg)
    end)

    it("escapes XML in labels", function()
      assert.matches("Loss &lt;train &amp; val&gt;", svg, 1, true)
      assert.matches("train &lt;a&gt;", svg, 1, true)
      assert.is_nil(svg:find("<train", 1, true))
      assert.is_nil(svg:find("& ", 1, true))
    end)

    it("draws a constant series without NaN coordinates", function()
      local s = plot.lines { series = { { y = { 5, 5, 5 } } } }
      local numbers = path_numbers(s)
      assert.are.equal(6, #numbers)
      for _, n in ipairs(numbers) do
        assert.is_true(n == n and n > -1e6 and n < 1e6)
      end
      assert.is_nil(s:find("nan", 1, true))
      assert.is_nil(s:find("inf", 1, true))
    end)

    it("skips NaN values by breaking the line", function()
      local s = plot.lines { series = { { y = { 1, 2, 0 / 0, 4, 5 } } } }
      local d = s:match('<path class="series" d="([^"]*)"')
      assert.are.equal(2, count(d, "M"))
      assert.are.equal(2, count(d, "L"))
      assert.is_nil(s:find("nan", 1, true))
    end)

    it("marks a lone point between gaps with a dot", function()
      local s = plot.lines { series = { { y = { 1, 0 / 0, 3, 0 / 0, 5, 6 } } } }
      assert.are.equal(2, count(s, "<circle"))
    end)

    it("supports log y axes and skips non-positive values there", function()
      local s = plot.lines { logy = true, series = { { name = "lr", y = { 1e-2, 1e-3, 0, 1e-5 } } } }
      assert.matches(">1e%-5</text>", s)
      assert.matches(">1e%-2</text>", s)
      assert.are.equal(2, count(s:match('d="([^"]*)"'), "M"))
    end)

    it("accepts values with :totable()", function()
      local y = { totable = function()
        return { 1, 2, 3 }
      end }
      assert.are.equal(1, count(plot.lines { series = { { y = y } } }, '<path class="series"'))
    end)

    it("validates its arguments", function()
      assert.has_error(function()
        plot.lines { series = {} }
      end, "plot.lines: series must be a non-empty array of {name=, x=, y=}")
      assert.has_error(function()
        plot.lines { series = { { x = { 1, 2 }, y = { 1 } } } }
      end, "plot.lines: series[1].x has 2 values but series[1].y has 1")
      assert.has_error(function()
        plot.lines { series = { { y = { 1, "a" } } } }
      end, "plot.lines: series[1].y[2] = a is not a number")
    end)
  end)

  describe("scatter", function()
    it("draws points on a log x axis", function()
      local s = plot.scatter {
        title = "val_acc vs lr", logx = true,
        series = { { name = "val_acc", x = { 1e-5, 3e-4, 1e-3, 1e-2 }, y = { 0.3, 0.6, 0.7, 0.5 } } },
      }
      assert.are.equal(4, count(s, '<circle class="point"'))
      assert.matches(">1e%-5</text>", s)
    end)

    it("puts non-numeric x values on a categorical axis", function()
      local s = plot.scatter { series = { { x = { "sgd", "adam", "adam" }, y = { 0.3, 0.6, 0.7 } } } }
      assert.are.equal(3, count(s, '<circle class="point"'))
      assert.matches(">adam</text>", s)
      assert.matches(">sgd</text>", s)
    end)
  end)

  describe("roc", function()
    it("draws the curves, the chance diagonal and the AUC in the legend", function()
      local s = plot.roc { curves = {
        { name = "happy", fpr = { 0, 0.1, 1 }, tpr = { 0, 0.8, 1 }, auc = 0.85 },
        { name = "sad", fpr = { 0, 0.5, 1 }, tpr = { 0, 0.5, 1 } },
      } }
      assert.are.equal(2, count(s, '<path class="series"'))
      assert.matches('<path class="diagonal"', s)
      assert.matches("happy %(AUC 0%.850%)", s)
      assert.matches("false positive rate", s)
    end)
  end)

  describe("heatmap", function()
    it("draws one coloured cell with its value per entry", function()
      local s = plot.heatmap {
        title = "Confusion",
        matrix = { { 50, 2 }, { 4, 40 } },
        row_labels = { "neutral", "happy & co" },
        col_labels = { "neutral", "happy & co" },
      }
      assert.are.equal(4, count(s, '<rect class="cell"'))
      assert.matches(">50</text>", s)
      assert.matches(">4</text>", s)
      assert.matches("happy &amp; co", s, 1, true)
    end)

    it("formats values with fmt and survives a constant matrix", function()
      local s = plot.heatmap { matrix = { { 0.5, 0.5 }, { 0.5, 0.5 } }, fmt = "%.2f" }
      assert.are.equal(4, count(s, ">0%.50</text>"))
      assert.is_nil(s:find("nan", 1, true))
    end)

    it("checks label counts", function()
      assert.has_error(function()
        plot.heatmap { matrix = { { 1, 2 }, { 3, 4 } }, row_labels = { "a" } }
      end, "plot.heatmap: row_labels must be an array of 2 labels")
    end)
  end)

  describe("save", function()
    it("writes the file atomically", function()
      local dir = tmpdir()
      local path = dir .. "/chart.svg"
      local svg = plot.lines { series = { { y = { 1, 2 } } } }
      assert.are.equal(path, plot.save(svg, path))
      assert.are.equal(svg, H.read_file(path))
      assert.is_nil(io.open(path .. ".tmp"))
      H.remove_dir(dir)
    end)

    it("refuses something that is not SVG", function()
      assert.has_error(function()
        plot.save("hello", "/tmp/x.svg")
      end, "plot.save: expected an SVG string as the first argument")
    end)
  end)
end)
