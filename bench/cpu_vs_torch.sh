#!/usr/bin/env bash
# mien against PyTorch on this machine's CPU, side by side in one run: the
# FER CNN (examples/fer_cnn.lua) trained at batch 64 and run for inference,
# at widths 1 and 0.125, on 1 and 2 threads, in fp32 and bf16 (mien's bf16
# only where this build has mien.autocast; PyTorch's is torch.autocast), and
# mien's inference after model:fuse() where that exists. The runs alternate
# mien, torch, mien, torch, ... (each configuration --rounds times, at least
# 3), since the machine is shared and noisy; the table gives the median
# images/s of each and the ratio of mien's best mode to PyTorch's best mode.
# It also prints the load average before and after, and which kernels ran.
#
#   bash bench/cpu_vs_torch.sh            # the full run (tens of minutes)
#   bash bench/cpu_vs_torch.sh --quick    # 2 threads only, fewer steps, inference batch 256
#   options: --rounds N (>= 3), --widths "1 0.125", --threads "1 2"
#
# Needs Debian's PyTorch (apt-get install python3-torch) at /usr/bin/python3
# (or TORCH_PYTHON); without it, it says so and exits 0. PyTorch is a
# benchmark tool here, never a dependency of mien. Run from anywhere after
# building (bash scripts/build.sh). Benchmarks never decide tests: CI does
# not run this (spec/bench_scripts_spec.lua only checks its syntax).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${TORCH_PYTHON:-/usr/bin/python3}
quick=0
rounds=3
widths_opt=""
threads_opt=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --widths) widths_opt=${2:?--widths needs a list}; shift ;;
    --threads) threads_opt=${2:?--threads needs a list}; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cpu_vs_torch: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$rounds" -lt 3 ]; then echo "cpu_vs_torch: --rounds must be at least 3" >&2; exit 2; fi

if ! [ -x "$PY" ] || ! "$PY" -c "import torch" >/dev/null 2>&1; then
  echo "cpu_vs_torch: no PyTorch at $PY (Debian: apt-get install python3-torch; or set TORCH_PYTHON): nothing to compare"
  exit 0
fi
if ! [ -f build/mien/core.so ]; then
  echo "cpu_vs_torch: build mien first (bash scripts/build.sh)" >&2
  exit 1
fi

if [ "$quick" = 1 ]; then
  widths="1 0.125"; threads_list="2"; steps=5; warmup=2; infer_batch=256
else
  widths="1 0.125"; threads_list="1 2"; steps=20; warmup=3; infer_batch=1024
fi
widths=${widths_opt:-$widths}
threads_list=${threads_opt:-$threads_list}

mien_lua() { lua5.4 -e 'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path; package.cpath = "build/?.so;" .. package.cpath' "$@"; }
mien_bf16=$(mien_lua -e 'print(require("mien").autocast and "yes" or "no")')
mien_fuse=$(mien_lua -e 'local nn = require("mien.nn"); print(nn.Sequential().fuse and "yes" or "no")')

log=$(mktemp /tmp/cpu_vs_torch.XXXXXX)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "cpu_vs_torch: $rounds rounds, steps $steps (+$warmup warm-up), inference batch $infer_batch; mien bf16: $mien_bf16, model:fuse(): $mien_fuse"
echo "load average before: $load_before"

run() { # label, command...: appends the command's JSON line to the log, or says why not
  local label=$1 out
  shift
  if out=$("$@" 2>&1 | tail -1) && [ "${out:0:1}" = "{" ]; then
    echo "$out" >>"$log"
    printf '  %-34s ok\n' "$label"
  else
    printf '  %-34s FAILED: %s\n' "$label" "$out"
  fi
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds"
  for w in $widths; do
    for t in $threads_list; do
      common=(--width "$w" --threads "$t" --steps "$steps" --warmup "$warmup" --infer-batch "$infer_batch")
      fuse=(); [ "$mien_fuse" = yes ] && fuse=(--fuse)
      run "mien  fp32 width $w, $t threads" env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
        lua5.4 bench/train_fercnn.lua "${common[@]}" --precision fp32 "${fuse[@]}"
      run "torch fp32 width $w, $t threads" env OMP_NUM_THREADS="$t" "$PY" bench/torch_fercnn.py "${common[@]}"
      if [ "$mien_bf16" = yes ]; then
        run "mien  bf16 width $w, $t threads" env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
          lua5.4 bench/train_fercnn.lua "${common[@]}" --precision bf16 "${fuse[@]}"
      fi
      run "torch bf16 width $w, $t threads" env OMP_NUM_THREADS="$t" "$PY" bench/torch_fercnn.py "${common[@]}" --bf16
    done
  done
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo
mien_lua bench/cpu_vs_torch_table.lua "$log"
echo
echo "load average before: $load_before   after: $load_after"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_bf16)$' | tr '\n' ' ')
echo "CPU: $cpu ($(nproc) cores; ${flags:-no AVX flags})"
echo "raw results (one JSON line per run): $log"
