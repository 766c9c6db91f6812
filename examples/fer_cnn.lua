-- The seed report's FER2013 CNN: four conv blocks (64 3x3, 128 5x5, 512 3x3, 512 3x3; each
-- BatchNorm, ReLU, 2x2 max-pool, dropout), then dense 256 and 512 (BatchNorm, ReLU, dropout)
-- and the 7-way classifier. 48x48 input -> 3x3x512 after the four pools.
--   local model = dofile("examples/fer_cnn.lua")({in_channels = 1, classes = 7})
local nn = require "mien.nn"

return function(opts)
  opts = opts or {}
  local p, w, size = opts.dropout or 0.25, opts.width or 1, opts.input_size or 48
  local c_in, ch = opts.in_channels or 1, {}
  local features = nn.Sequential()
  for i, spec in ipairs { { 64, 3 }, { 128, 5 }, { 512, 3 }, { 512, 3 } } do
    ch[i] = math.max(1, math.floor(spec[1] * w + 0.5))
    features:add(nn.Conv2d(i == 1 and c_in or ch[i - 1], ch[i], spec[2], { padding = spec[2] // 2 }))
      :add(nn.BatchNorm2d(ch[i])):add(nn.ReLU()):add(nn.MaxPool2d(2)):add(nn.Dropout(p))
    size = size // 2
  end
  local d1, d2 = math.max(1, math.floor(256 * w + 0.5)), math.max(1, math.floor(512 * w + 0.5))
  local classifier = nn.Sequential(nn.Flatten(), nn.Linear(ch[4] * size * size, d1), nn.BatchNorm1d(d1), nn.ReLU(),
    nn.Dropout(p), nn.Linear(d1, d2), nn.BatchNorm1d(d2), nn.ReLU(), nn.Dropout(p), nn.Linear(d2, opts.classes or 7))
  local model = nn.Sequential()
  model:add_module("features", features)
  model:add_module("classifier", classifier)
  return model
end
