--- Emotions from action units by EMFACS-style prototypes: each emotion is a
-- set of AUs, and a face scores, for each emotion, the mean intensity of
-- that emotion's AUs -- so a partial match (some of the AUs, or all of them
-- weakly) gives a partial score, and several emotions can score at once.
local emfacs = {}

--- The emotions of the default prototypes, in this order.
emfacs.EMOTIONS = { "happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt" }

--- The default prototypes (emotion -> list of AUs). Contempt is a
-- unilateral 12+14; mien.au's AU14 measures the lip corners' asymmetry, so
-- it is unilateral by construction.
emfacs.PROTOTYPES = {
  happiness = { "AU6", "AU12" },
  sadness = { "AU1", "AU4", "AU15" },
  surprise = { "AU1", "AU2", "AU5", "AU26" },
  fear = { "AU1", "AU2", "AU4", "AU5", "AU7", "AU20", "AU26" },
  anger = { "AU4", "AU5", "AU7", "AU23" },
  disgust = { "AU9", "AU15", "AU16" },
  contempt = { "AU12", "AU14" },
}

local function intensity(aus, name)
  local v = aus[name]
  if v == nil then return 0 end
  if v == true then return 1 end
  if v == false then return 0 end
  if type(v) ~= "number" then error(string.format("au.to_emotion: %s must be a number or boolean, got %s", name, type(v)), 4) end
  return v < 0 and 0 or v > 1 and 1 or v
end

--- Scores each emotion's prototype against a face's AUs.
-- @tparam table aus AU name -> intensity in 0..1 (or true/false for
--   present/absent; an AU not given counts as absent), e.g. {AU6 = 1, AU12 = 0.8}
-- @tparam[opt] table opts fields: prototypes (emotion -> list of AU names;
--   default mien.au.PROTOTYPES), min_score (0: every emotion is returned)
-- @treturn table a list of {emotion=, score=, matched={AU names present}} sorted by score, best first
-- @usage au.to_emotion({AU6 = 1, AU12 = 1})[1].emotion --> "happiness"
function emfacs.to_emotion(aus, opts)
  opts = opts or {}
  if type(aus) ~= "table" then error("au.to_emotion: expected a table of AU intensities, got " .. type(aus), 2) end
  local prototypes = opts.prototypes or emfacs.PROTOTYPES
  local out = {}
  for emotion, list in pairs(prototypes) do
    if type(list) ~= "table" or #list == 0 then
      error("au.to_emotion: the prototype of '" .. tostring(emotion) .. "' must be a non-empty list of AUs", 2)
    end
    local sum, matched = 0, {}
    for _, name in ipairs(list) do
      local v = intensity(aus, name)
      sum = sum + v
      if v > 0 then matched[#matched + 1] = name end
    end
    local score = sum / #list
    if score >= (opts.min_score or 0) then out[#out + 1] = { emotion = emotion, score = score, matched = matched } end
  end
  table.sort(out, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.emotion < b.emotion
  end)
  return out
end

return emfacs
