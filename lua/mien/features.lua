--- mien.features: run a frozen backbone once over a data set and keep the
-- features, so a small head trains in seconds instead of re-running the
-- backbone every epoch.
--
--   local feats, labels, info = mien.features.extract(backbone, ds, {
--     batch = 256,          -- images per forward pass
--     views = 1,            -- views per image; with augment, view 1 is the plain image
--     augment = nil,        -- augmentation (mien.data.augment fields: rotation, zoom, flip, shift, ...)
--     plain_first = true,   -- with augment: view 1 un-augmented (false: every view augmented)
--     seed = 0,             -- seed of the augmentation draws
--     input = nil,          -- the augment_batch spec {size=, channels=, mean=, std=}; default backbone.input
--     path = nil,           -- a .safetensors cache: loaded when it matches, else computed and saved
--     indices = nil,        -- only these 1-based images of ds (default all)
--     verbose = false,      -- progress: a redrawn line on a terminal, else a flushed line
--     progress_every = 1000, --   every this many images (and at the end of each view), with img/s and ETA
--     log = nil,            -- the file progress goes to (default io.stdout; given: plain lines)
--   })
--   feats: float32 [N*views, D]; row (v-1)*N + i is view v of image i
--   labels: int64 [N*views] (ds.labels repeated per view)
--   info: {n=, views=, dim=, seconds=, cached=}
--
-- The backbone runs in eval mode under no_grad (its mode is restored
-- afterwards); batches go to the backbone's device and features come back to
-- the CPU. The cache file holds tensors "features" and "labels" and metadata
-- describing what was computed (backbone name, n, views, input spec,
-- augmentation, seed); a cache whose metadata differs is recomputed.
local mien = require "mien"
local core = require "mien.core"
local args = require "mien.util.args"

local features = {}

local function copy(t)
  local o = {}
  for k, v in pairs(t or {}) do o[k] = v end
  return o
end

local exists = require("mien.util.fs").exists

local function fmt_time(s)
  s = math.max(0, math.floor(s + 0.5))
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, s % 3600 // 60, s % 60) end
  return string.format("%d:%02d", s // 60, s % 60)
end

-- A canonical string of a (nested) table, for comparing cache descriptions.
local function canon(v)
  if type(v) ~= "table" then
    if type(v) == "number" then return string.format("%.9g", v) end
    return tostring(v)
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
features.describe = canon

local function device_of(module)
  if type(module) == "table" and module.parameters then
    local p = module:parameters()[1]
    if p then return p:device() end
  end
  return "cpu"
end

--- Run a frozen backbone once over a data set (see the module comment for every option).
-- @param backbone a mien.nn module (e.g. from mien.models.load with include_top = false)
-- @tparam Dataset ds a data set (images uint8 [N,H,W,C], labels)
-- @tparam[opt] table opts batch (256), views (1), augment (nil), plain_first (true), seed (0),
-- input (backbone.input), path (no cache), indices (all), verbose (false), progress_every (1000), log (io.stdout)
-- @treturn Tensor features float32 [N*views, D]
-- @treturn Tensor labels int64 [N*views]
-- @treturn table info {n=, views=, dim=, seconds=, cached=}
-- @usage local feats, labels = mien.features.extract(backbone, ds, {path = "cache/train.safetensors"})
function features.extract(backbone, ds, opts)
  args.check("features.extract", 1, backbone, "callable", "a backbone module")
  args.check("features.extract", 2, ds, "dataset")
  opts = args.options("features.extract", 3, opts, "{batch=, views=, augment=, path=, ...}")
  assert(backbone ~= nil, "features.extract: backbone is required")
  assert(ds and ds.images and ds.labels, "features.extract: expected a data set with images and labels")
  local spec = opts.input or (type(backbone) == "table" and rawget(backbone, "input"))
  if not spec then
    error("features.extract: the backbone has no input spec; pass opts.input = {size=, channels=, mean=, std=}", 2)
  end
  local views = opts.views or 1
  local batch = opts.batch or 256
  assert(math.type(views) == "integer" and views >= 1, "features.extract: views must be a positive integer")
  if views > 1 and not opts.augment then
    error("features.extract: views > 1 needs augment (identical views would repeat the same features)", 2)
  end
  local plain_first = opts.plain_first ~= false
  local indices = opts.indices
  local n = indices and #indices or ds.images:size(1)
  local name = type(backbone) == "table" and rawget(backbone, "name") or "backbone"
  local labels_src = ds.labels
  if indices then labels_src = ds.labels:index_select(1, mien.tensor(indices, { dtype = "int64" })) end
  -- a cheap fingerprint of the data: the labels and the pixels of the first and last image
  local first, last = indices and indices[1] or 1, indices and indices[n] or n
  local fingerprint = string.format("%d:%d:%d:%d", n > 0 and labels_src:sum():item() or 0,
    n > 0 and ds.images[first]:long():sum():item() or 0, n > 0 and ds.images[last]:long():sum():item() or 0,
    ds.images:size(2) * 10000 + ds.images:size(3))
  local desc = canon { backbone = name, n = n, views = views, input = spec, augment = opts.augment or false,
    plain_first = plain_first, seed = opts.seed or 0, indices = indices and #indices or false, data = fingerprint }

  if opts.path and exists(opts.path) then
    local tensors, meta = mien.io.load(opts.path)
    if tensors.features and tensors.labels and meta and meta["mien.features"] == desc then
      if opts.verbose then print("features: loaded " .. opts.path) end
      return tensors.features, tensors.labels, { n = n, views = views, dim = tensors.features:size(2), seconds = 0,
        cached = true, path = opts.path }
    end
    if opts.verbose then print("features: " .. opts.path .. " describes other features; recomputing") end
  end

  local images = ds.images:contiguous()
  local device = device_of(backbone)
  local was_training = type(backbone) == "table" and rawget(backbone, "training")
  if type(backbone) == "table" and backbone.eval then backbone:eval() end
  local t0 = core.now()
  local out
  -- progress: a redrawn line on a terminal; in a log, a flushed line every
  -- `every` images and at the end of each view, with the rate and the ETA
  local out_stream = opts.log or io.stdout
  local tty = opts.log == nil and core.isatty(1)
  local every = opts.progress_every or 1000
  local next_line = every
  local function report(v, last)
    local done, total = (v - 1) * n + last, n * views
    if not tty and done < next_line and last < n then return end
    while next_line <= done do next_line = next_line + every end
    local elapsed = core.now() - t0
    local rate = done / math.max(elapsed, 1e-9)
    out_stream:write(string.format("%sfeatures %s: view %d/%d, %d/%d images, %.1f img/s, ETA %s%s", tty and "\r" or "",
      tostring(name), v, views, last, n, rate, fmt_time((total - done) / rate), tty and "   " or "\n"))
    out_stream:flush()
  end
  local ok, err = pcall(mien.no_grad, function()
    for v = 1, views do
      local aug = copy(spec)
      if opts.augment and not (plain_first and v == 1) then
        for k, val in pairs(opts.augment) do
          if k ~= "size" and k ~= "channels" and k ~= "mean" and k ~= "std" then aug[k] = val end
        end
      end
      for first = 1, n, batch do
        local last = math.min(first + batch - 1, n)
        local list = {}
        for i = first, last do list[#list + 1] = indices and indices[i] or i end
        local idx = mien.tensor(list, { dtype = "int64" })
        local base = ((v - 1) * n + (first - 1)) * 4
        local x = core.augment_batch(images, idx, aug, opts.seed or 0, base)
        if device ~= "cpu" then x = x:to(device) end
        local f = backbone(x)
        if f:dim() > 2 then f = f:flatten(2) end
        if f:device() ~= "cpu" then f = f:cpu() end
        if not out then out = mien.zeros({ n * views, f:size(2) }) end
        out:narrow(1, (v - 1) * n + first, last - first + 1):copy_(f)
        if opts.verbose then report(v, last) end
      end
    end
  end)
  if opts.verbose and tty then out_stream:write("\n") end
  if was_training and backbone.train then backbone:train() end
  if not ok then error(err, 0) end
  local labels = labels_src
  if views > 1 then
    local reps = {}
    for v = 1, views do reps[v] = labels_src end
    labels = mien.cat(reps, 1)
  end
  local seconds = core.now() - t0
  if opts.path then
    local dir = opts.path:match("^(.*)/[^/]*$")
    if dir and dir ~= "" then os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'") end
    mien.io.save({ features = out, labels = labels }, opts.path, { metadata = { ["mien.features"] = desc,
      backbone = tostring(name), seconds = string.format("%.3f", seconds) } })
  end
  return out, labels, { n = n, views = views, dim = out:size(2), seconds = seconds, cached = false, path = opts.path }
end

--- Rows of a features tensor for a list of 1-based image indices, over all
-- views (row (v-1)*n + i), e.g. the training fold of cached multi-view features.
function features.rows(n, views, indices)
  local out = {}
  for v = 1, views do
    for _, i in ipairs(indices) do out[#out + 1] = (v - 1) * n + i end
  end
  return out
end

--- A data-set-like pair for training a head on features with mien.train.fit:
-- loader(feats, labels, {batch=, shuffle=, seed=, indices=}) yields (x, y).
function features.loader(feats, labels, opts)
  args.check("features.loader", 1, feats, "tensor")
  args.check("features.loader", 2, labels, "tensor")
  opts = args.options("features.loader", 3, opts, "{batch=, shuffle=, seed=, indices=}")
  local prng = require "mien.util.prng"
  local n = opts.indices and #opts.indices or feats:size(1)
  local batch = opts.batch or 64
  local self = { epoch = 0 }
  local function rows()
    if opts.indices then return { table.unpack(opts.indices) } end
    return prng.range(n)
  end
  return setmetatable(self, {
    __len = function() return (n + batch - 1) // batch end,
    __call = function(_, epoch)
      self.epoch = epoch or (self.epoch + 1)
      local order = rows()
      if opts.shuffle ~= false then prng.new(opts.seed or 0, self.epoch):shuffle(order) end
      local b, nb = 0, (n + batch - 1) // batch
      return function()
        b = b + 1
        if b > nb then return nil end
        local first = (b - 1) * batch + 1
        local list = table.move(order, first, math.min(first + batch - 1, n), 1, {})
        local idx = mien.tensor(list, { dtype = "int64" })
        return feats:index_select(1, idx), labels:index_select(1, idx)
      end
    end,
  })
end

return features
