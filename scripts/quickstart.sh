#!/usr/bin/env bash
# The main example: installs what is missing, builds, then trains the FER CNN
# (synthetic faces, or FER2013 with --data DIR) and writes its report.
# Training takes about 2 minutes on 2 idle cores (6 epochs of about 20 s),
# several times that on a busy machine; each epoch's line ends with the ETA.
set -eu -o pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The build's progress redrawn on one line ("[ 42%]"), its whole log on failure.
mkdir -p build
msg="building mien into build/ (the first time takes a minute or two)"
printf "%s..." "$msg"
if ! scripts/build.sh 2>&1 | tee build/quickstart-build.log | { grep --line-buffered -o '^\[ *[0-9]*%\]' || true; } |
  while read -r step; do printf '\r%s: %s' "$msg" "$step"; done; then
  printf '\n'
  tail -n 40 build/quickstart-build.log
  echo "quickstart.sh: the build failed (whole log: build/quickstart-build.log)"
  exit 1
fi
printf '\r%s: done  \n' "$msg"
exec scripts/mien train examples/quickstart.lua "$@"
