#!/usr/bin/env bash
# GPU check of mien.dist's NCCL backend (for scripts/gpu-check.sh, or run
# alone from the repository root after scripts/build.sh on a GPU machine):
# all_reduce, broadcast and all_gather over CUDA buffers, one MPI process per
# GPU (at least one). Prints "dist nccl: ok (...)" or says what is missing.
set -u
cd "$(dirname "$0")/../.."
build=${MIEN_BUILD:-build} # gpu-check.sh builds into build-gpu
if [ ! -x "$build"/dist_nccl_check ] || [ ! -f "$build"/mien/libmien_nccl.so ]; then
  echo "dist nccl: SKIP (not built: needs libopenmpi-dev and the CUDA toolkit with nccl.h)"; exit 0
fi
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
if [ "${gpus:-0}" -lt 1 ]; then echo "dist nccl: SKIP (no GPU)"; exit 0; fi
timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$gpus" "$build"/dist_nccl_check "$build"/mien/libmien_nccl.so
