#!/usr/bin/env bash
# Configures and builds mien into build/ (CPU; the CUDA backend too when nvcc is found).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
