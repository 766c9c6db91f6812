#!/usr/bin/env bash
# One call on a GPU machine: probe the device, set up the kit (Lua, busted,
# stb), build with CUDA (or reuse a carried build whose nvcc matches), then
# run the backend parity harness with real CUDA (then again with our own
# GEMM and convolution kernels in place of cuBLAS/cuDNN:
# MIEN_CUDA_OWN_KERNELS=1), compute-sanitizer memcheck and racecheck (the
# latter on our kernels) on small sizes, the FER CNN benchmark beside
# PyTorch's, and the gpu-tagged specs. Logs and summary.json go to $OUT (default
# ./gpu-check-out). Every step has a time limit; the whole fits in 7 minutes.
#
#   bash scripts/gpu-check.sh            # on the GPU machine
#   bash scripts/gpu-check.sh --dry-run  # print the steps, run nothing
#
# Before carrying a checkout there (once, here):
#   mkdir -p .device && cp -r ../shared/device .device/kit && cp ../shared/bench/torch_anchor.py .device/
# and carry .device (and build-gpu, if built here with the same nvcc).
set -u
cd "$(dirname "$0")/.."
dry=0
[ "${1:-}" = "--dry-run" ] && dry=1
OUT=${OUT:-$PWD/gpu-check-out}
[ $dry -eq 1 ] || mkdir -p "$OUT"
summary=()
start=$(date +%s)
budget=400 # seconds for all the steps: a rerun still fits the 15-minute device time

# step NAME SECONDS COMMAND...: runs it with a limit, logs to $OUT/NAME.log,
# and records pass/fail/timeout with its duration.
step() {
  local name=$1 limit=$2
  shift 2
  if [ $dry -eq 1 ]; then
    printf '%-22s (limit %3ss)  %s\n' "$name" "$limit" "$*"
    return 0
  fi
  local t0=$(date +%s) rc left=$((budget - ($(date +%s) - start)))
  if [ $left -lt 15 ]; then
    summary+=("{\"step\":\"$name\",\"status\":\"skipped\",\"reason\":\"out of time\"}")
    echo "== $name: skipped (out of time)"
    return 0
  fi
  [ "$limit" -gt $left ] && limit=$left
  echo "== $name"
  timeout "$limit" bash -c "$*" >"$OUT/$name.log" 2>&1
  rc=$?
  local status=pass
  [ $rc -ne 0 ] && status=fail
  [ $rc -eq 124 ] && status=timeout
  summary+=("{\"step\":\"$name\",\"status\":\"$status\",\"rc\":$rc,\"seconds\":$(($(date +%s) - t0))}")
  tail -5 "$OUT/$name.log"
  return $rc
}

kit='[ -f .device/kit/setup.sh ] && . .device/kit/setup.sh'
build='if [ -f build-gpu/cuda/nvcc-flags.txt ] && [ "$(head -1 build-gpu/cuda/nvcc-version.txt 2>/dev/null)" = "$(nvcc --version | tail -1)" ]; then echo "reusing the carried build-gpu"; cmake --build build-gpu -j16; else cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DMIEN_CUDA=ON -DMIEN_TIFF=OFF && cmake --build build-gpu -j16; fi'
parity='if [ -x build-gpu/test_backend_ops ]; then build-gpu/test_backend_ops; else echo "no parity harness in this build (tests/test_backend_ops.c comes with the backend table)"; exit 1; fi'
small='MIEN_TEST_SMALL=1'

step probe 15 'nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nvcc --version | tail -2; ls /usr/include/x86_64-linux-gnu/cudnn_version*.h 2>/dev/null; lua5.4 -v 2>&1 || true'
step kit 20 "$kit && lua5.4 -v && busted --version"
step build 200 "$kit; $build"
step ctest 40 "$kit; ctest --test-dir build-gpu -E 'valgrind|spill' --output-on-failure"
step parity 30 "$kit; $parity"
step parity_own 20 "$kit; MIEN_CUDA_OWN_KERNELS=1 build-gpu/test_backend_ops"
step memcheck 40 "$kit; $small compute-sanitizer --tool memcheck --error-exitcode 1 build-gpu/test_backend_ops"
step racecheck 40 "$kit; $small MIEN_CUDA_OWN_KERNELS=1 compute-sanitizer --tool racecheck --error-exitcode 1 build-gpu/test_backend_ops"
step specs_gpu 30 "$kit; busted --run=gpu -o TAP"
step dist_nccl 40 "$kit; MIEN_BUILD=build-gpu bash scripts/gpu-check.d/dist.sh"
step bench_mien 45 "$kit; MIEN_BUILD=build-gpu lua5.4 bench/train_fercnn.lua --device cuda --n 6400 --epochs 1 --infer-reps 5 | tail -1 > \"$OUT/bench_mien.json\""
step bench_torch 60 "OUT=\"$OUT\" python3 .device/torch_anchor.py | head -1 > \"$OUT/bench_torch.json\""

[ $dry -eq 1 ] && exit 0
{
  echo "{\"seconds\":$(($(date +%s) - start)),\"steps\":["
  (IFS=,; echo "${summary[*]}")
  echo "],\"bench_mien\":$(tail -1 "$OUT/bench_mien.json" 2>/dev/null || echo null),"
  echo "\"bench_torch\":$(tail -1 "$OUT/bench_torch.json" 2>/dev/null || echo null)}"
} >"$OUT/summary.json"
cat "$OUT/summary.json"
