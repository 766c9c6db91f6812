local metrics = require "mien.metrics"

-- Stand-in for a mien tensor: only :totable() is used.
local function fake_tensor(t)
  return { totable = function()
    return t
  end }
end

local function near(expected, actual, tol)
  assert.is_true(math.abs(expected - actual) < (tol or 1e-9),
    string.format("expected %.12g, got %.12g", expected, actual))
end

local function near_all(expected, actual, tol)
  assert.are.equal(#expected, #actual)
  for i = 1, #expected do
    near(expected[i], actual[i], tol)
  end
end

-- Worked by hand:
--   class 1 (4 samples): predicted 1,1,2,2 -> row {2,2,0}
--   class 2 (3 samples): predicted 2,2,2   -> row {0,3,0}
--   class 3 (3 samples): predicted 3,3,1   -> row {1,0,2}
-- column sums 3,5,2: precision 2/3, 3/5, 1; recall 1/2, 1, 2/3;
-- f1 4/7, 3/4, 4/5; accuracy 7/10.
local target = { 1, 1, 1, 1, 2, 2, 2, 3, 3, 3 }
local pred = { 1, 1, 2, 2, 2, 2, 2, 3, 3, 1 }
local cm = { { 2, 2, 0 }, { 0, 3, 0 }, { 1, 0, 2 } }
local names = { "neutral", "happy", "sad" }

describe("mien.metrics", function()
  describe("accuracy", function()
    it("counts matches", function()
      near(0.7, metrics.accuracy(pred, target))
    end)

    it("takes the argmax of score rows and accepts tensors", function()
      local scores = fake_tensor { { 0.1, 0.9 }, { 0.8, 0.2 }, { 0.3, 0.7 } }
      near(2 / 3, metrics.accuracy(scores, fake_tensor { 2, 1, 1 }))
    end)

    it("rejects mismatched lengths and non-labels", function()
      assert.has_error(function()
        metrics.accuracy({ 1, 2 }, { 1 })
      end, "metrics.accuracy: pred has 2 entries but target has 1")
      assert.has_error(function()
        metrics.accuracy({ 1, 0 }, { 1, 1 })
      end, "metrics.accuracy: pred[2] = 0 is not a class label (an integer >= 1)")
      assert.has_error(function()
        metrics.accuracy({}, {})
      end, "metrics.accuracy: pred must be a non-empty array")
    end)
  end)

  it("balanced_accuracy is the mean recall over present classes", function()
    near((1 / 2 + 1 + 2 / 3) / 3, metrics.balanced_accuracy(pred, target))
    -- class 2 never appears in target: only classes 1 and 3 count
    near((1 + 0) / 2, metrics.balanced_accuracy({ 1, 1, 2 }, { 1, 1, 3 }))
  end)

  it("mean_std gives the mean and the sample standard deviation", function()
    local m, s = metrics.mean_std({ 2, 4, 4, 4, 5, 5, 7, 9 })
    near(5, m)
    near(math.sqrt(32 / 7), s)
    assert.are.same({ 3, 0 }, { metrics.mean_std({ 3 }) })
    local nm, ns = metrics.mean_std({ 1, 0 / 0 })
    assert.is_true(nm ~= nm and ns ~= ns)
    assert.has_error(function() metrics.mean_std({}) end, "metrics.mean_std: values must be a non-empty array")
    assert.has_error(function() metrics.mean_std({ 1, "x" }) end, "metrics.mean_std: values[2] = x is not a number")
  end)

  describe("topk_accuracy", function()
    -- ranks of the target: 2, 2, 2 (tie broken towards class 1), 3 (tie
    -- with class 1 ranks the target after it)
    local scores = { { 0.1, 0.7, 0.2 }, { 0.5, 0.3, 0.2 }, { 0.2, 0.2, 0.6 }, { 0.3, 0.3, 0.4 } }
    local t = { 3, 2, 1, 2 }

    it("counts targets within the k best scores", function()
      near(0, metrics.topk_accuracy(scores, t, 1))
      near(3 / 4, metrics.topk_accuracy(scores, t, 2))
      near(1, metrics.topk_accuracy(scores, t, 3))
    end)

    it("agrees with argmax accuracy for k = 1", function()
      near(metrics.accuracy(scores, t), metrics.topk_accuracy(scores, t, 1))
    end)

    it("validates k", function()
      assert.has_error(function()
        metrics.topk_accuracy(scores, t, 4)
      end, "metrics.topk_accuracy: k must be an integer in 1..3, got 4")
    end)
  end)

  describe("confusion_matrix", function()
    it("counts rows by true class", function()
      assert.are.same(cm, metrics.confusion_matrix(pred, target, 3))
      assert.are.same(cm, metrics.confusion_matrix(fake_tensor(pred), fake_tensor(target)))
    end)

    it("pads to n_classes", function()
      assert.are.same({ { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0 } }, metrics.confusion_matrix({ 1, 2 }, { 1, 2 }, 3))
    end)

    it("reports out-of-range labels at the caller", function()
      local ok, err = pcall(function()
        metrics.confusion_matrix({ 1, 9 }, { 1, 2 }, 7)
      end)
      assert.is_false(ok)
      assert.matches("metrics_spec%.lua:%d+: metrics%.confusion_matrix: label 9 out of range 1%.%.7$", err)
    end)
  end)

  it("normalize_rows divides by row sums and leaves empty rows at 0", function()
    local n = metrics.normalize_rows { { 2, 2, 0 }, { 0, 0, 0 }, { 1, 0, 3 } }
    near_all({ 0.5, 0.5, 0 }, n[1])
    near_all({ 0, 0, 0 }, n[2])
    near_all({ 0.25, 0, 0.75 }, n[3])
  end)

  describe("precision_recall_f1", function()
    local r = metrics.precision_recall_f1(cm)

    it("gives the per-class values worked by hand", function()
      near_all({ 2 / 3, 3 / 5, 1 }, r.precision)
      near_all({ 1 / 2, 1, 2 / 3 }, r.recall)
      near_all({ 4 / 7, 3 / 4, 4 / 5 }, r.f1)
      assert.are.same({ 4, 3, 3 }, r.support)
      near(0.7, r.accuracy)
    end)

    it("gives macro and support-weighted means", function()
      near(34 / 45, r.macro.precision)
      near(13 / 18, r.macro.recall)
      near(99 / 140, r.macro.f1)
      near(112 / 150, r.weighted.precision)
      near(0.7, r.weighted.recall)
      near(971 / 1400, r.weighted.f1)
    end)

    it("uses 0 for zero divisions and leaves unseen classes out of the macro mean", function()
      local z = metrics.precision_recall_f1 { { 2, 0, 0 }, { 1, 0, 0 }, { 0, 0, 0 } }
      near_all({ 2 / 3, 0, 0 }, z.precision)
      near_all({ 1, 0, 0 }, z.recall)
      near((2 / 3 + 0) / 2, z.macro.precision)
    end)

    it("rejects non-square matrices", function()
      assert.has_error(function()
        metrics.precision_recall_f1 { { 1, 2 } }
      end, "metrics.precision_recall_f1: cm must be square, got 1x2")
    end)
  end)

  describe("text tables", function()
    it("classification_report lays out scikit-learn style rows", function()
      local text = metrics.classification_report(cm, names)
      assert.matches("precision%s+recall%s+f1%-score%s+support", text)
      assert.matches("neutral%s+0%.67%s+0%.50%s+0%.57%s+4\n", text)
      assert.matches("happy%s+0%.60%s+1%.00%s+0%.75%s+3\n", text)
      assert.matches("sad%s+1%.00%s+0%.67%s+0%.80%s+3\n", text)
      assert.matches("accuracy%s+0%.70%s+10\n", text)
      assert.matches("macro avg%s+0%.76%s+0%.72%s+0%.71%s+10\n", text)
      assert.matches("weighted avg%s+0%.75%s+0%.70%s+0%.69%s+10\n", text)
      -- right-aligned: every data line ends at the same column
      local width
      for line in text:gmatch("[^\n]+") do
        width = width or #line
        assert.are.equal(width, #line)
      end
    end)

    it("classification_report honours digits and default names", function()
      assert.matches("1%s+0%.667%s+0%.500%s+0%.571%s+4\n", metrics.classification_report(cm, nil, 3))
    end)

    it("format_confusion shows counts or row fractions with class names", function()
      local counts = metrics.format_confusion(cm, names)
      assert.matches("true \\ pred%s+neutral%s+happy%s+sad\n", counts)
      assert.matches("\nhappy%s+0%s+3%s+0\n", counts)
      local fractions = metrics.format_confusion(cm, names, { normalize = true })
      assert.matches("\nneutral%s+0%.50%s+0%.50%s+0%.00\n", fractions)
      assert.matches("\nsad%s+0%.33%s+0%.00%s+0%.67\n", fractions)
    end)

    it("checks the number of class names", function()
      assert.has_error(function()
        metrics.format_confusion(cm, { "a", "b" })
      end, "metrics.format_confusion: class_names must be an array of 3 names")
    end)
  end)

  describe("ROC", function()
    -- Sorted by score: 0.9 P | 0.8 P,N (tie) | 0.7 P | 0.6 N,N (tie).
    -- Tied scores give one point each, joined by a diagonal.
    local scores = { 0.8, 0.6, 0.9, 0.7, 0.8, 0.6 }
    local targets = { 1, 0, 1, 1, 0, 0 }

    it("roc_curve handles ties with one point per distinct score", function()
      local fpr, tpr, thresholds = metrics.roc_curve(scores, targets)
      near_all({ 0, 0, 1 / 3, 1 / 3, 1 }, fpr)
      near_all({ 0, 1 / 3, 2 / 3, 1, 1 }, tpr)
      assert.are.same({ math.huge, 0.9, 0.8, 0.7, 0.6 }, thresholds)
    end)

    it("roc_auc equals the Mann-Whitney statistic with ties counted half", function()
      -- 9 positive/negative pairs: 3 + 2.5 + 2 wins = 7.5
      near(7.5 / 9, metrics.roc_auc(scores, targets))
      near(7.5 / 9, metrics.roc_auc(scores, { true, false, true, true, false, false }))
    end)

    it("gives the known values for perfect, reversed, tied and mixed rankings", function()
      near(1, metrics.roc_auc({ 0.9, 0.8, 0.3, 0.1 }, { 1, 1, 0, 0 }))
      near(0, metrics.roc_auc({ 0.1, 0.3, 0.8, 0.9 }, { 1, 1, 0, 0 }))
      near(0.5, metrics.roc_auc({ 0.5, 0.5, 0.5, 0.5 }, { 1, 0, 1, 0 }))
      near(0.75, metrics.roc_auc({ 0.1, 0.4, 0.35, 0.8 }, { 0, 0, 1, 1 }))
    end)

    it("needs both classes and 0/1 targets", function()
      assert.has_error(function()
        metrics.roc_curve({ 0.1, 0.2 }, { 1, 1 })
      end, "metrics.roc_curve: targets need both positives and negatives")
      assert.has_error(function()
        metrics.roc_auc({ 0.1, 0.2 }, { 1, 2 })
      end, "metrics.roc_auc: targets[2] = 2 is not 0/1 or a boolean")
    end)
  end)

  describe("auc", function()
    it("integrates by the trapezoid rule in either direction", function()
      near(0.5, metrics.auc({ 0, 1 }, { 0, 1 }))
      near(1.5, metrics.auc({ 0, 1, 2 }, { 1, 0.5, 1 }))
      near(1.5, metrics.auc({ 2, 1, 0 }, { 1, 0.5, 1 }))
    end)

    it("rejects non-monotonic x", function()
      assert.has_error(function()
        metrics.auc({ 0, 1, 0.5 }, { 0, 1, 1 })
      end, "metrics.auc: x must be monotonic")
    end)
  end)

  describe("one_vs_rest_auc", function()
    it("computes per-class AUC and the macro mean", function()
      local scores = {
        { 0.8, 0.1, 0.1 }, { 0.6, 0.3, 0.1 }, { 0.2, 0.7, 0.1 }, { 0.1, 0.2, 0.7 }, { 0.3, 0.3, 0.4 },
      }
      local r = metrics.one_vs_rest_auc(scores, { 1, 1, 2, 3, 2 })
      -- class 2: positives 0.7, 0.3 vs negatives 0.1, 0.3, 0.2 -> 5.5 / 6
      near_all({ 1, 5.5 / 6, 1 }, r.per_class)
      near((2 + 5.5 / 6) / 3, r.macro)
    end)

    it("gives NaN for a class absent from target and leaves it out of the mean", function()
      local r = metrics.one_vs_rest_auc({ { 0.9, 0.1, 0 }, { 0.2, 0.8, 0 } }, { 1, 2 })
      near(1, r.per_class[1])
      near(1, r.per_class[2])
      assert.is_true(r.per_class[3] ~= r.per_class[3])
      near(1, r.macro)
    end)
  end)

  describe("multilabel_precision_recall", function()
    local scores = { { 0.9, 0.2 }, { 0.6, 0.7 }, { 0.3, 0.8 }, { 0.1, 0.4 } }
    local targets = { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 0, 0 } }

    it("thresholds at 0.5 by default", function()
      -- label 1: tp 1, fp 1, fn 1; label 2: tp 2, fp 0, fn 0
      local r = metrics.multilabel_precision_recall(scores, targets)
      near_all({ 0.5, 1 }, r.precision)
      near_all({ 0.5, 1 }, r.recall)
      near_all({ 0.5, 1 }, r.f1)
      assert.are.same({ 2, 2 }, r.support)
      near(0.75, r.macro.f1)
      near(0.75, r.micro.precision)
    end)

    it("uses the given threshold", function()
      -- at 0.25: label 1 tp 2, fp 1; label 2 tp 2, fp 1 (0.4 counts)
      local r = metrics.multilabel_precision_recall(fake_tensor(scores), fake_tensor(targets), 0.25)
      near_all({ 2 / 3, 2 / 3 }, r.precision)
      near_all({ 1, 1 }, r.recall)
      near_all({ 0.8, 0.8 }, r.f1)
      near(4 / 6, r.micro.precision)
      near(1, r.micro.recall)
    end)

    it("checks shapes", function()
      assert.has_error(function()
        metrics.multilabel_precision_recall(scores, { { 1, 0 }, { 0, 1 }, { 1 }, { 0, 0 } })
      end, "metrics.multilabel_precision_recall: targets[3] has 1 labels, scores have 2")
    end)
  end)
end)
