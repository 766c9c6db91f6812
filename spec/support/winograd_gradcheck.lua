-- Run by spec/fuse_winograd_spec.lua with MIEN_CONV_ALGO=winograd2 or winograd4 in the environment (which
-- the process reads per convolution): gradcheck (float64) of conv2d's stride-1 3x3 and 5x5 cases, which then take
-- the Winograd path for the forward pass, the input gradient and the weight gradient (the 5x5 cases as
-- F(2x2,5x5) under either setting). Prints "ok" or the failure and exits 1.
local mien = require "mien"
local gradcheck = require "mien.gradcheck"
local cases = {
  { { 2, 3, 5, 7 }, { 4, 3, 3, 3 }, { padding = 1 } },
  { { 1, 2, 6, 6 }, { 3, 2, 3, 3 }, {} },
  { { 2, 2, 4, 5 }, { 2, 2, 3, 3 }, { padding = 2 } },
  { { 2, 3, 7, 6 }, { 2, 3, 5, 5 }, { padding = 2 } },
  { { 1, 2, 6, 9 }, { 3, 2, 5, 5 }, { padding = 1 } },
}
mien.manual_seed(5)
for k, c in ipairs(cases) do
  local x = mien.rand(c[1], { dtype = "float64" }):requires_grad_()
  local w = mien.rand(c[2], { dtype = "float64" }):requires_grad_()
  local b = mien.rand({ c[2][1] }, { dtype = "float64" }):requires_grad_()
  local ok, err, msg = gradcheck(function(a, ww, bb) return mien.F.conv2d(a, ww, bb, c[3]) end, { x, w, b })
  if not ok then
    print(string.format("case %d: %s (max error %.3g)", k, msg, err))
    os.exit(1)
  end
end
print("ok")
