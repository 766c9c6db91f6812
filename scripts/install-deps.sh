#!/usr/bin/env bash
# Installs mien's build and test dependencies from Debian/Ubuntu packages
# (only those missing). Runs apt-get as root, or through sudo. The packages
# are listed one a line in scripts/deps/*.txt, a file per part of mien.
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in $(sed -e 's/#.*//' scripts/deps/*.txt); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt (unattended upgrades, a second shell) instead of failing at once.
lock="-o DPkg::Lock::Timeout=300"
if command -v fuser >/dev/null && fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then
  echo "waiting for another apt/dpkg to finish (up to 5 minutes)..."
fi
$sudo apt-get $lock update -qq
$sudo apt-get $lock install -y -qq --no-install-recommends $missing >/dev/null
