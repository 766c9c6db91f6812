#!/usr/bin/env bash
# The main example: installs what is missing, builds, then trains the FER CNN
# (synthetic faces, or FER2013 with --data DIR) and writes its report.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
exec scripts/mien train examples/quickstart.lua "$@"
