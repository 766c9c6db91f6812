--- Order of sweep trial records: successful trials best first (by their
-- objective, per mode), then failed ones; ties and failures by id.
local ranking = {}

--- The trials sorted best first (failed ones last).
-- @tparam {table,...} trials records with status and objective
-- @tparam string mode "max" or "min"
-- @treturn {table,...} a new list
function ranking.sort(trials, mode)
  local sorted = {}
  for i, t in ipairs(trials) do
    sorted[i] = t
  end
  table.sort(sorted, function(a, b)
    local ao = a.status == "ok" and a.objective or nil
    local bo = b.status == "ok" and b.objective or nil
    if ao and bo and ao ~= bo then
      return (mode == "min") == (ao < bo)
    elseif (ao == nil) ~= (bo == nil) then
      return ao ~= nil
    end
    return tostring(a.id) < tostring(b.id)
  end)
  return sorted
end

return ranking
