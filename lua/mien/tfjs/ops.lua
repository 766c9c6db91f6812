--- (Intermediate copies are closed as soon as they are used: big tensors
-- otherwise wait for Lua's garbage collector, and fresh memory is slow.)
--
-- TensorFlow semantics on mien's NCHW ops: 'SAME'/'VALID'/explicit padding
-- for convolutions and pooling (TF pads asymmetrically: the extra row and
-- column go to the bottom and right), depthwise convolutions, TF-style
-- average pooling (padding excluded from the mean) and a differentiable
-- half-pixel bilinear resize (tf.image.resize / tfjs resizeBilinear with
-- halfPixelCenters). All functions take and return NCHW tensors and are
-- built on mien.F and tensor ops, so gradients flow through them.
local mien = require "mien"

local F = mien.F
local ops = {}

--- TF 'SAME' padding along one dim: pad_total = max((ceil(n/s)-1)*s + k_eff - n, 0),
-- before = pad_total // 2 (the odd one goes after).
function ops.same_pads(n, k, s, d)
  local keff = (k - 1) * (d or 1) + 1
  local out = (n + s - 1) // s
  local total = math.max((out - 1) * s + keff - n, 0)
  local before = total // 2
  return before, total - before
end

--- {top, bottom, left, right} for an input of size h x w under a TF padding
-- spec: "SAME", "VALID" or an explicit {top, bottom, left, right}.
function ops.pads(padding, h, w, kh, kw, sh, sw, dh, dw)
  if type(padding) == "table" then return padding end
  if padding == "VALID" or padding == "valid" then return { 0, 0, 0, 0 } end
  if padding == "SAME" or padding == "same" then
    local t, b = ops.same_pads(h, kh, sh, dh)
    local l, r = ops.same_pads(w, kw, sw, dw)
    return { t, b, l, r }
  end
  error("tfjs: unknown padding '" .. tostring(padding) .. "' (SAME, VALID or {top, bottom, left, right})", 3)
end

local function pair(v)
  if type(v) == "table" then return v[1], v[2] end
  return v or 1, v or 1
end

--- x NCHW, w [O, I/groups, kh, kw] (mien layout), b [O] or nil.
-- opts: stride (n or {h,w}), padding ("SAME" | "VALID" | {t,b,l,r}), dilation, groups.
function ops.conv2d(x, w, b, opts)
  opts = opts or {}
  local sh, sw = pair(opts.stride)
  local dh, dw = pair(opts.dilation)
  local p = ops.pads(opts.padding or "VALID", x:size(3), x:size(4), w:size(3), w:size(4), sh, sw, dh, dw)
  local conv_pad = { 0, 0 }
  local padded
  if p[1] == p[2] and p[3] == p[4] then
    conv_pad = { p[1], p[3] }
  elseif p[1] + p[2] + p[3] + p[4] > 0 then
    padded = F.pad(x, { p[3], p[4], p[1], p[2] })
  end
  local y = F.conv2d(padded or x, w, b, { stride = { sh, sw }, padding = conv_pad, dilation = { dh, dw },
    groups = opts.groups or 1 })
  if padded then padded:close() end -- frees the copy now (autograd keeps its own reference)
  return y
end

--- Depthwise convolution: w [C*M, 1, kh, kw] (TF's [kh, kw, C, M] rearranged;
-- output channel c*M + m), groups = C.
function ops.depthwise_conv2d(x, w, b, opts)
  opts = opts or {}
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.groups = x:size(2)
  return ops.conv2d(x, w, b, o)
end

--- face-api / tf.separableConv2d: depthwise (stride) then pointwise 1x1, plus bias.
function ops.separable_conv2d(x, dw, pw, b, opts)
  local y = ops.depthwise_conv2d(x, dw, nil, opts)
  local z = F.conv2d(y, pw, b)
  y:close()
  return z
end

--- Max pooling with TF padding: the padded cells never win (-inf).
function ops.max_pool2d(x, opts)
  local kh, kw = pair(opts.kernel_size)
  local sh, sw = pair(opts.stride or opts.kernel_size)
  local p = ops.pads(opts.padding or "VALID", x:size(3), x:size(4), kh, kw, sh, sw, 1, 1)
  if p[1] + p[2] + p[3] + p[4] == 0 then return F.max_pool2d(x, { kernel_size = { kh, kw }, stride = { sh, sw } }) end
  local padded = F.pad(x, { p[3], p[4], p[1], p[2] }, -math.huge)
  local y = F.max_pool2d(padded, { kernel_size = { kh, kw }, stride = { sh, sw } })
  padded:close()
  return y
end

--- Average pooling with TF padding: the mean is over the cells inside the
-- input only (TF never counts padding).
function ops.avg_pool2d(x, opts)
  local kh, kw = pair(opts.kernel_size)
  local sh, sw = pair(opts.stride or opts.kernel_size)
  local p = ops.pads(opts.padding or "VALID", x:size(3), x:size(4), kh, kw, sh, sw, 1, 1)
  local o = { kernel_size = { kh, kw }, stride = { sh, sw } }
  if p[1] + p[2] + p[3] + p[4] == 0 then return F.avg_pool2d(x, o) end
  local padded = F.pad(x, { p[3], p[4], p[1], p[2] })
  local count = mien.no_grad(function()
    local ones = mien.ones({ 1, 1, x:size(3), x:size(4) }, { dtype = x:dtype() })
    if x:device() ~= "cpu" then ones = ones:to(x:device()) end
    return F.avg_pool2d(F.pad(ones, { p[3], p[4], p[1], p[2] }), o)
  end)
  local sum = F.avg_pool2d(padded, o)
  padded:close()
  local y = sum / count
  sum:close()
  return y
end

--- The [out, n] matrix of half-pixel bilinear interpolation with edge clamping:
-- src = (i + 0.5) * n / out - 0.5 clamped to [0, n-1] (TF2 tf.image.resize).
function ops.bilinear_matrix(n, out, dtype)
  local rows = {}
  for i = 0, out - 1 do
    local row = {}
    for j = 1, n do row[j] = 0 end
    local src = (i + 0.5) * n / out - 0.5
    if src < 0 then src = 0 end
    if src > n - 1 then src = n - 1 end
    local i0 = math.floor(src)
    local i1 = math.min(i0 + 1, n - 1)
    local t = src - i0
    row[i0 + 1] = row[i0 + 1] + (1 - t)
    row[i1 + 1] = row[i1 + 1] + t
    rows[i + 1] = row
  end
  return mien.tensor(rows, { dtype = dtype or "float32" })
end

--- Bilinear resize of x [N, C, H, W] to [N, C, oh, ow] (two matrix products,
-- differentiable). Matches augment_batch's resize up to float rounding.
function ops.resize_bilinear(x, oh, ow)
  local h, w = x:size(3), x:size(4)
  if h == oh and w == ow then return x end
  local ry = ops.bilinear_matrix(h, oh, x:dtype())
  local rx = ops.bilinear_matrix(w, ow, x:dtype()):t():contiguous()
  if x:device() ~= "cpu" then
    ry, rx = ry:to(x:device()), rx:to(x:device())
  end
  local n, c = x:size(1), x:size(2)
  local y = x:reshape(n * c * h, w):matmul(rx)           -- [N*C*H, ow]
  y = y:reshape(n * c, h, ow)
  y = ry:matmul(y)                                       -- [N*C, oh, ow] (broadcast)
  return y:reshape(n, c, oh, ow)
end

return ops
