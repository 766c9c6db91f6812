-- The network of examples/best_fer2013.lua, chosen for accuracy per FLOP on
-- 48x48 (or cropped 40x40/44x44) grey faces: a 3x3 stem at full resolution,
-- then stages of residual blocks (nn.ResBlock, or nn.SepResBlock with
-- block="sep"), each stage but the first halving the map, squeeze-excitation
-- in every block, global average pooling, dropout and the classifier.
--   local model = dofile("examples/fer_resnet.lua")({classes = 7})
--   opts: in_channels (1), classes (7), stem (32), widths ({64, 128, 256, 512}),
--         depths ({1, 1, 1, 1}), block ("res" or "sep"), se (4; 0 = none), dropout (0.3),
--         stem_pool (true: 2x2 max-pool after the stem)
local nn = require "mien.nn"

return function(opts)
  opts = opts or {}
  local widths = opts.widths or { 64, 128, 256, 512 }
  local depths = opts.depths or { 1, 1, 1, 1 }
  local stem = opts.stem or 32
  local Block = (opts.block or "res") == "sep" and nn.SepResBlock or nn.ResBlock
  local se = opts.se or 4
  local features = nn.Sequential(
    nn.Conv2d(opts.in_channels or 1, stem, 3, { padding = 1, bias = false }), nn.BatchNorm2d(stem), nn.ReLU())
  if opts.stem_pool ~= false then features:add(nn.MaxPool2d(2)) end
  local c = stem
  for s, w in ipairs(widths) do
    for d = 1, depths[s] or 1 do
      local stride = (d == 1 and s > 1) and 2 or 1
      features:add(Block(c, w, { stride = stride, se = se }))
      c = w
    end
  end
  local model = nn.Sequential()
  model:add_module("features", features)
  model:add_module("classifier", nn.Sequential(nn.GlobalAvgPool2d(), nn.Dropout(opts.dropout or 0.3),
    nn.Linear(c, opts.classes or 7)))
  return model
end
