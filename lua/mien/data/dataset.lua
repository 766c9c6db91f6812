--- A data set: all images in one uint8 tensor [N,H,W,C], 1-based int64 labels,
-- class names, and optionally subject groups and file names.
local mien = require "mien"
local args = require "mien.util.args"

local Dataset = {}
Dataset.__index = Dataset
Dataset.__len = function(ds) return ds.images:size(1) end

local function new(fields)
  assert(mien.is_tensor(fields.images) and fields.images:dtype() == "uint8" and fields.images:dim() == 4,
    "dataset: images must be a uint8 tensor [N,H,W,C]")
  assert(mien.is_tensor(fields.labels) and fields.labels:dtype() == "int64", "dataset: labels must be an int64 tensor")
  assert(fields.labels:size(1) == fields.images:size(1), "dataset: images and labels differ in count")
  assert(type(fields.classes) == "table", "dataset: classes must be a list of names")
  return setmetatable(fields, Dataset)
end

--- The labels as a plain Lua list of 1-based class indices (computed once, then cached).
-- @treturn {int,...} labels[i] for image i
function Dataset:labels_table()
  if not self._labels then self._labels = self.labels:totable() end
  return self._labels
end

--- counts[c] for c = 1..#classes; also counts[name].
-- @treturn table counts[c] and counts[name]
function Dataset:class_counts()
  local counts = {}
  for c = 1, #self.classes do counts[c] = 0 end
  for _, y in ipairs(self:labels_table()) do counts[y] = counts[y] + 1 end
  for c, name in ipairs(self.classes) do counts[name] = counts[c] end
  return counts
end

--- A new data set holding the given 1-based indices (a list or an int64 tensor).
-- Groups, sequences and file names follow the images.
-- @param indices a list of 1-based indices, or an int64 tensor of them (e.g. from stratified_split)
-- @treturn Dataset
-- @usage local val_ds = ds:subset(val_idx)
function Dataset:subset(indices)
  args.check("ds:subset", 1, indices, "table|tensor", "a list of 1-based indices")
  local list = mien.is_tensor(indices) and indices:totable() or indices
  local idx = mien.tensor(list, { dtype = "int64" })
  local function pick(t)
    if not t then return nil end
    local out = {}
    for k, i in ipairs(list) do out[k] = t[i] end
    return out
  end
  local out = new {
    images = self.images:index_select(1, idx):contiguous(),
    labels = self.labels:index_select(1, idx),
    classes = self.classes,
    groups = pick(self.groups),
    files = pick(self.files),
    sequences = pick(self.sequences),
  }
  -- extra labels a loader attached (ds.extras names them): per-image
  -- tensors follow the rows, anything else (e.g. a list of AU numbers) is shared
  if self.extras then
    out.extras = self.extras
    for _, field in ipairs(self.extras) do
      local v = self[field]
      out[field] = mien.is_tensor(v) and v:index_select(1, idx) or v
    end
  end
  return out
end

--- Relabel: mapping[old_class_index or name] = new class name; classes not
-- mapped are dropped. E.g. ds:remap({neutral="neutral"}, {default="expressive"}).
function Dataset:remap(mapping, opts)
  args.check("ds:remap", 1, mapping, "table", "a table old class -> new class name")
  opts = args.options("ds:remap", 2, opts)
  local new_classes, new_index, keep, labels = {}, {}, {}, {}
  local function class_of(name)
    if not new_index[name] then
      new_classes[#new_classes + 1] = name
      new_index[name] = #new_classes
    end
    return new_index[name]
  end
  for _, name in ipairs(opts.order or {}) do class_of(name) end
  for i, y in ipairs(self:labels_table()) do
    local target = mapping[y] or mapping[self.classes[y]] or opts.default
    if target then
      keep[#keep + 1] = i
      labels[#labels + 1] = class_of(target)
    end
  end
  local out = self:subset(keep)
  out.labels = mien.tensor(labels, { dtype = "int64" })
  out.classes = new_classes
  out._labels = nil
  return out
end

-- Saving as safetensors: tensors "images" (U8 [N,H,W,C]) and "labels" (I64,
-- 1-based); metadata format = FORMAT, classes, and optionally files (relative
-- to root when every name starts with it), root, groups, sequences (with
-- groups_type / sequences_type "number" when those were numbers),
-- skipped_files, key (a cache key); string lists are joined by newlines.
local FORMAT = "mien.dataset/1"

local function join(list, what)
  local parts = {}
  for i, v in ipairs(list) do
    local s = tostring(v)
    if s:find("\n", 1, true) then error("dataset save: " .. what .. " " .. i .. " contains a newline", 3) end
    parts[i] = s
  end
  return table.concat(parts, "\n")
end

local function split_lines(s, n)
  local out = {}
  if n == 0 then return out end
  for line in (s .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

local function all_numbers(list)
  for _, v in ipairs(list) do if type(v) ~= "number" then return false end end
  return true
end

--- ds:save(path, {root=, key=, metadata={...}}): atomic (temp file + rename).
function Dataset:save(path, opts)
  args.check("ds:save", 1, path, "string", "a file path")
  opts = args.options("ds:save", 2, opts, "{root=, key=, metadata=}")
  local meta = { format = FORMAT, classes = join(self.classes, "class") }
  for k, v in pairs(opts.metadata or {}) do meta[k] = tostring(v) end
  local n = #self
  -- file names relative to root when every one (kept and skipped) starts with it
  local prefix = opts.root and (opts.root:sub(-1) == "/" and opts.root or opts.root .. "/") or nil
  local skipped = self.skipped_files or {}
  if prefix then
    for _, list in ipairs { self.files or {}, skipped } do
      for _, f in ipairs(list) do
        if f:sub(1, #prefix) ~= prefix then prefix = nil; break end
      end
      if not prefix then break end
    end
  end
  local function names(list)
    if not prefix then return list end
    local rel = {}
    for i, f in ipairs(list) do rel[i] = f:sub(#prefix + 1) end
    return rel
  end
  if prefix then meta.root = opts.root end
  if self.files then meta.files = join(names(self.files), "file") end
  for _, field in ipairs { "groups", "sequences" } do
    if self[field] then
      meta[field] = join(self[field], field:sub(1, -2))
      if all_numbers(self[field]) then meta[field .. "_type"] = "number" end
    end
  end
  if #skipped > 0 then meta.skipped_files = join(names(skipped), "file") end
  if opts.key then meta.key = opts.key end
  meta.count = tostring(n)
  require("mien.io.safetensors").save(path, { { "images", self.images }, { "labels", self.labels } }, meta)
  return path
end

-- Dataset.load(path, {root=, key=}) -> Dataset, or nil when opts.key is given
-- and the file is missing or was saved with another key.
local function load(path, opts)
  opts = opts or {}
  if opts.key then
    local f = io.open(path, "rb")
    if not f then return nil end
    f:close()
  end
  local tensors, meta = require("mien.io.safetensors").load(path)
  if meta.format ~= FORMAT then error("dataset load: '" .. path .. "' is not a saved mien data set", 2) end
  if opts.key and meta.key ~= opts.key then return nil end
  local n = tonumber(meta.count)
  local ds = new { images = tensors.images, labels = tensors.labels, classes = split_lines(meta.classes, 1) }
  if ds.images:size(1) ~= n then error("dataset load: '" .. path .. "' holds a different count than recorded", 2) end
  local root = opts.root or meta.root
  local prefix = meta.root and root and (root:sub(-1) == "/" and root or root .. "/") or ""
  local function names(text, count)
    local list = split_lines(text, count)
    for i, f in ipairs(list) do list[i] = prefix .. f end
    return list
  end
  if meta.files then ds.files = names(meta.files, n) end
  for _, field in ipairs { "groups", "sequences" } do
    if meta[field] then
      local list = split_lines(meta[field], n)
      if meta[field .. "_type"] == "number" then for i, v in ipairs(list) do list[i] = tonumber(v) end end
      ds[field] = list
    end
  end
  ds.skipped_files = meta.skipped_files and names(meta.skipped_files, 1) or {}
  ds.skipped = #ds.skipped_files
  return ds
end

-- "; skipped 2 files that do not decode: a.jpg, b.jpg" (skip_bad), the first
-- five named; "" when none was skipped.
local function skipped_summary(files)
  if not files or #files == 0 then return "" end
  local shown = table.move(files, 1, math.min(#files, 5), 1, {})
  return string.format("; skipped %d file%s that do%s not decode: %s%s", #files, #files == 1 and "" or "s",
    #files == 1 and "es" or "", table.concat(shown, ", "), #files > 5 and string.format(" (+%d more)", #files - 5) or "")
end

function Dataset:__tostring()
  local parts = {}
  for c, name in ipairs(self.classes) do parts[#parts + 1] = name .. "=" .. self:class_counts()[c] end
  local s = self.images:shape()
  return string.format("Dataset: %d images %dx%dx%d, classes {%s}%s%s", s[1], s[2], s[3], s[4],
    table.concat(parts, ", "), self.groups and " with groups" or "", skipped_summary(self.skipped_files))
end

return { new = new, load = load, Dataset = Dataset, FORMAT = FORMAT }
