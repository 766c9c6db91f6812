-- Evaluate an ensemble of trained checkpoints (from-scratch and transfer models alike) on FER2013 PublicTest:
-- each member's accuracy and the accuracy of their averaged probabilities, with optional flip TTA.
--   scripts/mien run examples/ensemble_fer2013.lua --data ../shared/data/fer2013 \
--     runs/best_fer2013/last.ckpt runs/transfer_fer2013/best.ckpt --tta flip
local mien = require "mien"
local core = require "mien.core"
local argparse = require "argparse"

local p = argparse("ensemble_fer2013", "Accuracy of an ensemble of checkpoints on FER2013 PublicTest.")
p:argument("checkpoints", "Checkpoints written by mien.train.fit (with a recipe)."):args("+")
p:option("--data", "FER2013 folder with publictest/.", "../shared/data/fer2013")
p:option("--split", "The sub-folder to evaluate on.", "publictest")
p:option("--tta", "Test-time augmentation of every member: none or flip.", "flip")
p:option("--weights", "Member weights, comma-separated (default equal).")
local a = p:parse(arg)

local t0 = core.now()
local opts = { tta = a.tta == "flip" and { flip = true } or nil }
for i, path in ipairs(a.checkpoints) do opts[i] = path end
if a.weights then
  opts.weights = {}
  for w in a.weights:gmatch("[^,]+") do opts.weights[#opts.weights + 1] = tonumber(w) end
end
local ens = mien.ensemble(opts)
local r = ens:evaluate(a.data .. "/" .. a.split)
print(string.format("ensemble of %d (%s TTA): %s accuracy %.2f%% on %d images, %.1f s", #a.checkpoints, a.tta,
  a.split, 100 * r.acc, r.n, core.now() - t0))
