--- mien watch VIDEO [--model CKPT] [--out DIR]: the expression of every face
-- in a video, frame by frame (mien.watch).
return {
  summary = "Detect, track and classify every face of a video; write a CSV, timelines and an annotated video.",
  configure = function(command)
    command:argument("video", "A video file (any format libavformat reads).")
    command:option("--model", "A checkpoint written by mien.train.fit, or a pretrained model name "
      .. "(faceapi_expression: face-api's expression net; emotion_xception: a FER2013-trained net).",
      "faceapi_expression")
    command:option("--out", "Output folder (default runs/watch/<video name>).")
    command:option("--weights", "Folder of the face models (default $MIEN_WEIGHTS or ../shared/weights).")
    command:option("--every", "Process every k-th frame (the others keep the last results).", "1"):convert(math.tointeger)
    command:option("--detect-every", "Run the face detector on every k-th processed frame; in between each "
      .. "face's box follows its landmarks (faster; new faces appear at the next detection).", "1"):convert(math.tointeger)
    command:option("--dedup", "Skip a frame whose mean absolute difference (0..255) to the last processed one "
      .. "is below this; 0: process every frame.", "1.5"):convert(tonumber)
    command:option("--smooth", "Smoothing of each face's probabilities: ema, window or none.", "ema")
    command:option("--alpha", "EMA weight of the newest frame.", "0.4"):convert(tonumber)
    command:option("--window", "Frames averaged by --smooth window.", "5"):convert(math.tointeger)
    command:option("--min-score", "Face detection threshold.", "0.5"):convert(tonumber)
    command:option("--input-size", "The detector's input side (a multiple of 32; default 416, or the frame's "
      .. "own when smaller).", nil):convert(math.tointeger)
    command:option("--threads", "CPU threads (default: OpenMP's; on a loaded machine 1 is often faster for "
      .. "these small per-frame batches).", nil):convert(math.tointeger)
    command:flag("--no-video", "Do not write the annotated video.")
  end,
  main = function(a)
    local watch = require "mien.watch"
    if a.threads then require("mien").set_num_threads(a.threads) end
    local out = a.out or ("runs/watch/" .. a.video:match("([^/]*)$"):gsub("%.[^.]*$", ""))
    local s = watch.run(a.video, { model = a.model, out = out, dir = a.weights, every = a.every, detect_every = a.detect_every, dedup = a.dedup,
      smooth = a.smooth, alpha = a.alpha, window = a.window, min_score = a.min_score, input_size = a.input_size,
      video = not a.no_video, verbose = require("mien.core").isatty(2) })
    local st = s.stages
    print(string.format("%s: %d frames (%d processed), %d face track%s, %.1f s: %.1f frames/s", a.video, s.frames,
      s.processed, s.tracks, s.tracks == 1 and "" or "s", s.seconds, s.fps))
    print(string.format("  seconds: decode %.2f, detection %.2f, landmarks %.2f, classification %.2f, AUs %.2f, "
      .. "annotation+encoding %.2f", st.decode, st.detect, st.landmarks, st.classify, st.aus, st.encode))
    print("  wrote " .. s.csv .. (s.video and (", " .. s.video) or "") .. ", " .. #s.timelines .. " timeline(s)")
  end,
}
