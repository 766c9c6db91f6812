-- mien.video: videos written by the writer come back with their frames,
-- timestamps and (lossily) pixels; damaged, truncated and missing files are
-- errors naming the file (and the frame while reading); the writer replaces
-- its file atomically. Needs a build with libav (cmake/video.cmake).
local mien = require "mien"
local video = require "mien.video"
local H = require "spec.support.helpers"

-- Frame k of a test clip: a gradient that moves with k.
local function frame(k, h, w)
  local t = {}
  for y = 1, h do
    local row = {}
    for x = 1, w do row[x] = { (3 * x + 10 * k) % 256, (4 * y) % 256, (20 * k) % 256 } end
    t[y] = row
  end
  return mien.tensor(t, { dtype = "uint8" })
end

local function write_clip(path, n, opts)
  local w <close> = video.writer(path, opts or { fps = 10 })
  for k = 1, n do w:write(frame(k, 48, 64)) end
end

describe("mien.video", function()
  if not video.available() then
    it("is built with libav", function() pending("built without libav: install scripts/deps/video.txt") end)
    return
  end
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.remove_dir(dir) end)

  for _, ext in ipairs { "mp4", "avi", "mkv" } do
    it("reads back what the writer wrote (" .. ext .. ")", function()
      local path = dir .. "/clip." .. ext
      write_clip(path, 7, { fps = 10, quality = 2 })
      local r = video.open(path)
      assert.are.same({ 64, 48 }, { r.width, r.height })
      assert.is_true(math.abs(r.fps - 10) < 1e-9)
      local n = 0
      for f, t, i in r:frames() do
        n = n + 1
        assert.are.equal(n, i)
        assert.are.same({ 48, 64, 3 }, f:shape())
        assert.are.equal("uint8", f:dtype())
        assert.is_true(math.abs(t - (i - 1) / 10) < 1e-3, "time of frame " .. i)
        local diff = (f:float() - frame(i, 48, 64):float()):abs():mean():item()
        assert.is_true(diff < 6, string.format("frame %d differs by %.2f", i, diff))
      end
      assert.are.equal(7, n)
      assert.is_nil(r.handle) -- the iteration closed it
    end)
  end

  it("writes grey frames as RGB and leaves no temporary file", function()
    local path = dir .. "/grey.mp4"
    local w = video.writer(path, { fps = 5 })
    w:write(mien.full({ 32, 32 }, 200, { dtype = "uint8" }))
    w:write(mien.full({ 32, 32, 1 }, 50, { dtype = "uint8" }))
    assert.is_false(H.exists(path)) -- not in place before close
    w:close()
    local p = io.popen("ls " .. H.shell_quote(dir))
    assert.are.equal("grey.mp4", p:read("a"):gsub("%s+$", ""))
    p:close()
    local values = {}
    for f in video.frames(path) do values[#values + 1] = f:float():mean():item() end
    assert.are.equal(2, #values)
    assert.is_true(math.abs(values[1] - 200) < 3 and math.abs(values[2] - 50) < 3)
  end)

  it("aborts on an error inside a <close> block, leaving no file", function()
    local path = dir .. "/aborted.mp4"
    local ok = pcall(function()
      local w <close> = video.writer(path)
      w:write(frame(1, 48, 64))
      error("stop")
    end)
    assert.is_false(ok)
    local p = io.popen("ls -A " .. H.shell_quote(dir))
    assert.are.equal("", p:read("a"))
    p:close()
  end)

  it("names the file and the frame for a truncated file", function()
    local path = dir .. "/clip.avi"
    write_clip(path, 10)
    local bytes = H.read_file(path)
    local cut = dir .. "/cut.avi"
    H.write_file(cut, bytes:sub(1, math.floor(#bytes * 0.9)))
    local ok, err = pcall(function()
      for _ in video.frames(cut) do end
    end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find(cut, 1, true), tostring(err))
    assert.truthy(tostring(err):find("frame %d"), tostring(err))
    -- a cut .mp4 (index at the end) cannot even be opened
    write_clip(dir .. "/clip.mp4", 10)
    bytes = H.read_file(dir .. "/clip.mp4")
    H.write_file(dir .. "/cut.mp4", bytes:sub(1, #bytes // 2))
    ok, err = pcall(video.open, dir .. "/cut.mp4")
    assert.is_false(ok)
    assert.truthy(tostring(err):find(dir .. "/cut.mp4", 1, true), tostring(err))
  end)

  it("errors on unreadable files and bad frames", function()
    H.write_file(dir .. "/text.mp4", "not a video at all")
    local ok, err = pcall(video.open, dir .. "/text.mp4")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("cannot open '" .. dir .. "/text.mp4'", 1, true), tostring(err))
    ok, err = pcall(video.open, dir .. "/missing.mkv")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("missing.mkv", 1, true))
    local w = video.writer(dir .. "/bad.mp4")
    ok, err = pcall(w.write, w, mien.zeros({ 4, 4, 3 }))
    assert.is_false(ok)
    assert.truthy(tostring(err):find("frame 0: expected a uint8 image", 1, true), tostring(err))
    ok, err = pcall(w.write, w, mien.zeros({ 33, 32, 3 }, { dtype = "uint8" }))
    assert.truthy(tostring(err):find("even", 1, true), tostring(err))
    w:abort()
    w = video.writer(dir .. "/size.mp4")
    w:write(mien.zeros({ 32, 32, 3 }, { dtype = "uint8" }))
    ok, err = pcall(w.write, w, mien.zeros({ 16, 32, 3 }, { dtype = "uint8" }))
    assert.truthy(tostring(err):find("frame 1: expected uint8 [32,32,3]", 1, true), tostring(err))
    w:abort()
    ok, err = pcall(video.writer, dir .. "/x.mp4", { fps = -1 })
    assert.truthy(tostring(err):find("fps", 1, true))
    w = video.writer(dir .. "/x.unknownext")
    ok, err = pcall(w.write, w, mien.zeros({ 32, 32, 3 }, { dtype = "uint8" }))
    assert.truthy(tostring(err):find("extension", 1, true), tostring(err))
  end)
end)
