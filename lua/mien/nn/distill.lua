--- Knowledge distillation (Hinton et al. 2015): a student trained on a
-- teacher's softened class probabilities, mixed with the usual hard-label loss:
--   loss = alpha T^2 KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) CE(s, y)
-- t the teacher's logits (or log-probabilities: an ensemble averages
-- probabilities, give their log), s the student's logits, T the temperature;
-- T^2 keeps the soft term's gradients on the scale of the hard one's. The
-- KL is averaged over the batch; the teacher gets no gradient.
--   local loss = nn.distillation_loss(student_logits, teacher_logits, labels, {T = 4, alpha = 0.7})
--   mien.train.fit{..., loss = nn.DistillationLoss(teacher_fn, {T = 4}):as_loss()}
local mien = require "mien"
local Module = require "mien.nn.module"

local F = mien.F
local M = {}

local function check_opts(opts)
  local T, alpha = opts.T or 4, opts.alpha or 0.7
  if type(T) ~= "number" or not (T > 0) then error("distillation_loss: T must be a positive number", 3) end
  if type(alpha) ~= "number" or alpha < 0 or alpha > 1 then error("distillation_loss: alpha must be in [0, 1]", 3) end
  return T, alpha
end

--- The distillation loss of a batch.
-- @tparam Tensor student logits [B,C]
-- @tparam Tensor teacher logits [B,C] (or log-probabilities)
-- @tparam Tensor labels int64 [B] (1-based) or distributions [B,C] for the hard term (unused when alpha = 1)
-- @tparam[opt] table opts T (4), alpha (0.7: the soft term's share), label_smoothing (0, hard term)
-- @treturn Tensor scalar
-- @usage local loss = nn.distillation_loss(s, t, y, {T = 4, alpha = 0.7})
function M.distillation_loss(student, teacher, labels, opts)
  opts = opts or {}
  local T, alpha = check_opts(opts)
  if student:dim() ~= 2 or not teacher or teacher:dim() ~= 2 or student:size(1) ~= teacher:size(1)
    or student:size(2) ~= teacher:size(2) then
    error(string.format("distillation_loss: student [%s] and teacher [%s] must both be [B,C]",
      table.concat(student:shape(), ","), teacher and table.concat(teacher:shape(), ",") or "nil"), 2)
  end
  local soft_t, entropy = mien.no_grad(function()
    local tt = teacher:detach():to(student:dtype()) / T
    local p = F.softmax(tt, 2)
    -- the teacher's entropy (a constant) turns the soft cross entropy into the KL divergence
    return p, -(p * F.log_softmax(tt, 2)):sum():item() / student:size(1)
  end)
  local loss = (F.cross_entropy(student / T, soft_t) - entropy) * (alpha * T * T)
  if alpha < 1 then
    loss = loss + F.cross_entropy(student, labels, { label_smoothing = opts.label_smoothing or 0 }) * (1 - alpha)
  end
  return loss
end

local DistillationLoss = Module:extend("DistillationLoss")
--- A distillation loss against a teacher function of the student's input.
-- @tparam function teacher x -> teacher logits (or log-probabilities) [B,C], called without gradients
-- @tparam[opt] table opts T (4), alpha (0.7), label_smoothing (0)
function DistillationLoss:__init(teacher, opts)
  assert(type(teacher) == "function" or (type(teacher) == "table" and getmetatable(teacher)
    and getmetatable(teacher).__call), "DistillationLoss: teacher must be callable (x -> logits)")
  opts = opts or {}
  check_opts(opts)
  rawset(self, "teacher", teacher)
  rawset(self, "opts", opts)
end

--- The loss of student logits for input x and labels y.
-- @tparam Tensor student [B,C]
-- @tparam Tensor y labels [B] or distributions [B,C]
-- @tparam Tensor x the input the student saw
-- @treturn Tensor scalar
function DistillationLoss:forward(student, y, x)
  local teacher = mien.no_grad(function() return self.teacher(x) end)
  return M.distillation_loss(student, teacher, y, self.opts)
end

--- A loss function for mien.train.fit: fn(out, y, x).
-- @treturn function
function DistillationLoss:as_loss()
  return function(out, y, x) return self:forward(out, y, x) end
end
M.DistillationLoss = DistillationLoss

return M
