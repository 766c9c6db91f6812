--- mien predict CKPT IMAGE... [--faces]: class probabilities of each image or face.
return {
  summary = "Class probabilities and the top class of each image.",
  configure = function(command)
    command:argument("checkpoint", "A checkpoint written by mien.train.fit.")
    command:argument("images", "Image files."):args("+")
    command:flag("--faces", "Find the faces in each photo, align them (eyes level) and classify each face.")
    command:option("--weights", "Folder of the face models for --faces and of transfer models' backbones (default "
      .. "$MIEN_WEIGHTS or ../shared/weights).")
  end,
  main = function(a)
    local mien = require "mien"
    local core = require "mien.core"
    local recipe = require "mien.train.recipe"
    local model, r = recipe.load_model(a.checkpoint, { weights = a.weights })
    model = model:fuse() -- BatchNorm folded, ReLU and pooling fused (mien.nn.fuse)
    local input = recipe.data_format(r) -- how the training images were read
    -- one row per image, or with --faces one per face found (aligned crops)
    local images, labels = {}, {}
    for _, path in ipairs(a.images) do
      if a.faces then
        local crops, faces = require("mien.face").crops(path, { size = input.size or 48,
          channels = input.channels or 1, dir = a.weights })
        if crops then images[#images + 1] = crops else print(path .. ": no face found") end
        for k, f in ipairs(faces) do
          labels[#labels + 1] = string.format("%s face %d at (%d, %d) %dx%d", path, k, math.floor(f.x), math.floor(f.y),
            math.floor(f.w), math.floor(f.h))
        end
      else
        local img = core.image_load(path, input.channels or 1)
        if input.size then
          local h, w = input.size, input.size
          if type(input.size) == "table" then h, w = input.size[1], input.size[2] end
          img = core.image_resize(img, h, w, "area")
        end
        images[#images + 1], labels[#labels + 1] = img:unsqueeze(1), path
      end
    end
    local probs = #images > 0
      and mien.no_grad(function() return mien.F.softmax(model(recipe.prepare(mien.cat(images, 1), r)), 2) end)
    for i, label in ipairs(labels) do
      local p = probs[i]:totable()
      local order = {}
      for c = 1, #p do order[c] = c end
      table.sort(order, function(x, y) return p[x] > p[y] end)
      local parts = {}
      for _, c in ipairs(order) do parts[#parts + 1] = string.format("%s %.3f", r.classes and r.classes[c] or c, p[c]) end
      print(string.format("%s: %s  (%s)", label, r.classes and r.classes[order[1]] or order[1], table.concat(parts, ", ")))
    end
  end,
}
