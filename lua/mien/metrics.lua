--- Classification metrics on plain Lua tables, or on anything with a
-- :totable() method (mien tensors). Labels and classes are 1-based.
-- Zero divisions (a class never predicted, never present) give 0, as in
-- scikit-learn's default.
local args = require "mien.util.args"
local totable = require "mien.util.totable"
local text_table = require "mien.util.text_table"

local fail = args.fail
local metrics = {}

-- Validation helpers.

local function is_label(v)
  return type(v) == "number" and math.tointeger(v) ~= nil and v >= 1
end

local function array(x, name)
  x = totable(x)
  if type(x) ~= "table" or #x == 0 then
    fail(name .. " must be a non-empty array")
  end
  return x
end

local function matrix(x, name)
  x = array(x, name)
  local width = type(x[1]) == "table" and #x[1] or 0
  for i, row in ipairs(x) do
    if type(row) ~= "table" or #row ~= width or width == 0 then
      fail(name .. " must be a non-empty [N][C] array of equal-length rows (row " .. i .. ")")
    end
    for j, v in ipairs(row) do
      if type(v) ~= "number" then
        fail("%s[%d][%d] is not a number", name, i, j)
      end
    end
  end
  return x, width
end

local function same_length(a, b, na, nb)
  if #a ~= #b then
    fail("%s has %d entries but %s has %d", na, #a, nb, #b)
  end
end

-- Index of the largest value (the first one on ties; NaN never wins).
local function argmax(row)
  local best, best_i = -math.huge, 1
  for i, v in ipairs(row) do
    if v > best then
      best, best_i = v, i
    end
  end
  return best_i
end

-- Labels from an array of class labels, or from scores [N][C] via argmax.
local function labels(x, name)
  x = array(x, name)
  local out = {}
  if type(x[1]) == "table" then
    x = matrix(x, name)
    for i, row in ipairs(x) do
      out[i] = argmax(row)
    end
    return out
  end
  for i, v in ipairs(x) do
    if not is_label(v) then
      fail("%s[%d] = %s is not a class label (an integer >= 1)", name, i, tostring(v))
    end
    out[i] = math.tointeger(v)
  end
  return out
end

local function binary(x, name)
  x = array(x, name)
  local out = {}
  for i, v in ipairs(x) do
    if v == 1 or v == true then
      out[i] = true
    elseif v == 0 or v == false then
      out[i] = false
    else
      fail("%s[%d] = %s is not 0/1 or a boolean", name, i, tostring(v))
    end
  end
  return out
end

local function scores_array(x, name)
  x = array(x, name)
  for i, v in ipairs(x) do
    if type(v) ~= "number" or v ~= v then
      fail("%s[%d] = %s is not a number", name, i, tostring(v))
    end
  end
  return x
end

local function confusion(x)
  x = matrix(x, "cm")
  if #x ~= #x[1] then
    fail("cm must be square, got %dx%d", #x, #x[1])
  end
  for i, row in ipairs(x) do
    for j, v in ipairs(row) do
      if v < 0 then
        fail("cm[%d][%d] = %s is negative", i, j, tostring(v))
      end
    end
  end
  return x
end

local function names_for(class_names, n)
  if class_names == nil then
    local names = {}
    for c = 1, n do
      names[c] = tostring(c)
    end
    return names
  end
  class_names = totable(class_names)
  if type(class_names) ~= "table" or #class_names ~= n then
    fail("class_names must be an array of %d names", n)
  end
  local names = {}
  for c = 1, n do
    names[c] = tostring(class_names[c])
  end
  return names
end

local function ratio(a, b)
  return b > 0 and a / b or 0
end

local function f1_of(p, r)
  return ratio(2 * p * r, p + r)
end

-- Core computations (inputs already validated).

local function confusion_counts(pred, target, n)
  local cm = {}
  for i = 1, n do
    cm[i] = {}
    for j = 1, n do
      cm[i][j] = 0
    end
  end
  for i = 1, #target do
    cm[target[i]][pred[i]] = cm[target[i]][pred[i]] + 1
  end
  return cm
end

local function per_class(cm)
  local n = #cm
  local r = { precision = {}, recall = {}, f1 = {}, support = {} }
  local total, correct = 0, 0
  local macro = { precision = 0, recall = 0, f1 = 0 }
  local weighted = { precision = 0, recall = 0, f1 = 0 }
  local present = 0
  for c = 1, n do
    local support, predicted = 0, 0
    for k = 1, n do
      support = support + cm[c][k]
      predicted = predicted + cm[k][c]
    end
    local tp = cm[c][c]
    r.precision[c] = ratio(tp, predicted)
    r.recall[c] = ratio(tp, support)
    r.f1[c] = f1_of(r.precision[c], r.recall[c])
    r.support[c] = support
    total, correct = total + support, correct + tp
    -- Macro means run over classes seen as a target or a prediction
    -- (scikit-learn's default label set).
    if support > 0 or predicted > 0 then
      present = present + 1
      for _, key in ipairs { "precision", "recall", "f1" } do
        macro[key] = macro[key] + r[key][c]
      end
    end
    for _, key in ipairs { "precision", "recall", "f1" } do
      weighted[key] = weighted[key] + r[key][c] * support
    end
  end
  for _, key in ipairs { "precision", "recall", "f1" } do
    macro[key] = ratio(macro[key], present)
    weighted[key] = ratio(weighted[key], total)
  end
  r.macro, r.weighted = macro, weighted
  r.accuracy = ratio(correct, total)
  r.total = total
  return r
end

-- Points of the ROC curve: one per distinct score, so tied scores move
-- along a diagonal segment instead of an arbitrary staircase.
local function roc_points(scores, positive)
  local order = {}
  for i = 1, #scores do
    order[i] = i
  end
  table.sort(order, function(a, b)
    return scores[a] > scores[b]
  end)
  local n_pos, n_neg = 0, 0
  for _, p in ipairs(positive) do
    if p then
      n_pos = n_pos + 1
    else
      n_neg = n_neg + 1
    end
  end
  if n_pos == 0 or n_neg == 0 then
    return nil
  end
  local fpr, tpr, thresholds = { 0 }, { 0 }, { math.huge }
  local tp, fp = 0, 0
  for k, i in ipairs(order) do
    if positive[i] then
      tp = tp + 1
    else
      fp = fp + 1
    end
    local next_i = order[k + 1]
    if next_i == nil or scores[next_i] ~= scores[i] then
      fpr[#fpr + 1] = fp / n_neg
      tpr[#tpr + 1] = tp / n_pos
      thresholds[#thresholds + 1] = scores[i]
    end
  end
  return fpr, tpr, thresholds
end

local function trapezoid(x, y)
  local area = 0
  for i = 2, #x do
    area = area + (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2
  end
  return area
end

local function mean_defined(values)
  local sum, n = 0, 0
  for _, v in ipairs(values) do
    if v == v then
      sum, n = sum + v, n + 1
    end
  end
  return n > 0 and sum / n or 0 / 0
end

local function fmt_count(v)
  local i = math.tointeger(v)
  return i and string.format("%d", i) or string.format("%g", v)
end

-- Public API (wrapped at the end so argument errors blame the caller).

--- Fraction of pred equal to target. pred: labels [N] or scores [N][C].
function metrics.accuracy(pred, target)
  local p = labels(pred, "pred")
  local t = labels(target, "target")
  same_length(p, t, "pred", "target")
  local hits = 0
  for i = 1, #t do
    if p[i] == t[i] then
      hits = hits + 1
    end
  end
  return hits / #t
end

--- Mean and sample standard deviation (n - 1; 0 for a single value) of a
-- list of numbers: the run-to-run spread over seeds or folds. A NaN in
-- the list makes both NaN.
function metrics.mean_std(values)
  local v = array(values, "values")
  for i, x in ipairs(v) do
    if type(x) ~= "number" then
      fail("values[%d] = %s is not a number", i, tostring(x))
    end
  end
  local mean = 0
  for _, x in ipairs(v) do
    mean = mean + x
  end
  mean = mean / #v
  local ss = 0
  for _, x in ipairs(v) do
    ss = ss + (x - mean) ^ 2
  end
  return mean, #v > 1 and math.sqrt(ss / (#v - 1)) or 0
end

--- Mean per-class recall over the classes present in target.
function metrics.balanced_accuracy(pred, target)
  local p = labels(pred, "pred")
  local t = labels(target, "target")
  same_length(p, t, "pred", "target")
  local hits, support = {}, {}
  for i = 1, #t do
    support[t[i]] = (support[t[i]] or 0) + 1
    if p[i] == t[i] then
      hits[t[i]] = (hits[t[i]] or 0) + 1
    end
  end
  local sum, n = 0, 0
  for c, s in pairs(support) do
    sum, n = sum + (hits[c] or 0) / s, n + 1
  end
  return sum / n
end

--- Fraction of rows whose target is among the k highest scores. Ties are
-- broken by class index (lower first), so k = 1 agrees with argmax.
function metrics.topk_accuracy(scores, target, k)
  local s, n_classes = matrix(scores, "scores")
  local t = labels(target, "target")
  same_length(s, t, "scores", "target")
  if math.type(k) ~= "integer" or k < 1 or k > n_classes then
    fail("k must be an integer in 1..%d, got %s", n_classes, tostring(k))
  end
  local hits = 0
  for i, row in ipairs(s) do
    local c = t[i]
    if c > n_classes then
      fail("label %d out of range 1..%d", c, n_classes)
    end
    local rank = 1
    for j, v in ipairs(row) do
      if v > row[c] or (v == row[c] and j < c) then
        rank = rank + 1
      end
    end
    if rank <= k then
      hits = hits + 1
    end
  end
  return hits / #t
end

--- Counts [C][C]: cm[true][predicted]. n_classes defaults to the largest
-- label seen.
-- @param pred predicted labels [N] (1-based), or scores [N][C] (argmax taken)
-- @param target true labels [N] (1-based)
-- @tparam[opt] int n_classes the matrix size (default: the largest label)
-- @treturn table cm[true][predicted] counts, C x C
-- @usage local cm = mien.metrics.confusion_matrix(r.preds, r.targets, 7)
function metrics.confusion_matrix(pred, target, n_classes)
  local p = labels(pred, "pred")
  local t = labels(target, "target")
  same_length(p, t, "pred", "target")
  if n_classes == nil then
    n_classes = 0
    for i = 1, #t do
      n_classes = math.max(n_classes, p[i], t[i])
    end
  elseif math.type(n_classes) ~= "integer" or n_classes < 1 then
    fail("n_classes must be a positive integer, got " .. tostring(n_classes))
  end
  for i = 1, #t do
    local bad = p[i] > n_classes and p[i] or t[i] > n_classes and t[i]
    if bad then
      fail("label %d out of range 1..%d", bad, n_classes)
    end
  end
  return confusion_counts(p, t, n_classes)
end

--- Each row divided by its sum (rows summing to 0 stay 0).
function metrics.normalize_rows(cm)
  cm = confusion(cm)
  local out = {}
  for i, row in ipairs(cm) do
    local sum = 0
    for _, v in ipairs(row) do
      sum = sum + v
    end
    out[i] = {}
    for j, v in ipairs(row) do
      out[i][j] = ratio(v, sum)
    end
  end
  return out
end

--- { precision = {..}, recall = {..}, f1 = {..}, support = {..},
--   macro = {precision, recall, f1}, weighted = {..}, accuracy, total }
function metrics.precision_recall_f1(cm)
  return per_class(confusion(cm))
end

--- Text table in the layout of scikit-learn's classification_report.
-- @tparam table cm a confusion matrix
-- @tparam[opt] {string,...} class_names
-- @tparam[opt=2] int digits
-- @treturn string
function metrics.classification_report(cm, class_names, digits)
  cm = confusion(cm)
  local names = names_for(class_names, #cm)
  digits = digits or 2
  if math.type(digits) ~= "integer" or digits < 0 then
    fail("digits must be a non-negative integer")
  end
  local r = per_class(cm)
  local f = "%." .. digits .. "f"
  local function num(v)
    return string.format(f, v)
  end
  local rows = { { "", "precision", "recall", "f1-score", "support" }, {} }
  for c = 1, #cm do
    rows[#rows + 1] = { names[c], num(r.precision[c]), num(r.recall[c]), num(r.f1[c]), fmt_count(r.support[c]) }
  end
  rows[#rows + 1] = {}
  rows[#rows + 1] = { "accuracy", "", "", num(r.accuracy), fmt_count(r.total) }
  for _, avg in ipairs { "macro", "weighted" } do
    local m = r[avg]
    rows[#rows + 1] = { avg .. " avg", num(m.precision), num(m.recall), num(m.f1), fmt_count(r.total) }
  end
  return text_table.render(rows, { align = "rrrrr", gap = 4 })
end

--- Text table of the confusion matrix with class names; opts.normalize
-- shows row fractions, opts.digits their decimals (default 2).
-- @tparam table cm a confusion matrix (from confusion_matrix)
-- @tparam[opt] {string,...} class_names one name per class (default "1".."C")
-- @tparam[opt] table opts normalize (false: counts; true: row fractions), digits (2)
-- @treturn string
-- @usage print(mien.metrics.format_confusion(cm, ds.classes, {normalize = true}))
function metrics.format_confusion(cm, class_names, opts)
  cm = confusion(cm)
  local names = names_for(class_names, #cm)
  opts = args.expect(3, opts, "table?", "an options table {normalize=, digits=}") or {}
  local shown = opts.normalize and metrics.normalize_rows(cm) or cm
  local f = "%." .. (opts.digits or 2) .. "f"
  local header = { "true \\ pred" }
  for c = 1, #cm do
    header[c + 1] = names[c]
  end
  local rows = { header }
  for i, row in ipairs(shown) do
    local cells = { names[i] }
    for j, v in ipairs(row) do
      cells[j + 1] = opts.normalize and string.format(f, v) or fmt_count(v)
    end
    rows[#rows + 1] = cells
  end
  return text_table.render(rows)
end

--- Receiver operating characteristic for binary targets (0/1 or booleans;
-- higher score = more positive). Returns fpr, tpr, thresholds; the first
-- point is (0, 0) at threshold +inf, then one point per distinct score.
-- @param scores [N] numbers (higher: more positive)
-- @param targets [N] 0/1 or booleans
-- @treturn {number,...} fpr
-- @treturn {number,...} tpr
-- @treturn {number,...} thresholds
function metrics.roc_curve(scores, targets)
  local s = scores_array(scores, "scores")
  local t = binary(targets, "targets")
  same_length(s, t, "scores", "targets")
  local fpr, tpr, thresholds = roc_points(s, t)
  if not fpr then
    fail("targets need both positives and negatives")
  end
  return fpr, tpr, thresholds
end

--- Area under a curve by the trapezoid rule; x must be monotonic.
function metrics.auc(x, y)
  x = scores_array(x, "x")
  y = scores_array(y, "y")
  same_length(x, y, "x", "y")
  if #x < 2 then
    fail("need at least 2 points")
  end
  local rising, falling = true, true
  for i = 2, #x do
    rising = rising and x[i] >= x[i - 1]
    falling = falling and x[i] <= x[i - 1]
  end
  if not (rising or falling) then
    fail("x must be monotonic")
  end
  local area = trapezoid(x, y)
  return rising and area or -area
end

--- Area under the ROC curve of binary targets.
function metrics.roc_auc(scores, targets)
  local s = scores_array(scores, "scores")
  local t = binary(targets, "targets")
  same_length(s, t, "scores", "targets")
  local fpr, tpr = roc_points(s, t)
  if not fpr then
    fail("targets need both positives and negatives")
  end
  return trapezoid(fpr, tpr)
end

--- One-vs-rest ROC AUC per class from scores [N][C] and labels [N].
-- Returns { per_class = {..}, macro = mean }; a class absent from target
-- (or the only class present) has AUC NaN and is left out of the mean.
-- @param scores [N][C] class scores or probabilities
-- @param target [N] 1-based labels
-- @treturn table {per_class = {auc,...} (NaN for a class absent or alone), macro = the mean of the others}
function metrics.one_vs_rest_auc(scores, target)
  local s, n_classes = matrix(scores, "scores")
  local t = labels(target, "target")
  same_length(s, t, "scores", "target")
  for _, c in ipairs(t) do
    if c > n_classes then
      fail("label %d out of range 1..%d", c, n_classes)
    end
  end
  local per = {}
  for c = 1, n_classes do
    local column, positive = {}, {}
    for i, row in ipairs(s) do
      column[i], positive[i] = row[c], t[i] == c
    end
    local fpr, tpr = roc_points(column, positive)
    per[c] = fpr and trapezoid(fpr, tpr) or 0 / 0
  end
  return { per_class = per, macro = mean_defined(per) }
end

--- Per-label precision/recall/F1 for multi-label outputs (e.g. facial
-- action units): scores [N][L] are positive where >= threshold (default
-- 0.5); targets [N][L] are 0/1 or booleans. Returns { precision, recall,
-- f1, support (per label), macro = {..}, micro = {..} }.
function metrics.multilabel_precision_recall(scores, targets, threshold)
  local s, n_labels = matrix(scores, "scores")
  local t = array(targets, "targets")
  same_length(s, t, "scores", "targets")
  threshold = threshold or 0.5
  if type(threshold) ~= "number" then
    fail("threshold must be a number")
  end
  local tp, fp, fn = {}, {}, {}
  for l = 1, n_labels do
    tp[l], fp[l], fn[l] = 0, 0, 0
  end
  for i, row in ipairs(s) do
    local truth = binary(t[i], "targets[" .. i .. "]")
    if #truth ~= n_labels then
      fail("targets[%d] has %d labels, scores have %d", i, #truth, n_labels)
    end
    for l = 1, n_labels do
      local predicted = row[l] >= threshold
      if predicted and truth[l] then
        tp[l] = tp[l] + 1
      elseif predicted then
        fp[l] = fp[l] + 1
      elseif truth[l] then
        fn[l] = fn[l] + 1
      end
    end
  end
  local r = { precision = {}, recall = {}, f1 = {}, support = {} }
  local macro = { precision = 0, recall = 0, f1 = 0 }
  local sum_tp, sum_fp, sum_fn = 0, 0, 0
  for l = 1, n_labels do
    r.precision[l] = ratio(tp[l], tp[l] + fp[l])
    r.recall[l] = ratio(tp[l], tp[l] + fn[l])
    r.f1[l] = f1_of(r.precision[l], r.recall[l])
    r.support[l] = tp[l] + fn[l]
    for _, key in ipairs { "precision", "recall", "f1" } do
      macro[key] = macro[key] + r[key][l] / n_labels
    end
    sum_tp, sum_fp, sum_fn = sum_tp + tp[l], sum_fp + fp[l], sum_fn + fn[l]
  end
  local micro = { precision = ratio(sum_tp, sum_tp + sum_fp), recall = ratio(sum_tp, sum_tp + sum_fn) }
  micro.f1 = f1_of(micro.precision, micro.recall)
  r.macro, r.micro = macro, micro
  return r
end

--- Per-label report of a multi-label classifier (e.g. facial action units):
-- precision, recall and F1 at a threshold, ROC AUC (threshold-free; NaN
-- for a label whose targets are all one value) and support, one row per
-- label, then the macro averages (AUC over the defined ones) and micro P/R/F1.
-- @param scores [N][L] probabilities (tables or a tensor)
-- @param targets [N][L] 0/1 or booleans
-- @tparam[opt] table names the L label names (default "1", "2", ...)
-- @tparam[opt] table opts fields: threshold (0.5), digits (2)
-- @treturn string the text table
-- @treturn table {names=, precision=, recall=, f1=, auc=, support=, macro={precision=, recall=, f1=, auc=}, micro={...}}
-- @usage print((metrics.multilabel_report(probs, aus, {"AU1", "AU2", "AU4"})))
function metrics.multilabel_report(scores, targets, names, opts)
  opts = opts or {}
  local s, n_labels = matrix(scores, "scores")
  local t = array(targets, "targets")
  local r = metrics.multilabel_precision_recall(s, t, opts.threshold)
  names = names_for(names, n_labels)
  r.names, r.auc = names, {}
  for l = 1, n_labels do
    local column, positive, pos, neg = {}, {}, 0, 0
    for i, row in ipairs(s) do
      local v = t[i][l]
      local p = v == true or v == 1
      column[i], positive[i] = row[l], p
      if p then pos = pos + 1 else neg = neg + 1 end
    end
    r.auc[l] = (pos > 0 and neg > 0) and metrics.roc_auc(column, positive) or 0 / 0
  end
  r.macro.auc = mean_defined(r.auc)
  local f = "%." .. (opts.digits or 2) .. "f"
  local function num(v) return v ~= v and "-" or string.format(f, v) end
  local rows = { { "", "precision", "recall", "f1-score", "auc", "support" }, {} }
  for l = 1, n_labels do
    rows[#rows + 1] = { names[l], num(r.precision[l]), num(r.recall[l]), num(r.f1[l]), num(r.auc[l]),
      fmt_count(r.support[l]) }
  end
  rows[#rows + 1] = {}
  rows[#rows + 1] = { "macro avg", num(r.macro.precision), num(r.macro.recall), num(r.macro.f1), num(r.macro.auc), "" }
  rows[#rows + 1] = { "micro avg", num(r.micro.precision), num(r.micro.recall), num(r.micro.f1), "", "" }
  return text_table.render(rows, { align = "rrrrrr", gap = 4 }), r
end

return args.module("metrics", metrics)
