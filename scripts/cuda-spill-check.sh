#!/usr/bin/env bash
# cuda-spill-check.sh BUILD_DIR: compiles tests/cuda/spilling_kernel.cu with
# the backend's own nvcc flags (BUILD_DIR/cuda/nvcc-flags.txt, written by
# cmake/cuda.cmake) and passes only when nvcc fails because of the spill,
# which shows that a spilling kernel fails the build.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
flags_file=$build/cuda/nvcc-flags.txt
[ -s "$flags_file" ] || { echo "no $flags_file: the CUDA backend is not configured"; exit 1; }
mapfile -t cmd <"$flags_file"
out=$(mktemp -d)
log=$("${cmd[@]}" -c tests/cuda/spilling_kernel.cu -o "$out/spill.o" 2>&1)
rc=$?
rm -rf "$out"
echo "$log" | grep -E "error|spill" | head -3
if [ $rc -ne 0 ] && echo "$log" | grep -q "Registers are spilled"; then
  echo "the spilling kernel failed the build, as it must (nvcc exit $rc)"
  exit 0
fi
echo "the spilling kernel did NOT fail the build (nvcc exit $rc)"
exit 1
