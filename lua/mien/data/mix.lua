--- Batch-level mixing augmentations with soft targets: mixup (Zhang et al.
-- 2018: x = lam x_i + (1 - lam) x_j) and cutmix (Yun et al. 2019: a box of
-- x_j pasted into x_i, lam = the share of x_i left), pairing each image with
-- another of a shuffled copy of the batch. The targets become distributions
-- [B,C] (lam y_i + (1 - lam) y_j), which mien.F.cross_entropy takes, with
-- label smoothing if wanted. Draws depend only on (seed, step), so a resumed
-- run mixes the same way.
--   local mix = mien.data.mix {classes = 7, mixup = 0.2, cutmix = 1.0, prob = 0.8}
--   x, y = mix(x, y, step)            -- or mien.train.fit{mix = mix, ...}
local mien = require "mien"
local prng = require "mien.util.prng"
local args = require "mien.util.args"

local Mix = {}
Mix.__index = Mix
Mix.__name = "Mix"

-- Gamma(a, 1) by Marsaglia and Tsang (2000); a < 1 through Gamma(a + 1) u^(1/a).
local function gamma(r, a)
  if a < 1 then
    local u = r:float()
    while u == 0 do u = r:float() end
    return gamma(r, a + 1) * u ^ (1 / a)
  end
  local d = a - 1 / 3
  local c = 1 / math.sqrt(9 * d)
  while true do
    local z, v
    repeat
      z = r:normal()
      v = 1 + c * z
    until v > 0
    v = v * v * v
    local u = r:float()
    if u > 0 and math.log(u) < 0.5 * z * z + d - d * v + d * math.log(v) then return d * v end
  end
end

--- A Beta(a, a) draw from a prng stream.
-- @param r a mien.util.prng generator
-- @number a > 0
-- @treturn number in [0, 1]
local function beta(r, a)
  local g1 = gamma(r, a)
  local g2 = gamma(r, a)
  if g1 + g2 == 0 then return 0.5 end
  return g1 / (g1 + g2)
end

--- A mixer for mini-batches.
-- @tparam table opts classes (required with integer labels), mixup (alpha of Beta(alpha, alpha); 0 = off;
-- default 0.2), cutmix (alpha; 0 = off; default 0), prob (1: the share of batches mixed at all),
-- switch (0.5: with both on, the share of mixed batches that use cutmix), seed (0)
-- @treturn Mix callable mix(x, y, step) -> x, y
local function new(opts)
  opts = args.options("mix", 1, opts, "{classes=, mixup=, cutmix=, prob=, switch=, seed=}")
  local self = setmetatable({ classes = opts.classes, mixup = opts.mixup or 0.2, cutmix = opts.cutmix or 0,
    prob = opts.prob or 1, switch = opts.switch or 0.5, seed = opts.seed or 0 }, Mix)
  for _, k in ipairs { "mixup", "cutmix" } do
    if type(self[k]) ~= "number" or self[k] < 0 then error("mix: " .. k .. " must be a number >= 0", 2) end
  end
  for _, k in ipairs { "prob", "switch" } do
    if type(self[k]) ~= "number" or self[k] < 0 or self[k] > 1 then error("mix: " .. k .. " must be in [0, 1]", 2) end
  end
  if self.classes ~= nil and (math.type(self.classes) ~= "integer" or self.classes < 1) then
    error("mix: classes must be a positive integer", 2)
  end
  return self
end

--- Class indices [B] (1-based int64) as one-hot rows [B,C] of x's dtype, or y itself when it already is [B,C].
-- @tparam Tensor y
-- @tparam Tensor like a tensor of the wanted dtype
-- @treturn Tensor
function Mix:soft_targets(y, like)
  if y:dim() == 2 then return y:to(like:dtype()) end
  if not self.classes then error("mix: integer labels need the class count (mix{classes=...})", 3) end
  local rows = {}
  for i, c in ipairs(y:totable()) do
    if math.type(c) ~= "integer" or c < 1 or c > self.classes then
      error(string.format("mix: label %s at position %d is outside 1..%d", tostring(c), i, self.classes), 3)
    end
    local row = {}
    for k = 1, self.classes do row[k] = k == c and 1 or 0 end
    rows[i] = row
  end
  return mien.tensor(rows, { dtype = like:dtype() })
end

--- What the batch at `step` gets: nil (left alone), or {kind = "mixup"|"cutmix", lam =, perm = {...},
-- box = {y0, x0, h, w} (0-based, cutmix only)}; lam is the share of the image's own target.
-- @int b batch size
-- @int h image height
-- @int w image width
-- @int step the training step (a new draw per step)
-- @treturn table|nil
function Mix:draw(b, h, w, step)
  local r = prng.new(self.seed, step)
  if r:float() >= self.prob or (self.mixup == 0 and self.cutmix == 0) or b < 2 then return nil end
  local kind
  if self.mixup > 0 and self.cutmix > 0 then
    kind = r:float() < self.switch and "cutmix" or "mixup"
  else
    kind = self.cutmix > 0 and "cutmix" or "mixup"
  end
  local lam = beta(r, kind == "cutmix" and self.cutmix or self.mixup)
  local perm = prng.range(b)
  r:shuffle(perm)
  local d = { kind = kind, lam = lam, perm = perm }
  if kind == "cutmix" then
    local cut = math.sqrt(1 - lam)
    local bh, bw = math.floor(h * cut), math.floor(w * cut)
    local cy, cx = r:int(0, h - 1), r:int(0, w - 1)
    local y0, y1 = math.max(0, cy - bh // 2), math.min(h, cy + bh - bh // 2)
    local x0, x1 = math.max(0, cx - bw // 2), math.min(w, cx + bw - bw // 2)
    d.box = { y0, x0, y1 - y0, x1 - x0 }
    d.lam = 1 - (y1 - y0) * (x1 - x0) / (h * w) -- the area actually kept
  end
  return d
end

--- Mix a batch.
-- @tparam Tensor x [B,C,H,W] (or [B,F] for mixup)
-- @tparam Tensor y class indices [B] (1-based) or distributions [B,K]
-- @int step the training step
-- @treturn Tensor x mixed
-- @treturn Tensor y: distributions [B,K] (y unchanged when the batch is not mixed)
function Mix:__call(x, y, step)
  local b = x:size(1)
  local h, w = x:dim() == 4 and x:size(3) or 1, x:dim() == 4 and x:size(4) or 1
  local d = self:draw(b, h, w, step or 0)
  if not d then return x, y end
  if d.kind == "cutmix" and x:dim() ~= 4 then error("mix: cutmix needs [B,C,H,W] images", 2) end
  return mien.no_grad(function()
    local perm = mien.tensor(d.perm, { dtype = "int64" })
    local xp = x:index_select(1, perm)
    local t = self:soft_targets(y, x)
    local tp = t:index_select(1, perm)
    local mixed
    if d.kind == "mixup" then
      mixed = x * d.lam + xp * (1 - d.lam)
    else
      local y0, x0, bh, bw = table.unpack(d.box)
      local rows = {}
      for i = 1, h do
        local row = {}
        for j = 1, w do row[j] = (i > y0 and i <= y0 + bh and j > x0 and j <= x0 + bw) and 1 or 0 end
        rows[i] = row
      end
      local m = mien.tensor({ { rows } }, { dtype = x:dtype() })
      mixed = x * (1 - m) + xp * m
    end
    return mixed, t * d.lam + tp * (1 - d.lam)
  end)
end

function Mix:__tostring()
  return string.format("Mix(mixup=%g, cutmix=%g, prob=%g, switch=%g)", self.mixup, self.cutmix, self.prob,
    self.switch)
end

return setmetatable({ new = new, Mix = Mix, beta = beta }, { __call = function(_, ...) return new(...) end })
