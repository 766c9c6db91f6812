--- RMSProp, PyTorch semantics:  g = grad + wd * p;  sq = alpha * sq + (1 - alpha) * g^2;
-- centered: ga = alpha * ga + (1 - alpha) * g, avg = sqrt(sq - ga^2) + eps, else
-- avg = sqrt(sq) + eps;  momentum > 0: buf = momentum * buf + g / avg, p = p - lr * buf;
-- else p = p - lr * g / avg.
--   optim.RMSProp(params, {lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false})
local mien = require "mien"
local core = require "mien.core"
local Optimizer = require "mien.optim.optimizer"

local RMSProp = Optimizer.class("RMSProp", { lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0,
  centered = false })

--- Check a parameter group's hyper-parameters (errors name the optimizer).
-- @tparam table g the group
-- @tparam string name the optimizer's name for messages
function RMSProp.check_group(g, name)
  assert(type(g.lr) == "number" and g.lr >= 0, name .. ": lr must be a number >= 0")
  assert(g.alpha >= 0, name .. ": alpha must be >= 0")
  assert(g.momentum >= 0, name .. ": momentum must be >= 0")
end

-- The state of p, created on its first step; counts the step.
local function advance(p, st, g)
  local function zeros() return mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() }) end
  if not st.square_avg then
    st.step = 0
    st.square_avg = zeros()
  end
  if g.centered and not st.grad_avg then st.grad_avg = zeros() end
  if g.momentum > 0 and not st.momentum_buffer then st.momentum_buffer = zeros() end
  st.step = st.step + 1
end

local function opts(g)
  return { lr = g.lr, alpha = g.alpha, eps = g.eps, weight_decay = g.weight_decay, momentum = g.momentum,
    centered = g.centered }
end

--- One RMSProp update of parameter p in place.
-- @tparam Tensor p the parameter
-- @tparam Tensor grad its gradient (weight decay applied)
-- @tparam table st the parameter's state (square_avg, ...)
-- @tparam table g its group's hyper-parameters
function RMSProp:update(p, grad, st, g)
  advance(p, st, g)
  core.rmsprop_update(p, grad, st.square_avg, g.centered and st.grad_avg or nil,
    g.momentum > 0 and st.momentum_buffer or nil, opts(g))
end

--- One RMSProp update of a group's parameters in place, in one multi-tensor
-- call per device and dtype.
-- @tparam {Tensor,...} ps the parameters
-- @tparam {Tensor,...} grads their gradients
-- @tparam {table,...} sts their states
-- @tparam table g the group's hyper-parameters
function RMSProp:update_many(ps, grads, sts, g)
  for i, p in ipairs(ps) do advance(p, sts[i], g) end
  for _, idx in ipairs(Optimizer.buckets(ps, function() return "" end)) do
    local P, G, S, A, B = {}, {}, {}, {}, {}
    for k, i in ipairs(idx) do
      local st = sts[i]
      P[k], G[k], S[k], A[k], B[k] = ps[i], grads[i], st.square_avg, st.grad_avg or false, st.momentum_buffer or false
    end
    core.rmsprop_update_many(P, G, S, g.centered and A or nil, g.momentum > 0 and B or nil, opts(g))
  end
end

return RMSProp
