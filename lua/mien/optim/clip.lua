--- Gradient clipping on the gradients of a list of parameters (or a module).
--   optim.clip_grad_norm(params, max_norm, norm_type=2) -> the total norm
--     before clipping; when it exceeds max_norm every gradient is scaled by
--     max_norm / (total + 1e-6). norm_type may be math.huge (max |g|).
--   optim.clip_grad_value(params, v): clamps every gradient to [-v, v].
local core = require "mien.core"
local Optimizer = require "mien.optim.optimizer"

local M = {}

local function grads(params)
  if Optimizer.is_tensor(params) then params = { params } end
  if type(params) == "table" and rawget(params, "_params") ~= nil then params = params:parameters() end
  local out = {}
  for _, p in ipairs(params) do
    local g = p.grad
    if g then out[#out + 1] = { p, g } end
  end
  return out
end

--- Scale the gradients in place so that their joint norm is at most max_norm.
-- @param params a list of tensors, or a module
-- @tparam number max_norm
-- @tparam[opt=2] number norm_type p of the p-norm (math.huge: the max norm)
-- @treturn number the norm before clipping
-- @usage mien.optim.clip_grad_norm(net, 5.0)
function M.clip_grad_norm(params, max_norm, norm_type)
  assert(type(max_norm) == "number" and max_norm >= 0, "clip_grad_norm: max_norm must be a number >= 0")
  norm_type = norm_type or 2
  local list = grads(params)
  local total
  if norm_type == math.huge then
    total = 0
    for _, e in ipairs(list) do total = math.max(total, e[2]:abs():max():item()) end
  elseif norm_type == 2 then
    local s = 0
    for _, e in ipairs(list) do s = s + core.sum_squares(e[2]) end
    total = math.sqrt(s)
  else
    local s = 0
    for _, e in ipairs(list) do s = s + (e[2]:double():abs() ^ norm_type):sum():item() end
    total = s ^ (1 / norm_type)
  end
  local coef = max_norm / (total + 1e-6)
  if coef < 1 then
    for _, e in ipairs(list) do e[2]:mul_(coef) end
  end
  return total
end

--- Clamp every gradient element in place to [-clip_value, clip_value].
-- @param params a list of tensors, or a module
-- @tparam number clip_value >= 0
function M.clip_grad_value(params, clip_value)
  assert(type(clip_value) == "number" and clip_value >= 0, "clip_grad_value: the value must be a number >= 0")
  for _, e in ipairs(grads(params)) do
    local g = e[2]
    if g:is_contiguous() and g:device() == "cpu" then
      core.clamp_(g, -clip_value, clip_value)
    else
      e[1].grad = g:clamp(-clip_value, clip_value)
    end
  end
end

M.clip_grad_norm_ = M.clip_grad_norm
M.clip_grad_value_ = M.clip_grad_value
return M
