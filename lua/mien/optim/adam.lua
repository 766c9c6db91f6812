--- Adam and AdamW with bias correction (optionally AMSGrad), PyTorch semantics.
-- Adam adds weight_decay * p to the gradient (L2); AdamW decays the weights
-- directly: p = p * (1 - lr * weight_decay) before the Adam step.
--   optim.Adam(params, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=0, amsgrad=false})
--   optim.AdamW(params, {lr=1e-3, betas={0.9, 0.999}, eps=1e-8, weight_decay=1e-2, amsgrad=false})
-- State per parameter: step, exp_avg, exp_avg_sq (and max_exp_avg_sq).
local mien = require "mien"
local core = require "mien.core"
local Optimizer = require "mien.optim.optimizer"

local M = {}

local function make(name, decoupled, default_wd)
  local C = Optimizer.class(name, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = default_wd,
    amsgrad = false })

  function C.check_group(g, n)
    assert(type(g.lr) == "number" and g.lr >= 0, n .. ": lr must be a number >= 0")
    assert(type(g.betas) == "table" and #g.betas == 2, n .. ": betas must be a {beta1, beta2} pair")
    for i = 1, 2 do
      assert(g.betas[i] >= 0 and g.betas[i] < 1, n .. ": betas must be in [0, 1)")
    end
    assert(g.eps >= 0, n .. ": eps must be >= 0")
  end

  -- The state of p, created on its first step; counts the step.
  local function advance(p, st, g)
    if not st.exp_avg then
      st.step = 0
      st.exp_avg = mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() })
      st.exp_avg_sq = mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() })
    end
    if g.amsgrad and not st.max_exp_avg_sq then st.max_exp_avg_sq = mien.zeros(p:shape(), { dtype = p:dtype(), device = p:device() }) end
    st.step = st.step + 1
  end

  local function opts(g, step)
    return { lr = g.lr, beta1 = g.betas[1], beta2 = g.betas[2], eps = g.eps, weight_decay = g.weight_decay,
      step = step, amsgrad = g.amsgrad, decoupled = decoupled }
  end

  --- One update of parameter p in place.
  -- @tparam Tensor p the parameter
  -- @tparam Tensor grad its gradient
  -- @tparam table st the parameter's state (step, exp_avg, exp_avg_sq, max_exp_avg_sq)
  -- @tparam table g its group's hyper-parameters
  function C:update(p, grad, st, g)
    advance(p, st, g)
    core.adam_update(p, grad, st.exp_avg, st.exp_avg_sq, g.amsgrad and st.max_exp_avg_sq or nil, opts(g, st.step))
  end

  --- One update of a group's parameters in place, in one multi-tensor call
  -- per device, dtype and step count.
  -- @tparam {Tensor,...} ps the parameters
  -- @tparam {Tensor,...} grads their gradients
  -- @tparam {table,...} sts their states
  -- @tparam table g the group's hyper-parameters
  function C:update_many(ps, grads, sts, g)
    for i, p in ipairs(ps) do advance(p, sts[i], g) end
    for _, idx in ipairs(Optimizer.buckets(ps, function(i) return sts[i].step end)) do
      local P, G, M, V, VM = {}, {}, {}, {}, {}
      for k, i in ipairs(idx) do
        local st = sts[i]
        P[k], G[k], M[k], V[k], VM[k] = ps[i], grads[i], st.exp_avg, st.exp_avg_sq, st.max_exp_avg_sq or false
      end
      core.adam_update_many(P, G, M, V, g.amsgrad and VM or nil, opts(g, sts[idx[1]].step))
    end
  end

  return C
end

M.Adam = make("Adam", false, 0)
M.AdamW = make("AdamW", true, 1e-2)
return M
