--- Expression class names across data sets: one canonical name per basic
-- expression with the aliases the data sets use (FER2013 "angry", CK+
-- "anger", FER+ "happiness", JAFFE "HA", ...), and matching of two class
-- lists by name, so that a model trained on one data set is scored on
-- another with each class where it belongs.
local mien = require "mien"

local classes = {}

--- The canonical names (FER2013's image-folder names, plus contempt).
classes.CANONICAL = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "contempt" }

local ALIASES = {
  angry = { "anger", "angry", "mad", "an", "ang" },
  disgust = { "disgust", "disgusted", "di", "dis" },
  fear = { "fear", "fearful", "afraid", "scared", "fe", "fea" },
  happy = { "happy", "happiness", "joy", "ha", "hap" },
  sad = { "sad", "sadness", "sa" },
  surprise = { "surprise", "surprised", "su", "sur" },
  neutral = { "neutral", "calm", "ne", "neu" },
  contempt = { "contempt", "contemptuous", "co" },
}
local canonical_of = {}
for name, list in pairs(ALIASES) do
  for _, alias in ipairs(list) do canonical_of[alias] = name end
end

--- The canonical name of an expression class, or nil when it is not one.
-- Case, spaces, hyphens and underscores do not matter.
-- @string name a class name as a data set or checkpoint writes it
-- @treturn ?string the canonical name
-- @usage classes.canonical("Happiness") --> "happy"
function classes.canonical(name)
  local key = tostring(name):lower():gsub("[%s_%-]", "")
  return canonical_of[key]
end

--- Matches the classes of a data set against a model's, by name: each name
-- is looked up as written, else by its canonical name.
-- An unknown name (not in the other list and not an expression name) is an
-- error.
-- @tparam {string,...} data_classes the data set's class names
-- @tparam {string,...} model_classes the model's class names
-- @treturn table {to_model = {[data index] = model index or nil},
--   only_data = {names with no model class}, only_model = {names with no data class}}
function classes.match(data_classes, model_classes)
  local function keys(other)
    local exact, by_canon = {}, {}
    for i, name in ipairs(other) do exact[name] = i end
    for i, name in ipairs(other) do
      local c = classes.canonical(name)
      if c then by_canon[c] = i end
    end
    return exact, by_canon
  end
  local m_exact, m_canon = keys(model_classes)
  local function resolve(name, exact, canon, side)
    if exact[name] then return exact[name] end
    local c = classes.canonical(name)
    if not c then
      error(string.format("classes: unknown class name '%s' in the %s (not in the other list, and not one of %s or "
        .. "their aliases)", name, side, table.concat(classes.CANONICAL, ", ")), 3)
    end
    return canon[c]
  end
  local to_model, only_data, used = {}, {}, {}
  for i, name in ipairs(data_classes) do
    local j = resolve(name, m_exact, m_canon, "data set")
    to_model[i] = j
    if j then used[j] = true else only_data[#only_data + 1] = name end
  end
  local d_exact, d_canon = keys(data_classes)
  local only_model = {}
  for j, name in ipairs(model_classes) do
    resolve(name, d_exact, d_canon, "model")
    if not used[j] then only_model[#only_model + 1] = name end
  end
  return { to_model = to_model, only_data = only_data, only_model = only_model }
end

--- A data set relabelled into a model's classes, matched by name: images of
-- classes the model lacks are dropped.
-- @tparam Dataset ds the data set
-- @tparam {string,...} model_classes the model's class names
-- @treturn Dataset the relabelled data set (classes = model_classes)
-- @treturn table the match (see classes.match) with dropped = {name = count}
function classes.align(ds, model_classes)
  local m = classes.match(ds.classes, model_classes)
  local keep, labels, dropped = {}, {}, {}
  for i, y in ipairs(ds:labels_table()) do
    local j = m.to_model[y]
    if j then
      keep[#keep + 1], labels[#labels + 1] = i, j
    else
      dropped[ds.classes[y]] = (dropped[ds.classes[y]] or 0) + 1
    end
  end
  if #keep == 0 then
    error(string.format("classes: no class of the data set (%s) is a class of the model (%s)",
      table.concat(ds.classes, ", "), table.concat(model_classes, ", ")), 2)
  end
  local out = ds:subset(keep)
  out.labels = mien.tensor(labels, { dtype = "int64" })
  out.classes = model_classes
  out._labels = nil
  m.dropped = dropped
  return out, m
end

--- One line describing a match for logs: the classes one side lacks.
-- @tparam table m a result of classes.match or classes.align
-- @treturn ?string nil when both sides have the same classes
function classes.describe(m)
  local parts = {}
  if #m.only_data > 0 then
    local counts = {}
    for _, name in ipairs(m.only_data) do
      counts[#counts + 1] = m.dropped and string.format("%s (%d images dropped)", name, m.dropped[name] or 0) or name
    end
    parts[#parts + 1] = "not in the model: " .. table.concat(counts, ", ")
  end
  if #m.only_model > 0 then parts[#parts + 1] = "not in the data: " .. table.concat(m.only_model, ", ") end
  return #parts > 0 and table.concat(parts, "; ") or nil
end

return classes
