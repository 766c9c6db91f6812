--- Splits and data hygiene: stratified train/validation splits, k-fold and
-- subject-wise (group) k-fold, class weights, balancing, frame de-duplication.
local mien = require "mien"
local prng = require "mien.util.prng"
local args = require "mien.util.args"

local split = {}

local function labels_of(ds)
  return ds.labels_table and ds:labels_table() or ds.labels or ds
end

-- Indices per class, each list shuffled by the seed.
local function by_class(labels, seed)
  local rng, groups, order = prng.new(seed), {}, {}
  for i, y in ipairs(labels) do
    if not groups[y] then groups[y] = {}; order[#order + 1] = y end
    table.insert(groups[y], i)
  end
  table.sort(order)
  for _, y in ipairs(order) do rng:shuffle(groups[y]) end
  return groups, order
end

--- train_idx, val_idx with each class split in the ratio (opts.val, default 0.2).
-- Exposed as mien.data.stratified_split. It returns index lists, not data sets: ds:subset(idx) makes those.
-- @param ds a data set, or a plain list of labels
-- @tparam[opt] table opts val (0.2: the fraction held out of every class), seed (0)
-- @treturn {int,...} train_idx, sorted 1-based indices
-- @treturn {int,...} val_idx
-- @usage local tr, va = mien.data.stratified_split(ds, {val = 0.2, seed = 1})
-- local train_ds, val_ds = ds:subset(tr), ds:subset(va)
function split.stratified(ds, opts)
  args.check("stratified_split", 1, ds, "dataset|table", "a data set or a list of labels")
  opts = args.options("stratified_split", 2, opts, "{val=, seed=}")
  args.fields("stratified_split", opts, { val = "number", seed = "integer" })
  local val = opts.val or 0.2
  assert(val > 0 and val < 1, "stratified split: val must be in (0, 1)")
  local groups, order = by_class(labels_of(ds), opts.seed or 0)
  local train, valid = {}, {}
  for _, y in ipairs(order) do
    local g = groups[y]
    local nv = math.floor(#g * val + 0.5)
    for k, i in ipairs(g) do
      if k <= nv then valid[#valid + 1] = i else train[#train + 1] = i end
    end
  end
  table.sort(train)
  table.sort(valid)
  return train, valid
end

--- for fold, train_idx, val_idx in split.kfold(ds, k, {seed=, stratified=true}) do
-- Exposed as mien.data.kfold.
-- @param ds a data set, or a plain list of labels
-- @tparam int k the number of folds (2..N)
-- @tparam[opt] table opts seed (0), stratified (true: every class dealt round-robin over the folds)
-- @return an iterator of fold, train_idx, val_idx
function split.kfold(ds, k, opts)
  args.check("kfold", 1, ds, "dataset|table", "a data set or a list of labels")
  args.check("kfold", 2, k, "integer", "the number of folds")
  opts = args.options("kfold", 3, opts, "{seed=, stratified=}")
  local labels = labels_of(ds)
  local n = #labels
  assert(k >= 2 and k <= n, "kfold: k must be between 2 and the number of samples")
  local fold_of = {}
  if opts.stratified == false then
    local perm = prng.new(opts.seed or 0):shuffle(prng.range(n))
    for pos, i in ipairs(perm) do fold_of[i] = (pos - 1) % k + 1 end
  else -- deal each class round-robin over the folds
    local groups, order = by_class(labels, opts.seed or 0)
    local pos = 0
    for _, y in ipairs(order) do
      for _, i in ipairs(groups[y]) do
        fold_of[i] = pos % k + 1
        pos = pos + 1
      end
    end
  end
  local fold = 0
  return function()
    fold = fold + 1
    if fold > k then return nil end
    local tr, va = {}, {}
    for i = 1, n do
      if fold_of[i] == fold then va[#va + 1] = i else tr[#tr + 1] = i end
    end
    return fold, tr, va
  end
end

--- Subject-wise folds: every group (subject) lies wholly on one side. Groups
-- are shuffled by the seed and dealt largest first to the smallest fold.
-- Exposed as mien.data.group_kfold.
-- @param ds a data set with groups (or a list of labels with opts.groups)
-- @tparam int k the number of folds
-- @tparam[opt] table opts groups (ds.groups), seed (0)
-- @return an iterator of fold, train_idx, val_idx
function split.group_kfold(ds, k, opts)
  args.check("group_kfold", 1, ds, "dataset|table", "a data set or a list of labels")
  args.check("group_kfold", 2, k, "integer", "the number of folds")
  opts = args.options("group_kfold", 3, opts, "{groups=, seed=}")
  local groups = assert(ds.groups or opts.groups, "group_kfold: the data set has no groups (subjects)")
  local members, names = {}, {}
  for i, g in ipairs(groups) do
    if not members[g] then members[g] = {}; names[#names + 1] = g end
    table.insert(members[g], i)
  end
  assert(k >= 2 and k <= #names, string.format("group_kfold: k=%d but there are %d groups", k, #names))
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  prng.new(opts.seed or 0):shuffle(names)
  local rank = {}
  for pos, g in ipairs(names) do rank[g] = pos end
  table.sort(names, function(a, b)
    if #members[a] ~= #members[b] then return #members[a] > #members[b] end
    return rank[a] < rank[b]
  end)
  local size, fold_of_group = {}, {}
  for f = 1, k do size[f] = 0 end
  for _, g in ipairs(names) do
    local best = 1
    for f = 2, k do if size[f] < size[best] then best = f end end
    fold_of_group[g] = best
    size[best] = size[best] + #members[g]
  end
  local fold = 0
  return function()
    fold = fold + 1
    if fold > k then return nil end
    local tr, va = {}, {}
    for i, g in ipairs(groups) do
      if fold_of_group[g] == fold then va[#va + 1] = i else tr[#tr + 1] = i end
    end
    return fold, tr, va
  end
end

--- Inverse-frequency weights n / (C * count_c), as a float32 tensor [C].
function split.class_weights(ds)
  local counts, n, c = ds:class_counts(), #ds, #ds.classes
  local w = {}
  for k = 1, c do w[k] = counts[k] > 0 and n / (c * counts[k]) or 0 end
  return mien.tensor(w)
end

--- Balanced indices: mode "cap" keeps at most `max` per class (default: the
-- smallest class); "oversample" repeats samples up to the largest class.
-- Exposed as mien.data.balance.
-- @param ds a data set, or a plain list of labels
-- @tparam[opt] table opts mode ("cap" or "oversample"), max (cap: the smallest class's count), seed (0)
-- @treturn {int,...} indices
function split.balance(ds, opts)
  args.check("balance", 1, ds, "dataset|table", "a data set or a list of labels")
  opts = args.options("balance", 2, opts, "{mode=, max=, seed=}")
  local groups, order = by_class(labels_of(ds), opts.seed or 0)
  local smallest, largest = math.huge, 0
  for _, y in ipairs(order) do
    smallest = math.min(smallest, #groups[y])
    largest = math.max(largest, #groups[y])
  end
  local out = {}
  for _, y in ipairs(order) do
    local g = groups[y]
    if (opts.mode or "cap") == "cap" then
      for k = 1, math.min(#g, opts.max or smallest) do out[#out + 1] = g[k] end
    elseif opts.mode == "oversample" then
      for k = 1, opts.max or largest do out[#out + 1] = g[(k - 1) % #g + 1] end
    else
      error("balance: mode must be \"cap\" or \"oversample\", got " .. tostring(opts.mode), 2)
    end
  end
  table.sort(out)
  return out
end

--- The mean absolute difference (0..255) of two images of one shape: what
-- dedup_frames (and mien watch, on live frames) compares to its threshold.
-- @param a uint8 image tensor
-- @param b uint8 image tensor of a's shape
-- @treturn number the mean of |a - b|
function split.frame_difference(a, b) return (a:float() - b:float()):abs():mean():item() end

--- Near-duplicate consecutive frames: keep one in `every` frames of each
-- sequence, or drop a frame whose mean absolute difference (0..255) to the
-- last kept frame of its sequence is below `threshold`. Sequences come from
-- ds.sequences, else ds.groups, else the whole set is one sequence.
function split.dedup_frames(ds, opts)
  args.check("dedup_frames", 1, ds, "dataset")
  opts = args.options("dedup_frames", 2, opts, "{every=, threshold=}")
  local seq = ds.sequences or ds.groups or {}
  local keep, count, last = {}, {}, {}
  for i = 1, #ds do
    local s = seq[i] or 0
    count[s] = (count[s] or 0) + 1
    local take
    if opts.every then
      take = (count[s] - 1) % opts.every == 0
    else
      local threshold = assert(opts.threshold, "dedup_frames: give every= or threshold=")
      take = not last[s]
      if not take then
        local d = split.frame_difference(ds.images[i], ds.images[last[s]])
        take = d >= threshold
      end
    end
    if take then keep[#keep + 1] = i; last[s] = i end
  end
  return keep
end

return split
