--- mien eval CKPT --data DIR: accuracy and confusion matrix of a checkpoint.
-- The data set's classes are matched to the checkpoint's by name (with the
-- aliases of mien.data.classes), never by position.
return {
  summary = "Accuracy and confusion matrix of a checkpoint on an image folder or a labels CSV.",
  configure = function(command)
    command:argument("checkpoint", "A checkpoint written by mien.train.fit (best.ckpt, last.ckpt).")
    command:option("--data", "Image folder with one sub-folder per class, or a manifest CSV (path,label[,subject]).")
      :count(1)
    command:option("--batch", "Batch size.", "256", tonumber)
    command:option("--weights", "Folder of pretrained backbones for transfer models (default $MIEN_WEIGHTS or "
      .. "../shared/weights).")
  end,
  main = function(a)
    local mien = require "mien"
    local recipe = require "mien.train.recipe"
    local classes_of = require "mien.data.classes"
    local model, r = recipe.load_model(a.checkpoint, { weights = a.weights })
    local fmt = recipe.data_format(r)
    local read = a.data:lower():match("%.csv$") and mien.data.manifest or mien.data.image_folder
    local ds = read(a.data, { size = fmt.size, channels = fmt.channels })
    local classes = r.classes
    if classes then
      local order = table.concat(ds.classes, ",")
      local m
      ds, m = classes_of.align(ds, classes)
      local missing = classes_of.describe(m)
      if missing then print(string.format("classes matched by name; %s", missing))
      elseif order ~= table.concat(classes, ",") then print("classes matched by name (the data's order differs)") end
    else
      if #ds.classes ~= (model.output_dim or #ds.classes) then
        error(string.format("%s has %d classes, the model %d", a.data, #ds.classes, model.output_dim))
      end
      classes = ds.classes
      print("the checkpoint names no classes: the data's classes are taken in their order")
    end
    local result = mien.train.evaluate(model, mien.data.loader(ds, { batch = a.batch, shuffle = false,
      augment = recipe.input_spec(r) }), { keep_predictions = true })
    local cm = mien.metrics.confusion_matrix(result.preds, result.targets, #classes)
    print(string.format("%s: %d images, accuracy %.2f%%, loss %.4f", a.data, result.n, 100 * result.acc, result.loss))
    print(mien.metrics.classification_report(cm, classes))
    print(mien.metrics.format_confusion(cm, classes))
  end,
}
