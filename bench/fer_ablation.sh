#!/bin/sh
# Short-run ablation of examples/best_fer2013.lua: the recipe, and the recipe
# without one ingredient at a time, all run at once for the same wall-clock
# budget on a training subset, validated on a PublicTest subset. Short-run
# proxy figures: they rank the ingredients at this budget, they are not the
# full run's accuracies.
#   sh bench/fer_ablation.sh [MINUTES] [SUBSET] [VAL_SUBSET] [OUT_DIR] [WIDTHS]
MIN=${1:-10}; SUB=${2:-6000}; VAL=${3:-1200}; OUT=${4:-runs/ablation}; WIDTHS=${5:-16,32,64,128}
DATA=${DATA:-../shared/data/fer2013}
mkdir -p "$OUT"
run() {
  name=$1; shift
  scripts/mien run examples/best_fer2013.lua --data "$DATA" --minutes "$MIN" --reserve 30 --subset "$SUB" \
    --val-subset "$VAL" --widths "$WIDTHS" --dir "$OUT/$name" --tta flip "$@" > "$OUT/$name.log" 2>&1 &
}
run recipe
run no_mix --mix-prob 0
run no_ema --ema 0
run no_se --se 0
run no_erase_no_smoothing --erase 0 --smoothing 0
run no_crops --size 48 --rotation 0
wait
printf "%-24s %8s %14s %10s\n" variant epochs "val acc (EMA)" "flip TTA"
for f in "$OUT"/*.log; do
  name=$(basename "$f" .log)
  epochs=$(grep -c "publictest_acc" "$f")
  acc=$(sed -n 's/.*publictest accuracy (last epoch[^)]*): \([0-9.]*%\).*/\1/p' "$f")
  tta=$(sed -n 's/.*publictest accuracy with flip TTA: \([0-9.]*%\).*/\1/p' "$f")
  printf "%-24s %8s %14s %10s\n" "$name" "$epochs" "$acc" "$tta"
done
