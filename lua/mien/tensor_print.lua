--- tostring(tensor) in the Torch7 way: the values as aligned rows, 2-d slices
-- of larger tensors under a "(i,j,.,.)" header, then dtype and shape.
local core = require "mien.core"

local EDGE = 3        -- rows/slices shown at each end of a long dim
local MAX_ROWS = 20   -- dims longer than this are summarised

local function number_format(values, is_float)
  local maxabs, minabs, all_int = 0, math.huge, true
  for _, v in ipairs(values) do
    if v == v and math.abs(v) ~= math.huge then
      maxabs = math.max(maxabs, math.abs(v))
      if v ~= 0 then minabs = math.min(minabs, math.abs(v)) end
      if v ~= math.floor(v) then all_int = false end
    end
  end
  if not is_float or (all_int and maxabs < 1e9) then
    return function(v)
      if v ~= v then return "nan" end
      if math.abs(v) == math.huge then return v > 0 and "inf" or "-inf" end
      return string.format("%d", math.floor(v)) .. (is_float and "." or "")
    end
  end
  -- scientific when %.4f would hide a nonzero value (as in PyTorch: min < 1e-4)
  if maxabs >= 1e5 or (maxabs < 1e-3 and maxabs > 0) or minabs < 1e-4 then
    return function(v) return string.format("%.4e", v) end
  end
  return function(v) return string.format("%.4f", v) end
end

local function shown(n)
  if n <= MAX_ROWS then
    local idx = {}
    for i = 1, n do idx[#idx + 1] = i end
    return idx
  end
  local idx = {}
  for i = 1, EDGE do idx[#idx + 1] = i end
  idx[#idx + 1] = false -- an ellipsis
  for i = n - EDGE + 1, n do idx[#idx + 1] = i end
  return idx
end

-- Collect the values that will be printed (for a common width and format).
local function gather(t, out)
  if t:dim() == 0 then
    out[#out + 1] = t:item()
    return
  end
  if t:dim() == 1 then
    for _, i in ipairs(shown(#t)) do if i then out[#out + 1] = t[i] end end
    return
  end
  for _, i in ipairs(shown(#t)) do if i then gather(t[i], out) end end
end

local function matrix_lines(m, fmt, width, lines)
  if m:dim() == 1 then m = m:reshape(1, #m) end
  local rows, cols = shown(m:size(1)), shown(m:size(2))
  for _, i in ipairs(rows) do
    if not i then
      lines[#lines + 1] = " ..."
    else
      local row, cells = m[i], {}
      for _, j in ipairs(cols) do
        cells[#cells + 1] = j and string.format("%" .. width .. "s", fmt(row[j])) or "..."
      end
      lines[#lines + 1] = " " .. table.concat(cells, "  ")
    end
  end
end

local function slices(t, prefix, fmt, width, lines)
  if t:dim() == 2 then
    lines[#lines + 1] = "(" .. table.concat(prefix, ",") .. ",.,.) ="
    matrix_lines(t, fmt, width, lines)
    lines[#lines + 1] = ""
    return
  end
  for _, i in ipairs(shown(#t)) do
    if not i then
      lines[#lines + 1] = "..."
      lines[#lines + 1] = ""
    else
      prefix[#prefix + 1] = i
      slices(t[i], prefix, fmt, width, lines)
      prefix[#prefix] = nil
    end
  end
end

local function tensor_tostring(t)
  local shape = t:shape()
  local footer = string.format("[mien.Tensor %s of shape [%s]%s%s]", t:dtype(), table.concat(shape, ","),
    t:device() ~= "cpu" and (" on " .. t:device()) or "", t.requires_grad and ", requires_grad" or "")
  if t:device() ~= "cpu" then t = t:cpu() end
  local values = {}
  gather(t, values)
  local is_float = t:dtype() == "float32" or t:dtype() == "float64" or t:dtype() == "bfloat16"
  local fmt = number_format(values, is_float)
  local width = 1
  for _, v in ipairs(values) do width = math.max(width, #fmt(v)) end
  local lines = {}
  if t:numel() == 0 then
    lines[1] = "[]"
  elseif t:dim() == 0 then
    lines[1] = fmt(t:item())
  elseif t:dim() <= 2 then
    if t:dim() == 1 then
      for _, i in ipairs(shown(#t)) do
        lines[#lines + 1] = i and (" " .. string.format("%" .. width .. "s", fmt(t[i]))) or " ..."
      end
    else
      matrix_lines(t, fmt, width, lines)
    end
  else
    slices(t, {}, fmt, width, lines)
  end
  lines[#lines + 1] = footer
  return table.concat(lines, "\n")
end

local meta = getmetatable(core.zeros(1))
meta.__tostring = tensor_tostring
return tensor_tostring
