--- SGD with momentum, dampening, Nesterov and (L2) weight decay, PyTorch
-- semantics:  g = grad + wd * p;  buf = g on the first step, else
-- momentum * buf + (1 - dampening) * g;  g = nesterov and g + momentum * buf or buf;
-- p = p - lr * g.   optim.SGD(params, {lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=false})
local mien = require "mien"
local core = require "mien.core"
local Optimizer = require "mien.optim.optimizer"

local SGD = Optimizer.class("SGD", { lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false })

--- Check a parameter group's hyper-parameters (errors name the optimizer).
-- @tparam table g the group
-- @tparam string name the optimizer's name for messages
function SGD.check_group(g, name)
  assert(type(g.lr) == "number" and g.lr >= 0, name .. ": lr must be a number >= 0")
  assert(g.momentum >= 0, name .. ": momentum must be >= 0")
  if g.nesterov and (g.momentum <= 0 or g.dampening ~= 0) then
    error(name .. ": nesterov momentum needs momentum > 0 and dampening = 0", 4)
  end
end

-- The momentum buffer of p (nil without momentum) and whether it is new; counts the step.
local function advance(p, st, g)
  local first, buf = false, nil
  if g.momentum ~= 0 then
    buf = st.momentum_buffer
    if not buf then
      buf = mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() })
      st.momentum_buffer = buf
      first = true
    end
  end
  st.step = (st.step or 0) + 1
  return buf, first
end

local function opts(g, first)
  return { lr = g.lr, momentum = g.momentum, dampening = g.dampening, weight_decay = g.weight_decay,
    nesterov = g.nesterov, first = first }
end

--- One SGD update of parameter p in place (momentum, dampening, Nesterov).
-- @tparam Tensor p the parameter
-- @tparam Tensor grad its gradient (weight decay applied)
-- @tparam table st the parameter's state (momentum_buffer)
-- @tparam table g its group's hyper-parameters
function SGD:update(p, grad, st, g)
  local buf, first = advance(p, st, g)
  core.sgd_update(p, grad, buf, opts(g, first))
end

--- One SGD update of a group's parameters in place, in one multi-tensor
-- call per device, dtype and first step of the momentum buffer.
-- @tparam {Tensor,...} ps the parameters
-- @tparam {Tensor,...} grads their gradients
-- @tparam {table,...} sts their states
-- @tparam table g the group's hyper-parameters
function SGD:update_many(ps, grads, sts, g)
  local bufs, firsts = {}, {}
  for i, p in ipairs(ps) do bufs[i], firsts[i] = advance(p, sts[i], g) end
  for _, idx in ipairs(Optimizer.buckets(ps, function(i) return firsts[i] end)) do
    local P, G, B = {}, {}, {}
    for k, i in ipairs(idx) do P[k], G[k], B[k] = ps[i], grads[i], bufs[i] or false end
    core.sgd_update_many(P, G, g.momentum ~= 0 and B or nil, opts(g, firsts[idx[1]]))
  end
end

return SGD
