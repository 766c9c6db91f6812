--- Test-time augmentation: a model's class probabilities averaged over
-- views of each image -- the image and its mirror image (flip), and
-- optionally crops (the centre crop, or ten crops: four corners and the
-- centre, each also mirrored). Models that end in global pooling take
-- crops of any size.
--   local p = mien.tta.predict(model, x, {flip = true})                 -- [B,C] probabilities
--   local r = mien.tta.evaluate(model, test_loader, {flip = true, crop = 40, ten_crop = true})
--   print(r.acc)
local mien = require "mien"
local args = require "mien.util.args"

local tta = {}

-- x mirrored left-right (dim 4 reversed)
local function flip(x)
  local w = x:size(4)
  local idx = {}
  for i = 1, w do idx[i] = w - i + 1 end
  return x:index_select(4, mien.tensor(idx, { dtype = "int64" }))
end
tta.flip = flip

--- The views of a batch the options ask for.
-- @tparam Tensor x [B,C,H,W]
-- @tparam[opt] table opts flip (true), crop (nil: the whole image; n: n x n crops), ten_crop (false:
-- the centre crop only; true: the four corners and the centre)
-- @treturn {Tensor,...}
function tta.views(x, opts)
  opts = opts or {}
  local bases = { x }
  if opts.crop then
    local c, h, w = opts.crop, x:size(3), x:size(4)
    if math.type(c) ~= "integer" or c < 1 or c > h or c > w then
      error(string.format("tta: crop %s does not fit %dx%d images", tostring(c), h, w), 3)
    end
    local function crop(y0, x0) return x:narrow(3, y0 + 1, c):narrow(4, x0 + 1, c):contiguous() end
    bases = { crop((h - c) // 2, (w - c) // 2) }
    if opts.ten_crop then
      for _, yx in ipairs { { 0, 0 }, { 0, w - c }, { h - c, 0 }, { h - c, w - c } } do
        bases[#bases + 1] = crop(yx[1], yx[2])
      end
    end
  end
  local out = {}
  for _, v in ipairs(bases) do
    out[#out + 1] = v
    if opts.flip ~= false then out[#out + 1] = flip(v) end
  end
  return out
end

--- Class probabilities averaged over the views of each image, in eval mode without gradients.
-- @param model a module (x -> logits [B,C])
-- @tparam Tensor x [B,C,H,W]
-- @tparam[opt] table opts flip (true), crop (nil), ten_crop (false): see tta.views
-- @treturn Tensor probabilities [B,C]
-- @usage local p = mien.tta.predict(model, x, {flip = true})
function tta.predict(model, x, opts)
  args.check("tta.predict", 1, model, "callable", "a model")
  opts = args.options("tta.predict", 3, opts, "{flip=, crop=, ten_crop=}")
  local was_training = model.training
  if model.eval then model:eval() end
  local p = mien.no_grad(function()
    local sum
    local views = tta.views(x, opts)
    for _, v in ipairs(views) do
      local pv = mien.F.softmax(model(v), 2)
      sum = sum and sum + pv or pv
    end
    return sum / #views
  end)
  if was_training then model:train() end
  return p
end

--- Accuracy of the averaged probabilities over a loader.
-- @param model a module
-- @param loader a loader of (x, y) batches, y 1-based class indices
-- @tparam[opt] table opts as for tta.predict, plus keep_predictions (false: also return preds, targets, probs)
-- @treturn table acc, n; with keep_predictions also preds, targets, probs (lists, 1-based)
function tta.evaluate(model, loader, opts)
  args.check("tta.evaluate", 2, loader, "callable", "a loader")
  opts = opts or {}
  local right, n, preds, targets, probs = 0, 0, {}, {}, {}
  for x, y in loader(1) do
    local p = tta.predict(model, x, opts)
    local hard = y:dim() == 2 and y:argmax(2) or y
    local pred = p:argmax(2)
    right = right + pred:eq(hard):sum():item()
    n = n + y:size(1)
    if opts.keep_predictions then
      local pt, yt, at = p:totable(), hard:totable(), pred:totable()
      for i = 1, #yt do preds[#preds + 1], targets[#targets + 1], probs[#probs + 1] = at[i], yt[i], pt[i] end
    end
  end
  return { acc = right / math.max(n, 1), n = n, preds = preds, targets = targets, probs = probs }
end

return tta
