--- JSON with deterministic output: keys sorted, floats with 17 significant
-- digits when needed so they round-trip exactly (lua-cjson caps precision at 14),
-- NaN/inf written as null. Decoding is delegated to lua-cjson.
local cjson = require "cjson"

local json = {}

-- A non-empty table whose keys are exactly 1..#t; empty tables encode as {}.
local function is_array(t)
  local n = #t
  if n == 0 then
    return false
  end
  local count = 0
  for _ in pairs(t) do
    count = count + 1
  end
  return count == n
end

local named_escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return named_escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

--- Shortest of %.15g..%.17g that reads back as the same float.
function json.number(x)
  for digits = 15, 16 do
    local s = string.format("%." .. digits .. "g", x)
    if tonumber(s) == x then
      return s
    end
  end
  return string.format("%.17g", x)
end

local function encode(v, out)
  local t = type(v)
  if t == "nil" then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    else
      out[#out + 1] = json.number(v)
    end
  elseif t == "string" then
    out[#out + 1] = encode_string(v)
  elseif t == "table" then
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then
          out[#out + 1] = ","
        end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then
          error("json.encode: object keys must be strings, got " .. type(k), 3)
        end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then
          out[#out + 1] = ","
        end
        out[#out + 1] = encode_string(k) .. ":"
        encode(v[k], out)
      end
      out[#out + 1] = "}"
    end
  else
    error("json.encode: cannot encode a " .. t, 3)
  end
end

--- JSON text of a Lua value (tables with 1..n keys are arrays; keys sorted, so the text is stable).
-- @param v
-- @treturn string
function json.encode(v)
  local out = {}
  encode(v, out)
  return table.concat(out)
end

-- cjson decodes null as a lightuserdata sentinel; turn it back into nil.
local function strip_null(v)
  if v == cjson.null then
    return nil
  end
  if type(v) == "table" then
    for k, x in pairs(v) do
      v[k] = strip_null(x)
    end
  end
  return v
end

--- The Lua value of JSON text (JSON null becomes nil).
-- @tparam string s
-- @return the value
function json.decode(s)
  return strip_null(cjson.decode(s))
end

return json
