--- What a trained classifier gets wrong on its validation set: the confusion
-- matrix and, per true class, its most confident mistakes with the images
-- they came from. mien.train.fit writes them to dir/errors.json and
-- dir/errors/*.png so that `mien board` can show them without the data set.
local mien = require "mien"
local fs = require "mien.util.fs"
local json = require "mien.util.json"
local loader_mod = require "mien.data.loader"

local errors = {}

--- Confusion matrix and most confident mistakes of a model on a loader.
-- The loader must be a `mien.data.loader` (its data set holds the images);
-- it is read in order, without shuffling, with its own input spec.
-- @param model a module returning class scores [B, K]
-- @param loader a `mien.data.loader` over the validation set
-- @tparam table opts `per_class` (8): mistakes kept per true class;
--   `classes` (the data set's): class names
-- @return `{classes=, matrix=, n=, correct=, mistakes={{index=, target=, pred=, confidence=}, ...}}`
--   (mistakes grouped by target, most confident first; index is into `loader.ds`),
--   or nil and the reason when the loader holds no uint8 images
function errors.collect(model, loader, opts)
  opts = opts or {}
  local ds = type(loader) == "table" and loader.ds
  if not (ds and mien.is_tensor(ds.images) and ds.images:dtype() == "uint8" and ds.images:dim() == 4) then
    return nil, "the validation loader holds no uint8 images"
  end
  local per_class = opts.per_class or 8
  local classes = opts.classes or ds.classes
  local k = #classes
  local ordered = loader_mod.new(ds, { batch = loader.batch, shuffle = false, augment = loader.augment,
    indices = loader.indices, seed = loader.seed, prefetch = false })
  local order = loader.indices or nil
  local matrix, by_class = {}, {}
  for i = 1, k do
    matrix[i], by_class[i] = {}, {}
    for j = 1, k do matrix[i][j] = 0 end
  end
  local n, right = 0, 0
  local was_training = model.training
  model:eval()
  mien.no_grad(function()
    for x, y in ordered() do
      local out = model(x)
      if out:dim() ~= 2 or out:size(2) ~= k then
        error(string.format("errors.collect: the model gives %s scores per image, not one per class (%d)",
          table.concat(out:shape(), "x"), k), 0)
      end
      local probs, targets = mien.F.softmax(out, 2):totable(), y:totable()
      for b, target in ipairs(targets) do
        n = n + 1
        local p, pred = probs[b], 1
        for j = 2, #p do if p[j] > p[pred] then pred = j end end
        if target < 1 or target > k or pred > k then
          error(string.format("errors.collect: label %d or prediction %d outside the %d classes", target, pred, k), 0)
        end
        matrix[target][pred] = matrix[target][pred] + 1
        if pred == target then
          right = right + 1
        else
          local list = by_class[target]
          list[#list + 1] = { index = order and order[n] or n, target = target, pred = pred, confidence = p[pred] }
        end
      end
    end
  end)
  if was_training then model:train() end
  local mistakes = {}
  for c = 1, k do
    table.sort(by_class[c], function(a, b) return a.confidence > b.confidence end)
    for r = 1, math.min(per_class, #by_class[c]) do mistakes[#mistakes + 1] = by_class[c][r] end
  end
  return { classes = classes, matrix = matrix, n = n, correct = right, mistakes = mistakes, ds = ds }
end

--- Write errors.json and one PNG per mistake (errors/c<class>_<rank>.png) into dir.
-- @param dir a run folder
-- @tparam table found the result of `errors.collect`
-- @return the path of errors.json
function errors.write(dir, found)
  fs.mkdir_p(dir .. "/errors")
  local rank, records = {}, {}
  for i, m in ipairs(found.mistakes) do
    rank[m.target] = (rank[m.target] or 0) + 1
    local name = string.format("errors/c%d_%d.png", m.target, rank[m.target])
    local tmp = dir .. "/" .. name:gsub("%.png$", ".tmp.png")
    mien.image.write(tmp, found.ds.images[m.index]:contiguous())
    local ok, err = os.rename(tmp, dir .. "/" .. name)
    if not ok then error("errors.write: cannot rename " .. tmp .. ": " .. tostring(err), 2) end
    records[i] = { index = m.index, target = m.target, pred = m.pred, confidence = m.confidence, image = name }
  end
  local path = dir .. "/errors.json"
  fs.write_atomic(path, json.encode {
    classes = found.classes, matrix = found.matrix, n = found.n, correct = found.correct, mistakes = records,
  } .. "\n")
  return path
end

return errors
