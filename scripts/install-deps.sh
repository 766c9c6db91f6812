#!/usr/bin/env bash
# Installs mien's build and test dependencies from Debian/Ubuntu packages
# (only those missing). Runs apt-get as root, or through sudo. The packages
# are listed one a line in scripts/deps/*.txt, a file per part of mien.
#   scripts/install-deps.sh           install what is missing
#   scripts/install-deps.sh --check   only say what is missing (exit 1 if anything is)
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in $(sed -e 's/#.*//' scripts/deps/*.txt); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
tell() {
  echo "mien needs these Debian/Ubuntu packages:$missing" >&2
  echo "install them with: sudo apt-get install$missing" >&2
}
if [ "${1:-}" = "--check" ]; then tell; exit 1; fi
echo "installing:$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: not root and no sudo" >&2; tell; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt (unattended upgrades, a second shell) instead of failing at once.
lock="-o DPkg::Lock::Timeout=300"
if command -v fuser >/dev/null && fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then
  echo "waiting for another apt/dpkg to finish (up to 5 minutes)..."
fi
if ! { $sudo apt-get $lock update -qq && $sudo apt-get $lock install -y -qq --no-install-recommends $missing >/dev/null; }; then
  echo "install-deps.sh: apt-get failed" >&2
  tell
  exit 1
fi
