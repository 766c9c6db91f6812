-- A data set: all images in one uint8 tensor [N,H,W,C], 1-based int64 labels,
-- class names, and optionally subject groups and file names.
local mien = require "mien"

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

function Dataset:labels_table()
  if not self._labels then self._labels = self.labels:totable() end
  return self._labels
end

-- counts[c] for c = 1..#classes; also counts[name].
function Dataset:class_counts()
  local counts = {}
  for c, name in ipairs(self.classes) do counts[c] = 0 end
  for _, y in ipairs(self:labels_table()) do counts[y] = counts[y] + 1 end
  for c, name in ipairs(self.classes) do counts[name] = counts[c] end
  return counts
end

-- A new data set holding the given 1-based indices (a list or an int64 tensor).
function Dataset:subset(indices)
  local list = mien.is_tensor(indices) and indices:totable() or indices
  local idx = mien.tensor(list, { dtype = "int64" })
  local function pick(t)
    if not t then return nil end
    local out = {}
    for k, i in ipairs(list) do out[k] = t[i] end
    return out
  end
  return new {
    images = self.images:index_select(1, idx):contiguous(),
    labels = self.labels:index_select(1, idx),
    classes = self.classes,
    groups = pick(self.groups),
    files = pick(self.files),
    sequences = pick(self.sequences),
  }
end

-- Relabel: mapping[old_class_index or name] = new class name; classes not
-- mapped are dropped. E.g. ds:remap({neutral="neutral"}, {default="expressive"}).
function Dataset:remap(mapping, opts)
  opts = opts or {}
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

function Dataset:__tostring()
  local parts = {}
  for c, name in ipairs(self.classes) do parts[#parts + 1] = name .. "=" .. self:class_counts()[c] end
  local s = self.images:shape()
  return string.format("Dataset: %d images %dx%dx%d, classes {%s}%s", s[1], s[2], s[3], s[4],
    table.concat(parts, ", "), self.groups and " with groups" or "")
end

return { new = new, Dataset = Dataset }
