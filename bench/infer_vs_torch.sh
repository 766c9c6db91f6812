#!/usr/bin/env bash
# FER CNN inference, mien against PyTorch in one run, interleaved (mien unfused, mien fused with the direct
# convolutions, mien fused with Winograd where it applies, PyTorch fp32, PyTorch bf16 autocast; ROUNDS times),
# then the median images/s of each and the load average. PyTorch (Debian python3-torch, ../shared/bench/
# torch_cpu_anchor.py) is a benchmark-only tool: without it the torch columns are skipped.
#   bash bench/infer_vs_torch.sh [--width 1] [--batch 1024] [--threads 2] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
width=1 batch=1024 threads=2 rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --width) width=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--width W] [--batch N] [--threads T] [--rounds R]" >&2; exit 2 ;;
  esac
done
anchor=../shared/bench/torch_cpu_anchor.py
torch=0
if [ -f "$anchor" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then torch=1; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export OMP_NUM_THREADS=$threads
load0=$(cut -d' ' -f1-3 /proc/loadavg)
mien() { # label, then the environment and flags of one mien run
  local label=$1; shift
  local line
  line=$(env "$@" lua5.4 bench/infer_fercnn.lua --width "$width" --batch "$batch" --reps 3 "${FLAGS[@]}")
  echo "$label $(echo "$line" | sed -n 's/.*"infer_img_s":\([0-9.]*\).*/\1/p')" >> "$out"
}
for r in $(seq "$rounds"); do
  FLAGS=(); mien "mien-unfused-direct" MIEN_CONV_ALGO=direct
  FLAGS=(--fuse); mien "mien-fused-direct" MIEN_CONV_ALGO=direct
  FLAGS=(--fuse); mien "mien-fused-winograd" MIEN_CONV_ALGO=auto
  if [ $torch = 1 ]; then
    for bf in "" --bf16; do
      line=$(/usr/bin/python3 "$anchor" --width "$width" --threads "$threads" --infer-batch "$batch" --steps 4 \
        --warmup 1 $bf 2>/dev/null)
      label=torch-fp32; [ -z "$bf" ] || label=torch-bf16
      echo "$label $(echo "$line" | sed -n 's/.*"infer_img_s": \([0-9.]*\).*/\1/p')" >> "$out"
    done
  fi
done
echo "FER CNN inference, width $width, batch $batch, $threads threads, $rounds rounds (interleaved)"
echo "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $torch = 1 ] || echo "(PyTorch not found: $anchor with /usr/bin/python3 and torch; torch columns skipped)"
printf "%-22s %10s   %s\n" mode "img/s" "runs (median x torch bf16)"
awk '{ v[$1] = v[$1] " " $2 }
function median(s,   a, n, i, j, t) { # insertion sort (mawk has no asort)
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return a[int((n + 1) / 2)]
}
END {
  ref = ("torch-bf16" in v) ? median(v["torch-bf16"]) : 0
  for (k in v) { m = median(v[k]); printf "%-22s %10.1f  %s%s\n", k, m, v[k], ref ? sprintf("  (%.2fx)", m / ref) : "" }
}' "$out" | sort
