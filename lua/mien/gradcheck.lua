--- Central-difference gradient check in float64, like torch.autograd.gradcheck:
-- compares what backward() computes with (f(x+h) - f(x-h)) / 2h for every
-- element of every input that requires grad.
local mien = require "mien"

local function scalar_objective(fn, inputs, weights)
  local out = fn(table.unpack(inputs))
  if not weights then
    mien.manual_seed(1234567)
    weights = mien.randn(out:shape(), { dtype = "float64" })
  end
  return (out * weights):sum(), weights
end

-- Returns ok, max_error, message. opts: eps (1e-6), atol (1e-5), rtol (1e-4),
-- seed (re-applied before each evaluation so random ops like dropout repeat).
local function gradcheck(fn, inputs, opts)
  opts = opts or {}
  local eps, atol, rtol = opts.eps or 1e-6, opts.atol or 1e-5, opts.rtol or 1e-4
  local seed = opts.seed or 42
  for i, x in ipairs(inputs) do
    if mien.is_tensor(x) and x.requires_grad and x:dtype() ~= "float64" then
      error("gradcheck: input " .. i .. " must be float64, got " .. x:dtype(), 2)
    end
    if mien.is_tensor(x) then x.grad = nil end
  end
  local function eval(weights)
    mien.manual_seed(seed)
    return scalar_objective(fn, inputs, weights)
  end
  local _, weights = mien.no_grad(eval)
  local loss = eval(weights)
  loss:backward()
  local worst, where = 0, nil
  for i, x in ipairs(inputs) do
    if mien.is_tensor(x) and x.requires_grad then
      local analytic = x.grad and x.grad:reshape(-1) or mien.zeros({ x:numel() }, { dtype = "float64" })
      local flat = x:detach():view(-1)
      for k = 1, x:numel() do
        local v = flat[k]
        flat[k] = v + eps
        local up = mien.no_grad(eval, weights):item()
        flat[k] = v - eps
        local down = mien.no_grad(eval, weights):item()
        flat[k] = v
        local numeric = (up - down) / (2 * eps)
        local a = analytic[k]
        local err = math.abs(a - numeric)
        if err > atol + rtol * math.abs(numeric) and not where then
          where = string.format("input %d element %d: backward %.8g, numeric %.8g", i, k, a, numeric)
        end
        worst = math.max(worst, err)
      end
    end
  end
  if where then return false, worst, where end
  return true, worst, "ok"
end

return gradcheck
