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

--- One SGD update of parameter p in place (momentum, dampening, Nesterov).
-- @tparam Tensor p the parameter
-- @tparam Tensor grad its gradient (weight decay applied)
-- @tparam table st the parameter's state (momentum_buffer)
-- @tparam table g its group's hyper-parameters
function SGD:update(p, grad, st, g)
  local first = false
  local buf
  if g.momentum ~= 0 then
    buf = st.momentum_buffer
    if not buf then
      buf = mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() })
      st.momentum_buffer = buf
      first = true
    end
  end
  st.step = (st.step or 0) + 1
  core.sgd_update(p, grad, buf, { lr = g.lr, momentum = g.momentum, dampening = g.dampening,
    weight_decay = g.weight_decay, nesterov = g.nesterov, first = first })
end

return SGD
