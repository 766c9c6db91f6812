-- The report's history charts give images/s and seconds their own charts
-- (each with its own y axis) instead of one "Other metrics" axis.
local H = require "spec.support.helpers"
local report = require "mien.report"

-- The <svg> chart whose title is `title`, or nil.
local function chart(html, title)
  for svg in html:gmatch("<svg.-</svg>") do
    if svg:find(">" .. title .. "<", 1, true) then return svg end
  end
end

describe("report history charts", function()
  it("put images/s, seconds and the remaining metrics on separate axes", function()
    local dir = H.tmpdir()
    local history = {}
    for e = 1, 3 do
      history[e] = { epoch = e, train_loss = 1 / e, train_acc = 0.3 * e, lr = 1e-3, seconds = 20 + e,
        images_per_s = 1500 + 10 * e, grad_norm = 2.5 }
    end
    local html = H.read_file(report.run { dir = dir, title = "t", history = history })
    H.remove_dir(dir)
    local throughput, time, other = chart(html, "Throughput"), chart(html, "Time per epoch"), chart(html, "Other metrics")
    assert.truthy(throughput, "no Throughput chart")
    assert.truthy(time, "no Time per epoch chart")
    assert.truthy(other, "no Other metrics chart")
    assert.truthy(throughput:find("images_per_s", 1, true) and throughput:find("images/s", 1, true))
    assert.falsy(throughput:find(">seconds<", 1, true))
    assert.truthy(time:find(">seconds<", 1, true))
    assert.falsy(time:find("images_per_s", 1, true))
    assert.truthy(other:find("grad_norm", 1, true))
    assert.falsy(other:find("images_per_s", 1, true) or other:find(">seconds<", 1, true))
  end)
end)
