-- mien.data: data sets, splits, loaders and augmentation.
local mien = require "mien"
local core = require "mien.core"
local dataset = require "mien.data.dataset"
local split = require "mien.data.split"
local loader = require "mien.data.loader"
local fs = require "mien.util.fs"

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

-- Extensions image_folder decodes (stb_image's formats); other files, and
-- names starting with ".", are ignored.
data.IMAGE_EXTENSIONS = { jpg = true, jpeg = true, png = true, bmp = true, tga = true, gif = true,
  pgm = true, ppm = true, pnm = true }

local function is_image_name(name)
  if name:sub(1, 1) == "." then return false end
  local ext = name:match("%.([^./]+)$")
  return ext ~= nil and data.IMAGE_EXTENSIONS[ext:lower()] == true
end

-- One sub-folder per class (sorted names), every image decoded in parallel
-- to size x size with `channels` channels. opts: size (default: the first
-- image's), channels (1), skip_bad (false: a bad image is an error naming it;
-- true: it is left out, and a line on stderr says how many unless quiet), resize ("auto"|"bilinear"|"area"),
-- cache (a safetensors path, or true for a default one; see data.from_files).
function data.image_folder(dir, opts)
  opts = opts or {}
  if not core.is_dir(dir) then error("image_folder: '" .. dir .. "' is not a directory", 2) end
  local classes, files, labels = {}, {}, {}
  local names, dirs = core.listdir(dir)
  for i, name in ipairs(names) do
    local sub = path_join(dir, name)
    if name:sub(1, 1) ~= "." and dirs[i] then
      classes[#classes + 1] = name
      local entries, sub_dirs = core.listdir(sub)
      for j, f in ipairs(entries) do
        if not sub_dirs[j] and is_image_name(f) then
          files[#files + 1] = path_join(sub, f)
          labels[#labels + 1] = #classes
        end
      end
    end
  end
  if #files == 0 then error("image_folder: no images under '" .. dir .. "'", 2) end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.root, o.source = dir, dir
  return data.from_files(files, labels, classes, o)
end

-- Decoding, without the cache.
local function decode_files(files, labels, classes, opts)
  local channels = opts.channels or 1
  local h, w = opts.size, opts.size
  if type(opts.size) == "table" then h, w = opts.size[1], opts.size[2] end
  if not h then -- the first image's size (the first that decodes, with skip_bad)
    local first, err
    for i = 1, opts.skip_bad and #files or 1 do
      local ok, img = pcall(core.image_load, files[i], channels)
      if ok then first = img; break end
      err = err or img
    end
    if not first then error(err, 3) end
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
    if #failed == #files then error("no image could be decoded (first: " .. files[failed[1]] .. ")", 3) end
    local bad, keep = {}, {}
    for _, i in ipairs(failed) do bad[i] = true end
    for i = 1, #files do if not bad[i] then keep[#keep + 1] = i end end
    ds = ds:subset(keep)
    ds.skipped = #failed
    ds.skipped_files = {}
    for _, i in ipairs(failed) do table.insert(ds.skipped_files, files[i]) end
    -- hardening: skipping is never silent
    if not opts.quiet then
      io.stderr:write(string.format("mien.data: skipped %d of %d images that could not be decoded (first: %s)\n",
        #failed, #files, files[failed[1]]))
    end
  else
    ds.skipped = 0
    ds.skipped_files = {}
  end
  return ds
end

-- The cache key: the decoding options, the lists that make up the data set,
-- and every file's name (relative to the root), size and modification time.
local function cache_key(files, labels, classes, opts, prefix)
  local size = opts.size
  if type(size) == "table" then size = size[1] .. "x" .. size[2] end
  local parts = {
    dataset.FORMAT, tostring(size or "auto"), tostring(opts.channels or 1), tostring(opts.resize or "auto"),
    tostring(opts.skip_bad and true or false), table.concat(classes, "\n"), table.concat(labels, ","),
    opts.groups and table.concat(opts.groups, "\n") or "-", opts.sequences and table.concat(opts.sequences, "\n") or "-",
  }
  return core.files_fingerprint(files, prefix and #prefix or 0, table.concat(parts, "\0"))
end

-- Where cache = true puts the cache: next to the source (a folder or a
-- manifest CSV) as <name>.mien-cache-<hash>.safetensors, the hash covering the
-- source's absolute path and the decoding options; /tmp when that is not
-- writable.
local function default_cache_paths(opts)
  local source = opts.source or "dataset"
  local abs = core.realpath(source) or source
  local size = type(opts.size) == "table" and (opts.size[1] .. "x" .. opts.size[2]) or tostring(opts.size or "auto")
  local tag = core.files_fingerprint({}, 0, table.concat({ abs, size, tostring(opts.channels or 1),
    tostring(opts.resize or "auto"), tostring(opts.skip_bad and true or false) }, "\0")):sub(1, 12)
  local parent, base = abs:match("^(.*)/([^/]+)/*$")
  base = (base or abs):gsub("[^%w%-_.]", "_")
  local name = base .. ".mien-cache-" .. tag .. ".safetensors"
  local tmp = os.getenv("TMPDIR") or "/tmp"
  local out = {}
  if parent and parent ~= "" then out[1] = path_join(parent, name) end
  out[#out + 1] = path_join(tmp, name)
  return out
end

-- Decode a list of files with known labels into a data set. opts: size,
-- channels, skip_bad, resize as for image_folder; groups, sequences (lists
-- parallel to files); cache: a path (or true: see default_cache_paths)
-- where the decoded set is kept as safetensors (Dataset:save) and loaded
-- from next time, as long as the files (names, sizes, modification times),
-- labels, classes, groups and options are unchanged; root: the folder
-- file names are stored relative to (image_folder: the folder; manifest:
-- the CSV's folder). ds.cache is the cache file used and ds.cache_hit says
-- whether it was read.
function data.from_files(files, labels, classes, opts)
  opts = opts or {}
  if not opts.cache then return decode_files(files, labels, classes, opts) end
  local prefix = opts.root and path_join(opts.root, "") or nil
  if prefix then
    for _, f in ipairs(files) do
      if f:sub(1, #prefix) ~= prefix then prefix = nil; break end
    end
  end
  local key = cache_key(files, labels, classes, opts, prefix)
  local paths = type(opts.cache) == "string" and { opts.cache } or default_cache_paths(opts)
  local root = prefix and prefix:sub(1, -2) or nil
  for _, path in ipairs(paths) do
    local ok, ds = pcall(dataset.load, path, { root = root, key = key })
    if ok and ds then
      ds.cache, ds.cache_hit = path, true
      return ds
    end
  end
  local ds = decode_files(files, labels, classes, opts)
  local errors = {}
  for _, path in ipairs(paths) do
    local ok, err = pcall(ds.save, ds, path, { root = root, key = key })
    if ok then
      ds.cache, ds.cache_hit = path, false
      return ds
    end
    errors[#errors + 1] = tostring(err)
  end
  if type(opts.cache) == "string" then error("data set cache: " .. errors[1], 2) end
  io.stderr:write("mien.data: cannot write a data-set cache (" .. table.concat(errors, "; ") .. ")\n")
  ds.cache_hit = false
  return ds
end

-- A data set saved by ds:save (or a cache file) -> Dataset. opts.root
-- replaces the folder the file names were stored relative to.
data.load = dataset.load

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
-- opts.group (subject; false for none), opts.sequence; paths are relative to
-- the CSV's folder. opts.classes fixes the class list (a label outside it is
-- an error). The decoding options (size, channels, skip_bad, resize, cache)
-- are those of image_folder. A row with a wrong number of fields or an
-- empty path or label is an error naming the line, and so is a path that
-- leaves the CSV's folder (.., absolute, a link outside) unless
-- opts.allow_outside is true.
function data.manifest(csv_path, opts)
  opts = opts or {}
  local f = io.open(csv_path, "r")
  if not f then error("manifest: cannot open '" .. csv_path .. "'", 2) end
  local header = f:read("l")
  if not header then f:close(); error("manifest: '" .. csv_path .. "' is empty", 2) end
  header = header:gsub("^\239\187\191", ""):gsub("\r$", "")
  local col = {}
  local k = 0
  for name in (header .. ","):gmatch("([^,]*),") do k = k + 1; col[name:gsub("^%s+", ""):gsub("%s+$", "")] = k end
  local pcol = col[opts.path or "path"]
  local lcol = col[opts.label or "label"]
  local gcol = opts.group ~= false and col[opts.group or "subject"] or nil
  local scol = opts.sequence ~= false and col[opts.sequence or "sequence"] or nil
  if not pcol or not lcol then
    f:close()
    error(string.format("manifest: '%s' has no column '%s' or '%s' (header: %s)", csv_path, opts.path or "path",
      opts.label or "label", header), 2)
  end
  local base = csv_path:match("^(.*)/") or "."
  local files, names, groups, sequences, lines = {}, {}, {}, {}, {}
  local line_no = 1
  local function bad(fmt, ...)
    f:close()
    error(string.format("manifest: '%s' line %d: " .. fmt, csv_path, line_no, ...), 3)
  end
  for line in f:lines() do
    line_no = line_no + 1
    line = line:gsub("\r$", "")
    if line:match("%S") then
      local fields = {}
      for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v:gsub("^%s+", ""):gsub("%s+$", "") end
      if #fields ~= k then bad("has %d fields, expected %d", #fields, k) end
      if fields[pcol] == "" then bad("empty path") end
      if fields[lcol] == "" then bad("empty label") end
      -- hardening: the image must stay inside the CSV's folder unless opts.allow_outside
      local ok, file = pcall(fs.inside, base, fields[pcol], { allow_outside = opts.allow_outside,
        what = string.format("manifest: '%s' line %d", csv_path, line_no) })
      if not ok then f:close(); error(file, 2) end
      files[#files + 1] = file
      names[#names + 1] = fields[lcol]
      lines[#lines + 1] = line_no
      if gcol then groups[#groups + 1] = fields[gcol] end
      if scol then sequences[#sequences + 1] = gcol and (fields[gcol] .. "/" .. fields[scol]) or fields[scol] end
    end
  end
  f:close()
  if #files == 0 then error("manifest: '" .. csv_path .. "' has no rows", 2) end
  -- classes: numeric labels keep their order, names are sorted
  local classes, index = {}, {}
  if opts.classes then
    classes = opts.classes
    for i, c in ipairs(classes) do index[tostring(c)] = i end
  else
    for _, n in ipairs(names) do if not index[n] then index[n] = true; classes[#classes + 1] = n end end
    table.sort(classes, function(a, b)
      local x, y = tonumber(a), tonumber(b)
      if x and y then return x < y end
      if x or y then return x ~= nil end
      return a < b
    end)
    for i, c in ipairs(classes) do index[c] = i end
  end
  local labels = {}
  for i, n in ipairs(names) do
    labels[i] = index[n]
    if not labels[i] then
      error(string.format("manifest: '%s' line %d: label '%s' is not one of the classes", csv_path, lines[i], n), 2)
    end
  end
  local o = {}
  for key, v in pairs(opts) do o[key] = v end
  o.groups = gcol and groups or nil
  o.sequences = scol and sequences or nil
  o.root, o.source = base, csv_path
  return data.from_files(files, labels, classes, o)
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
