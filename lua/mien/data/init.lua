--- mien.data: data sets, splits, loaders and augmentation.
-- Also here, documented in their own modules: `stratified_split`, `kfold`, `group_kfold`,
-- `class_weights`, `balance` and `dedup_frames` (mien.data.split, as stratified, kfold, ...),
-- `loader(ds, opts)` (mien.data.loader) and the data sets' methods `ds:subset`,
-- `ds:class_counts`, `ds:remap`, `ds:save` (mien.data.dataset).
local mien = require "mien"
local core = require "mien.core"
local dataset = require "mien.data.dataset"
local split = require "mien.data.split"
local loader = require "mien.data.loader"
local args = require "mien.util.args"
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
  frame_difference = split.frame_difference,
}

-- The field's data sets in their owners' layouts (one file each), and the
-- class names matched across them.
data.jaffe = require "mien.data.jaffe"
data.ckplus = require "mien.data.ckplus"
data.ferplus = require "mien.data.ferplus"
data.rafdb = require "mien.data.rafdb"
data.affectnet = require "mien.data.affectnet"
data.classes = require "mien.data.classes"
-- fer-best: mixup and cutmix with soft targets
data.mix = require "mien.data.mix"

-- Kaggle FER2013 order.
data.FER_CLASSES = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }

local function path_join(a, b) return a:sub(-1) == "/" and a .. b or a .. "/" .. b end

-- Extensions image_folder decodes (stb_image's formats and TIFF); other
-- files, and names starting with ".", are ignored.
data.IMAGE_EXTENSIONS = { jpg = true, jpeg = true, png = true, bmp = true, tga = true, gif = true,
  pgm = true, ppm = true, pnm = true, tif = true, tiff = true }

local function is_image_name(name)
  if name:sub(1, 1) == "." then return false end
  local ext = name:match("%.([^./]+)$")
  return ext ~= nil and data.IMAGE_EXTENSIONS[ext:lower()] == true
end

--- One sub-folder per class (sorted names), every image decoded in parallel
-- to size x size with `channels` channels. opts: size (default: the first
-- image's), channels (1), skip_bad (false: a bad image is an error naming it;
-- true: it is left out, and a line on stderr says how many unless quiet), resize ("auto"|"bilinear"|"area"),
-- cache (a safetensors path, or true for a default one; see data.from_files).
-- Files that do not decode are an error naming the file, or with skip_bad are left out: the data set's
-- summary (tostring) then counts and names them, and ds.skipped_files lists them.
-- @tparam string dir the folder of class folders (dir/<class>/<image>)
-- @tparam[opt] table opts size (the first image's; n or {h, w}), channels (1), skip_bad (false),
-- resize ("auto"), cache (none; a path, or true)
-- @treturn Dataset images uint8 [N,H,W,C], labels int64 [N] (1-based), classes, files
-- @usage local train = mien.data.image_folder("fer2013/train", {size = 48, skip_bad = true})
function data.image_folder(dir, opts)
  args.check("image_folder", 1, dir, "string", "a folder path")
  opts = args.options("image_folder", 2, opts, "{size=, channels=, skip_bad=, resize=, cache=}")
  args.fields("image_folder", opts, { size = "integer|table", channels = "integer", skip_bad = "boolean", resize = "string" })
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

--- The folder of mien's caches: $MIEN_CACHE, else $XDG_CACHE_HOME/mien,
-- else ~/.cache/mien (never next to the data, which may be read-only or shared).
-- @treturn ?string the folder (nil without HOME and the variables)
function data.cache_dir()
  local dir = os.getenv("MIEN_CACHE")
  if not dir or dir == "" then
    local xdg, home = os.getenv("XDG_CACHE_HOME"), os.getenv("HOME")
    dir = (xdg and xdg ~= "") and path_join(xdg, "mien") or (home and home ~= "" and path_join(home, ".cache/mien"))
  end
  return dir or nil
end

-- Where cache = true puts the cache: data.cache_dir() (made if needed), as
-- <name>.mien-cache-<hash>.safetensors, the hash covering the source's
-- absolute path and the decoding options; /tmp when that folder cannot be made.
local function default_cache_paths(opts)
  local source = opts.source or "dataset"
  local abs = core.realpath(source) or source
  local size = type(opts.size) == "table" and (opts.size[1] .. "x" .. opts.size[2]) or tostring(opts.size or "auto")
  local tag = core.files_fingerprint({}, 0, table.concat({ abs, size, tostring(opts.channels or 1),
    tostring(opts.resize or "auto"), tostring(opts.skip_bad and true or false) }, "\0")):sub(1, 12)
  local base = (abs:match("([^/]+)/*$") or abs):gsub("[^%w%-_.]", "_")
  local name = base .. ".mien-cache-" .. tag .. ".safetensors"
  local out = {}
  local dir = data.cache_dir()
  if dir and (core.is_dir(dir) or pcall(fs.mkdir_p, dir)) then out[1] = path_join(dir, name) end
  out[#out + 1] = path_join(os.getenv("TMPDIR") or "/tmp", name)
  return out
end

--- Decode a list of files with known labels into a data set. opts: size,
-- channels, skip_bad, resize as for image_folder; groups, sequences (lists
-- parallel to files); cache: a path (or true: see default_cache_paths)
-- where the decoded set is kept as safetensors (Dataset:save) and loaded
-- from next time, as long as the files (names, sizes, modification times),
-- labels, classes, groups and options are unchanged; root: the folder
-- file names are stored relative to (image_folder: the folder; manifest:
-- the CSV's folder). ds.cache is the cache file used and ds.cache_hit says
-- whether it was read.
function data.from_files(files, labels, classes, opts)
  args.check("from_files", 1, files, "table", "a list of file paths")
  args.check("from_files", 2, labels, "table|tensor", "a list of 1-based labels")
  args.check("from_files", 3, classes, "table", "a list of class names")
  opts = args.options("from_files", 4, opts, "{size=, channels=, skip_bad=, resize=, cache=}")
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

--- The Kaggle CSV (emotion,pixels,Usage), plain or gzip: a table of data sets
-- by Usage (Training, PublicTest, PrivateTest).
-- @tparam string path fer2013.csv or fer2013.csv.gz
-- @treturn table {Training = Dataset, PublicTest = Dataset, PrivateTest = Dataset} (those present)
-- @usage local sets = mien.data.fer2013_csv("fer2013.csv"); local train = sets.Training
function data.fer2013_csv(path)
  args.check("fer2013_csv", 1, path, "string", "the path of fer2013.csv (or .csv.gz)")
  local parts = core.fer2013_csv(path)
  local out = {}
  for usage, p in pairs(parts) do
    out[usage] = dataset.new { images = p.images, labels = p.labels, classes = data.FER_CLASSES }
  end
  return out
end

--- A CSV with a header naming columns: opts.path (file column), opts.label,
-- opts.group (subject; false for none), opts.sequence; paths are relative to
-- the CSV's folder. opts.classes fixes the class list (a label outside it is
-- an error). The decoding options (size, channels, skip_bad, resize, cache)
-- are those of image_folder. A row with a wrong number of fields or an
-- empty path or label is an error naming the line, and so is a path that
-- leaves the CSV's folder (.., absolute, a link outside) unless
-- opts.allow_outside is true.
function data.manifest(csv_path, opts)
  args.check("manifest", 1, csv_path, "string", "the path of a CSV file")
  opts = args.options("manifest", 2, opts, "{path=, label=, group=, sequence=}")
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

--- Parametric grey faces for the seven basic expressions (FER order), drawn in C.
-- @tparam[opt] table opts fields: n (1000), size (48), seed (0), aus (false; true adds
--   ds.aus, float32 [n,14] intensities 0..1 of the faces' action units, and ds.au_names
--   {"AU1", "AU2", ...}: the generator's parameters expressed as AUs)
-- @return the data set (uint8 images [n,size,size,1], labels 1..7)
-- @usage local ds = mien.data.synthetic_faces {n = 700, aus = true}; local y = ds.aus:ge(0.5):float()
function data.synthetic_faces(opts)
  opts = args.options("synthetic_faces", 1, opts, "{n=, size=, seed=, aus=}")
  args.fields("synthetic_faces", opts, { n = "integer", size = "integer", seed = "integer", aus = "boolean" })
  local n, seed = opts.n or 1000, opts.seed or 0
  local images, labels = core.synthetic_faces(n, opts.size or 48, seed)
  local ds = dataset.new { images = images, labels = labels, classes = data.FER_CLASSES }
  if opts.aus then ds.aus, ds.au_names = core.synthetic_face_aus(n, seed) end
  return ds
end

--- The augmentation spec used by loaders: a plain table, checked in C.
-- rotation (degrees), shear (degrees), zoom {lo,hi}, shift (fraction),
-- flip (probability), brightness, contrast {lo,hi}, erase (probability),
-- size (n or {h,w}), channels (1|3), mean/std (number or per channel).
function data.augment(spec) return spec or {} end

--- A grid of augmented samples as a PNG, to see what the network sees.
-- @tparam Dataset ds
-- @tparam table aug the augmentation table (as for mien.data.loader)
-- @tparam string path the PNG to write
-- @tparam[opt] table opts n (32 samples), seed (0), cols (8)
-- @treturn string path
function data.preview(ds, aug, path, opts)
  args.check("preview", 1, ds, "dataset")
  args.check("preview", 2, aug, "table?", "an augmentation table {rotation=, flip=, ...}")
  args.check("preview", 3, path, "string", "the PNG file to write")
  opts = args.options("preview", 4, opts, "{n=, seed=, cols=}")
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
