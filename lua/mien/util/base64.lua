--- Base64 (RFC 4648, with padding), for images embedded in HTML as data: URIs.
local base64 = {}

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local CHAR = {}
for i = 1, 64 do CHAR[i - 1] = ALPHABET:sub(i, i) end

--- Encode a byte string as base64.
-- @string s any bytes
-- @return the base64 text, padded with "=" to a multiple of 4 characters
-- @usage base64.encode("mien") --> "bWllbg=="
function base64.encode(s)
  local out, n = {}, #s
  for i = 1, n - 2, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a << 16 | b << 8 | c
    out[#out + 1] = CHAR[v >> 18] .. CHAR[v >> 12 & 63] .. CHAR[v >> 6 & 63] .. CHAR[v & 63]
  end
  local rest = n % 3
  if rest == 1 then
    local v = s:byte(n) << 16
    out[#out + 1] = CHAR[v >> 18] .. CHAR[v >> 12 & 63] .. "=="
  elseif rest == 2 then
    local a, b = s:byte(n - 1, n)
    local v = a << 16 | b << 8
    out[#out + 1] = CHAR[v >> 18] .. CHAR[v >> 12 & 63] .. CHAR[v >> 6 & 63] .. "="
  end
  return table.concat(out)
end

return base64
