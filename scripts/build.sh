#!/usr/bin/env bash
# Configures and builds mien into build/ (CPU; the CUDA backend too when nvcc is found).
# Missing Debian packages are installed first, as the README's commands do
# (scripts/install-deps.sh); when that cannot be done it names them and stops.
set -eu
cd "$(dirname "$0")/.."
if ! scripts/install-deps.sh --check 2>/dev/null; then
  scripts/install-deps.sh || { echo "build.sh: cannot build without those packages" >&2; exit 1; }
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
