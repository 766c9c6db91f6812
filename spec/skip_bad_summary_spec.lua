-- skip_bad says what it skipped: the data set's summary (tostring) counts the
-- files that did not decode and names them (the first five), also when the
-- set comes back from its cache.
local H = require "spec.support.helpers"
local mien = require "mien"

describe("the summary of a data set loaded with skip_bad", function()
  local root = H.tmpdir()
  teardown(function() H.remove_dir(root) end)
  local ds_faces = mien.data.synthetic_faces { n = 7, size = 8 }
  local function good(path, i) mien.image.write(path, ds_faces.images[i]:contiguous()) end

  it("counts and names the skipped files", function()
    H.mkdir(root .. "/one/happy")
    H.mkdir(root .. "/one/sad")
    good(root .. "/one/happy/1.png", 1)
    good(root .. "/one/sad/1.png", 2)
    H.write_file(root .. "/one/sad/2.png", "this is not a PNG")
    local ds = mien.data.image_folder(root .. "/one", { skip_bad = true })
    assert.are.equal("Dataset: 2 images 8x8x1, classes {happy=1, sad=1}; skipped 1 file that does not decode: "
      .. root .. "/one/sad/2.png", tostring(ds))
  end)

  it("names the first five of many, says how many more, and keeps them through the cache", function()
    H.mkdir(root .. "/many/x")
    good(root .. "/many/x/0.png", 1)
    for i = 1, 7 do H.write_file(string.format("%s/many/x/bad%d.png", root, i), "junk") end
    local cache = root .. "/many.safetensors"
    local s = tostring(mien.data.image_folder(root .. "/many", { skip_bad = true, cache = cache }))
    assert.truthy(s:find("; skipped 7 files that do not decode: " .. root .. "/many/x/bad1.png, ", 1, true), s)
    assert.truthy(s:find(root .. "/many/x/bad5.png (+2 more)", 1, true), s)
    assert.falsy(s:find("bad6", 1, true), s)
    local again = mien.data.image_folder(root .. "/many", { skip_bad = true, cache = cache })
    assert.is_true(again.cache_hit)
    assert.are.equal(s, tostring(again))
  end)

  it("says nothing of skipping when nothing was skipped", function()
    local s = tostring(mien.data.synthetic_faces { n = 7, size = 8 })
    assert.falsy(s:find("skipped", 1, true), s)
  end)
end)
