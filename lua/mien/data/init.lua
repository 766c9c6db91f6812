-- mien.data: data sets, splits, loaders and augmentation.
local mien = require "mien"
local core = require "mien.core"
local dataset = require "mien.data.dataset"
local split = require "mien.data.split"
local loader = require "mien.data.loader"

local data = {
  dataset = dataset.new,
  loader = loader.new,
  stratified_split = split.stratified,
  kfold = split.kfold,
  group_kfold = split.group_kfold,
  class_weights = split.class_weights,
  balance = split.balance,
  dedup_frames = split.dedup_frames,
}

-- Kaggle FER2013 order.
data.FER_CLASSES = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }

local function path_join(a, b) return a:sub(-1) == "/" and a .. b or a .. "/" .. b end

-- One sub-folder per class (sorted names), every image decoded in parallel
-- to size x size with `channels` channels. opts: size (default: the first
-- image's), channels (1), skip_bad (false), resize ("auto"|"bilinear"|"area").
function data.image_folder(dir, opts)
  opts = opts or {}
  if not core.is_dir(dir) then error("image_folder: '" .. dir .. "' is not a directory", 2) end
  local classes, files, labels = {}, {}, {}
  for _, name in ipairs(core.listdir(dir)) do
    local sub = path_join(dir, name)
    if core.is_dir(sub) then
      classes[#classes + 1] = name
      for _, f in ipairs(core.listdir(sub)) do
        if not core.is_dir(path_join(sub, f)) then
          files[#files + 1] = path_join(sub, f)
          labels[#labels + 1] = #classes
        end
      end
    end
  end
  if #files == 0 then error("image_folder: no images under '" .. dir .. "'", 2) end
  return data.from_files(files, labels, classes, opts)
end

-- Decode a list of files with known labels into a data set.
function data.from_files(files, labels, classes, opts)
  opts = opts or {}
  local channels = opts.channels or 1
  local h, w = opts.size, opts.size
  if type(opts.size) == "table" then h, w = opts.size[1], opts.size[2] end
  if not h then
    local first = core.image_load(files[1], channels)
    h, w = first:size(1), first:size(2)
  end
  local images, failed = core.image_load_batch(files, {
    height = h, width = w, channels = channels, skip_bad = opts.skip_bad, resize = opts.resize or "auto",
  })
  local ds = dataset.new {
    images = images, labels = mien.tensor(labels, { dtype = "int64" }), classes = classes, files = files,
    groups = opts.groups, sequences = opts.sequences,
  }
  if #failed > 0 then
    local bad, keep = {}, {}
    for _, i in ipairs(failed) do bad[i] = true end
    for i = 1, #files do if not bad[i] then keep[#keep + 1] = i end end
    ds = ds:subset(keep)
    ds.skipped = #failed
    ds.skipped_files = {}
    for _, i in ipairs(failed) do table.insert(ds.skipped_files, files[i]) end
  else
    ds.skipped = 0
  end
  return ds
end

-- The Kaggle CSV (emotion,pixels,Usage), plain or gzip: a table of data sets
-- by Usage (Training, PublicTest, PrivateTest).
function data.fer2013_csv(path)
  local parts = core.fer2013_csv(path)
  local out = {}
  for usage, p in pairs(parts) do
    out[usage] = dataset.new { images = p.images, labels = p.labels, classes = data.FER_CLASSES }
  end
  return out
end

-- A CSV with a header naming columns: opts.path (file column), opts.label,
-- opts.group (subject), opts.sequence; paths are relative to the CSV's folder.
function data.manifest(csv_path, opts)
  opts = opts or {}
  local f = assert(io.open(csv_path, "r"), "manifest: cannot open '" .. csv_path .. "'")
  local header = f:read("l")
  if not header then f:close(); error("manifest: '" .. csv_path .. "' is empty", 2) end
  local col = {}
  local k = 0
  for name in (header .. ","):gmatch("([^,]*),") do k = k + 1; col[name:gsub("^%s+", ""):gsub("%s+$", "")] = k end
  local pcol = col[opts.path or "path"]
  local lcol = col[opts.label or "label"]
  local gcol = opts.group ~= false and col[opts.group or "subject"] or nil
  local scol = col[opts.sequence or "sequence"]
  if not pcol or not lcol then
    f:close()
    error(string.format("manifest: '%s' has no column '%s' or '%s' (header: %s)", csv_path, opts.path or "path",
      opts.label or "label", header), 2)
  end
  local base = csv_path:match("^(.*)/") or "."
  local files, names, groups, sequences = {}, {}, {}, {}
  local line_no = 1
  for line in f:lines() do
    line_no = line_no + 1
    if line:match("%S") then
      local fields = {}
      for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
      if #fields < k then
        f:close()
        error(string.format("manifest: '%s' line %d has %d fields, expected %d", csv_path, line_no, #fields, k), 2)
      end
      files[#files + 1] = path_join(base, fields[pcol])
      names[#names + 1] = fields[lcol]
      if gcol then groups[#groups + 1] = fields[gcol] end
      if scol then sequences[#sequences + 1] = fields[gcol] and (fields[gcol] .. "/" .. fields[scol]) or fields[scol] end
    end
  end
  f:close()
  -- classes: numeric labels keep their order, names are sorted
  local classes, index = {}, {}
  for _, n in ipairs(names) do if not index[n] then index[n] = true; classes[#classes + 1] = n end end
  table.sort(classes, function(a, b)
    local x, y = tonumber(a), tonumber(b)
    if x and y then return x < y end
    return a < b
  end)
  for i, c in ipairs(classes) do index[c] = i end
  if opts.classes then
    classes = opts.classes
    for i, c in ipairs(classes) do index[c] = i end
  end
  local labels = {}
  for i, n in ipairs(names) do labels[i] = index[n] end
  opts.groups = gcol and groups or nil
  opts.sequences = scol and sequences or nil
  return data.from_files(files, labels, classes, opts)
end

-- Parametric grey faces for the seven basic expressions (FER order), drawn in C.
function data.synthetic_faces(opts)
  opts = opts or {}
  local images, labels = core.synthetic_faces(opts.n or 1000, opts.size or 48, opts.seed or 0)
  return dataset.new { images = images, labels = labels, classes = data.FER_CLASSES }
end

-- The augmentation spec used by loaders: a plain table, checked in C.
-- rotation (degrees), shear (degrees), zoom {lo,hi}, shift (fraction),
-- flip (probability), brightness, contrast {lo,hi}, erase (probability),
-- size (n or {h,w}), channels (1|3), mean/std (number or per channel).
function data.augment(spec) return spec or {} end

-- A grid of augmented samples as a PNG, to see what the network sees.
function data.preview(ds, aug, path, opts)
  opts = opts or {}
  local n = math.min(opts.n or 32, #ds)
  local idx = {}
  for i = 1, n do idx[i] = i end
  local spec = {}
  for k, v in pairs(aug or {}) do spec[k] = v end
  spec.mean, spec.std = 0, 1
  local x = core.augment_batch(ds.images, mien.tensor(idx, { dtype = "int64" }), spec, opts.seed or 0, 0)
  local b, c, h, w = table.unpack(x:shape())
  local cols = opts.cols or 8
  local rows = (b + cols - 1) // cols
  local canvas = mien.zeros({ rows * (h + 2), cols * (w + 2), c })
  for i = 1, b do
    local r, q = (i - 1) // cols, (i - 1) % cols
    canvas:narrow(1, r * (h + 2) + 2, h):narrow(2, q * (w + 2) + 2, w):copy_(x[i]:permute(2, 3, 1))
  end
  core.image_write(path, (canvas * 255):clamp(0, 255):round():byte():contiguous())
  return path
end

return data
