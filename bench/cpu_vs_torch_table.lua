-- The table of bench/cpu_vs_torch.sh: reads its JSON lines (one per run of
-- bench/train_fercnn.lua --steps or bench/torch_fercnn.py) and prints, per
-- width, threads and task, the median images/s of every mode and the ratio
-- of mien's best mode to PyTorch's best, then which kernels each side ran.
--   lua5.4 bench/cpu_vs_torch_table.lua RESULTS   (package.path must reach lua/)
local json = require "mien.util.json"

local function median(xs)
  if #xs == 0 then return nil end
  table.sort(xs)
  local n = #xs
  return n % 2 == 1 and xs[(n + 1) // 2] or (xs[n // 2] + xs[n // 2 + 1]) / 2
end

local runs, kernels, order = {}, {}, {}
local path = arg[1] or error("usage: cpu_vs_torch_table.lua RESULTS")
for line in io.lines(path) do
  local ok, r = pcall(json.decode, line)
  if ok and type(r) == "table" and r.side then
    local key = string.format("%g|%d", r.width, r.threads)
    if not runs[key] then
      runs[key] = {}
      order[#order + 1] = { key = key, width = r.width, threads = r.threads }
    end
    local function add(mode, task, v)
      if not v then return end
      local k = mode .. "|" .. task
      runs[key][k] = runs[key][k] or {}
      table.insert(runs[key][k], v)
    end
    local mode = r.side .. " " .. r.precision
    add(mode, "train", r.train_img_s)
    add(mode, "infer", r.infer_img_s)
    if r.infer_fused_img_s then add(r.side .. " " .. r.precision .. " fused", "infer", r.infer_fused_img_s) end
    kernels[r.side] = kernels[r.side] or { version = r.version, kernels = r.kernels, batch = {} }
    kernels[r.side].batch.train, kernels[r.side].batch.infer = r.train_batch, r.infer_batch
  end
end
table.sort(order, function(a, b)
  if a.width ~= b.width then return a.width > b.width end
  return a.threads < b.threads
end)

local cols = { "mien fp32", "mien bf16", "mien fp32 fused", "mien bf16 fused", "torch fp32", "torch bf16" }
local function fmt(v)
  if not v then return "n/a" end
  return string.format(v >= 100 and "%.0f" or "%.1f", v)
end
print("FER CNN images/s, median of the interleaved runs (n/a: not in this build; fused: inference only)")
print("| width | threads | task | " .. table.concat(cols, " | ") .. " | mien best / torch best |")
print("|---|---|---|" .. string.rep("---|", #cols) .. "---|")
for _, o in ipairs(order) do
  for _, task in ipairs { "train", "infer" } do
    local cells, best = {}, { mien = nil, torch = nil }
    for i, c in ipairs(cols) do
      local xs = runs[o.key][c .. "|" .. task]
      local m = xs and median(xs)
      cells[i] = (task == "train" and c:find("fused", 1, true)) and "-" or fmt(m)
      local side = c:match("^(%a+)")
      if m and (not best[side] or m > best[side]) then best[side] = m end
    end
    local ratio = best.mien and best.torch and string.format("%.2f", best.mien / best.torch) or "n/a"
    print(string.format("| %g | %d | %s | %s | %s |", o.width, o.threads, task, table.concat(cells, " | "), ratio))
  end
end

local function flat(t)
  local keys, parts = {}, {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    parts[#parts + 1] = k .. "=" .. (type(v) == "number" and string.format("%g", v) or tostring(v))
  end
  return table.concat(parts, ", ")
end
for _, side in ipairs { "mien", "torch" } do
  local k = kernels[side]
  if k then
    print(string.format("%s %s: %s; batch %g train, %g inference", side, k.version, flat(k.kernels), k.batch.train,
      k.batch.infer))
  end
end
