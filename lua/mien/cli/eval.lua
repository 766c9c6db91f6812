--- mien eval CKPT --data DIR: accuracy and confusion matrix of a checkpoint.
return {
  summary = "Accuracy and confusion matrix of a checkpoint on an image folder.",
  configure = function(command)
    command:argument("checkpoint", "A checkpoint written by mien.train.fit (best.ckpt, last.ckpt).")
    command:option("--data", "Image folder with one sub-folder per class."):count(1)
    command:option("--batch", "Batch size.", "256", tonumber)
  end,
  main = function(a)
    local mien = require "mien"
    local recipe = require "mien.train.recipe"
    local model, r = recipe.load_model(a.checkpoint)
    local input = r.input or {}
    local ds = mien.data.image_folder(a.data, { size = input.size, channels = input.channels })
    local classes = r.classes or ds.classes
    if #ds.classes ~= #classes then
      error(string.format("%s has %d classes, the model %d", a.data, #ds.classes, #classes))
    end
    local spec = { size = input.size, channels = input.channels or 1, mean = input.mean or 0, std = input.std or 1 }
    local result = mien.train.evaluate(model, mien.data.loader(ds, { batch = a.batch, shuffle = false, augment = spec }),
      { keep_predictions = true })
    local cm = mien.metrics.confusion_matrix(result.preds, result.targets, #classes)
    print(string.format("%s: %d images, accuracy %.2f%%, loss %.4f", a.data, result.n, 100 * result.acc, result.loss))
    print(mien.metrics.classification_report(cm, classes))
    print(mien.metrics.format_confusion(cm, classes))
  end,
}
