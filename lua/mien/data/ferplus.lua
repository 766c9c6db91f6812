--- FER+ (FERPlus): FER2013 relabelled by ten annotators. fer2013new.csv has
-- the columns Usage, Image name, neutral, happiness, surprise, sadness,
-- anger, disgust, fear, contempt, unknown, NF (vote counts), one row per
-- fer2013.csv row in the same order. The images come from fer2013.csv, or
-- from a folder of FERPlus's own PNGs (fer0000000.png ..., flat or in
-- FER2013Train/, FER2013Valid/, FER2013Test/).
local mien = require "mien"
local core = require "mien.core"
local layout = require "mien.data.layout"

local EXPECTED = "expected FERPlus's fer2013new.csv: Usage,Image name,neutral,happiness,surprise,sadness,anger,"
  .. "disgust,fear,contempt,unknown,NF"
local COLUMNS = { "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF" }
local EMOTIONS = 8 -- the first eight columns; unknown and NF follow
local USAGES = { "Training", "PublicTest", "PrivateTest" }
local FOLDERS = { Training = "FER2013Train", PublicTest = "FER2013Valid", PrivateTest = "FER2013Test" }

local function fail(fmt, ...) error("ferplus: " .. string.format(fmt, ...), 0) end

-- {usage = {{name=, votes={10 numbers}, line=}, ...}} in file order.
local function read_votes(path)
  local lines, err = layout.lines(path)
  if not lines then fail("cannot open '%s': %s (%s)", path, tostring(err), EXPECTED) end
  if #lines == 0 then fail("'%s' is empty (%s)", path, EXPECTED) end
  local header = layout.csv_fields(lines[1])
  if not header or #header < 12 or header[1] ~= "Usage" then
    fail("'%s' line 1 is not the header (%s)", path, EXPECTED)
  end
  local rows = {}
  for _, u in ipairs(USAGES) do rows[u] = {} end
  for i = 2, #lines do
    local line = lines[i]
    if line:match("%S") then
      local f = layout.csv_fields(line)
      if not f or #f ~= 12 then
        fail("'%s' line %d has %d fields, expected 12 (a truncated votes file?)", path, i, f and #f or 0)
      end
      if not rows[f[1]] then fail("'%s' line %d: Usage '%s' is not one of %s", path, i, f[1], table.concat(USAGES, ", ")) end
      local votes = {}
      for k = 1, 10 do
        local v = math.tointeger(tonumber(f[k + 2]))
        if not v or v < 0 then
          fail("'%s' line %d: the %s vote count '%s' is not a count", path, i, COLUMNS[k], f[k + 2])
        end
        votes[k] = v
      end
      if f[2] ~= "" and not layout.is_inside(f[2]) then fail("'%s' line %d: image name '%s' leaves the folder", path, i, f[2]) end
      table.insert(rows[f[1]], { name = f[2], votes = votes, line = i })
    end
  end
  return rows
end

-- The label (1-based column) of one row under mode, or nil to drop it;
-- columns counts 8 (emotions) or 10 (with unknown and NF).
local function label_of(votes, mode, columns)
  local total, best, best_k = 0, -1, nil
  for k = 1, 10 do
    total = total + votes[k]
    if votes[k] > best then best, best_k = votes[k], k end
  end
  if total == 0 or best_k > columns then return nil end
  if mode == "majority" then return best * 2 > total and best_k or nil end
  if mode == "soft" then
    local emotions = 0
    for k = 1, columns do emotions = emotions + votes[k] end
    if emotions == 0 then return nil end
  end
  return best_k
end

-- fer2013.csv's images by Usage, checked to align with the votes row for row.
local function csv_images(src, rows, votes_path)
  local parts = core.fer2013_csv(src)
  for _, usage in ipairs(USAGES) do
    local n = parts[usage] and parts[usage].images:size(1) or 0
    if n ~= #rows[usage] then
      fail("'%s' has %d %s rows, '%s' %d (the votes must align with fer2013.csv row for row; a truncated file?)",
        votes_path, #rows[usage], usage, src, n)
    end
  end
  return parts
end

--- FER+ as data sets by Usage (Training, PublicTest, PrivateTest), with
-- FER+ classes (neutral, happiness, surprise, sadness, anger, disgust, fear,
-- contempt), ds.votes float32 [N,10] (the raw counts, unknown and NF last)
-- and ds.targets float32 [N,C] (the vote shares over the classes: soft
-- targets for F.cross_entropy; a loader takes them with {targets = "targets"}).
-- Rows that unknown or NF win, and rows without an image name, are dropped.
-- @string src fer2013.csv (plain or gzip) or a folder of FERPlus's PNGs
-- @string votes_csv fer2013new.csv
-- @tparam[opt] table opts mode ("majority": the class with more than half
--   the votes, rows without one dropped; "plurality": the most votes, ties to
--   the first column; "soft": labels are the most-voted class and training
--   uses ds.targets); keep_unknown (false): keep unknown and NF as classes;
--   size, channels, resize, cache for a folder source (as data.image_folder)
-- @treturn table {Training = Dataset, PublicTest = Dataset, PrivateTest = Dataset}
-- @usage local sets = mien.data.ferplus("fer2013.csv", "fer2013new.csv", {mode = "soft"})
local function ferplus(src, votes_csv, opts)
  opts = opts or {}
  local mode = opts.mode or "majority"
  if mode ~= "majority" and mode ~= "plurality" and mode ~= "soft" then
    error("ferplus: mode must be 'majority', 'plurality' or 'soft', got '" .. tostring(mode) .. "'", 2)
  end
  if not layout.is_dir(src) and not layout.is_file(src) then
    error(string.format("ferplus: '%s' is neither fer2013.csv nor a folder of FERPlus images", src), 2)
  end
  local columns = opts.keep_unknown and 10 or EMOTIONS
  local classes = table.move(COLUMNS, 1, columns, 1, {})
  local ok, result = pcall(function()
    local rows = read_votes(votes_csv)
    local parts = not layout.is_dir(src) and csv_images(src, rows, votes_csv) or nil
    local out = {}
    for _, usage in ipairs(USAGES) do
      local list = rows[usage]
      local from_csv = parts and parts[usage] and parts[usage].images
      local keep, labels, targets, votes, files = {}, {}, {}, {}, {}
      for i, row in ipairs(list) do
        local y = row.name ~= "" and label_of(row.votes, mode, columns) or nil
        if y then
          local sum = 0
          for k = 1, columns do sum = sum + row.votes[k] end
          local t = {}
          for k = 1, columns do t[k] = row.votes[k] / sum end
          keep[#keep + 1], labels[#labels + 1], targets[#targets + 1], votes[#votes + 1] = i, y, t, row.votes
          if not from_csv then
            local flat = layout.join(src, row.name)
            local nested = layout.join(layout.join(src, FOLDERS[usage]), row.name)
            files[#files + 1] = layout.is_file(nested) and nested or flat
          end
        end
      end
      if #keep > 0 then
        local ds
        if from_csv then
          ds = require("mien.data.dataset").new { images = from_csv:index_select(1,
            mien.tensor(keep, { dtype = "int64" })):contiguous(), labels = mien.tensor(labels, { dtype = "int64" }),
            classes = classes }
        else
          local o = {}
          for k, v in pairs(opts) do o[k] = v end
          o.size, o.channels, o.root, o.source = opts.size or 48, opts.channels or 1, src, src
          ds = require("mien.data").from_files(files, labels, classes, o)
          if ds.skipped > 0 then fail("%d images could not be decoded (first: %s)", ds.skipped, ds.skipped_files[1]) end
        end
        ds.votes = mien.tensor(votes, { dtype = "float32" })
        ds.targets = mien.tensor(targets, { dtype = "float32" })
        ds.dropped = #list - #keep
        ds.extras = { "votes", "targets" }
        out[usage] = ds
      end
    end
    return out
  end)
  if not ok then error(result, 2) end
  if next(result) == nil then error(string.format("ferplus: no usable rows in '%s' (%s)", votes_csv, EXPECTED), 2) end
  return result
end

return ferplus
