#!/usr/bin/env bash
# Installs mien's build and test dependencies from Debian/Ubuntu packages
# (only those missing). Runs apt-get as root, or through sudo.
set -eu
packages="build-essential cmake lua5.4 liblua5.4-dev lua-busted lua-cjson lua-argparse luarocks
libopenblas-dev libstb-dev libcjson-dev zlib1g-dev valgrind"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
