--- RAF-DB (Real-world Affective Faces, basic emotions) in its release layout:
--   EmoLabel/list_patition_label.txt   lines "train_00001.jpg 5" (1..7)
--   Image/aligned/train_00001_aligned.jpg   100x100 aligned faces
--   Image/original/train_00001.jpg          the original crops
-- The split is in the file names (train_*, test_*).
local layout = require "mien.data.layout"

local EXPECTED = "expected the RAF-DB basic release: EmoLabel/list_patition_label.txt, Image/aligned/"
-- The release's label numbers 1..7.
local CLASSES = { "surprise", "fear", "disgust", "happiness", "sadness", "anger", "neutral" }

--- RAF-DB (basic) as {train = Dataset, test = Dataset}, split by the file
-- names, classes surprise, fear, disgust, happiness, sadness, anger,
-- neutral (the release's 1..7).
-- @string dir the release folder (holding EmoLabel/ and Image/)
-- @tparam[opt] table opts aligned (true: Image/aligned/*_aligned.jpg; false:
--   Image/original/), size (100), channels (3), resize, skip_bad, cache (as
--   data.image_folder)
-- @treturn table {train = Dataset, test = Dataset}
-- @usage local raf = mien.data.rafdb("RAF-DB/basic"); print(raf.train, raf.test)
local function rafdb(dir, opts)
  opts = opts or {}
  if not layout.is_dir(dir) then error(string.format("rafdb: '%s' is not a directory (%s)", dir, EXPECTED), 2) end
  local list = layout.join(dir, "EmoLabel/list_patition_label.txt")
  local lines = layout.lines(list)
  if not lines then error(string.format("rafdb: no EmoLabel/list_patition_label.txt under %s (%s)", dir, EXPECTED), 2) end
  local aligned = opts.aligned ~= false
  local image_dir = layout.join(dir, aligned and "Image/aligned" or "Image/original")
  if not layout.is_dir(image_dir) then
    error(string.format("rafdb: no %s/ folder under %s (%s)", aligned and "Image/aligned" or "Image/original", dir,
      EXPECTED), 2)
  end
  local parts = { train = { files = {}, labels = {} }, test = { files = {}, labels = {} } }
  for i, line in ipairs(lines) do
    if line:match("%S") then
      local name, label = line:match("^%s*(%S+)%s+(%S+)%s*$")
      local y = math.tointeger(tonumber(label))
      if not name or not y then
        error(string.format("rafdb: '%s' line %d is not 'NAME LABEL': '%s'", list, i, line), 2)
      end
      if y < 1 or y > #CLASSES then
        error(string.format("rafdb: '%s' line %d: label %d is outside 1..7 (%s)", list, i, y,
          table.concat(CLASSES, ", ")), 2)
      end
      local split = name:match("^(%a+)_")
      if not parts[split] or not layout.is_inside(name) or name:find("/", 1, true) then
        error(string.format("rafdb: '%s' line %d: '%s' is not a train_*/test_* image name", list, i, name), 2)
      end
      local file = aligned and (name:gsub("%.[^.]+$", "") .. "_aligned.jpg") or name
      table.insert(parts[split].files, layout.join(image_dir, file))
      table.insert(parts[split].labels, y)
    end
  end
  local out = {}
  for split, p in pairs(parts) do
    if #p.files > 0 then
      local o = {}
      for k, v in pairs(opts) do o[k] = v end
      o.size, o.channels = opts.size or 100, opts.channels or 3
      o.root, o.source = image_dir, list .. ":" .. split
      out[split] = require("mien.data").from_files(p.files, p.labels, CLASSES, o)
    end
  end
  if next(out) == nil then error(string.format("rafdb: '%s' lists no images (%s)", list, EXPECTED), 2) end
  return out
end

return rafdb
