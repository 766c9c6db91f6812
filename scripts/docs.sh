#!/usr/bin/env bash
# Builds the API reference from the LDoc comments of lua/mien and the public
# C header into docs/api/ (open docs/api/index.html). Debian: lua-ldoc.
set -eu
cd "$(dirname "$0")/../docs"
command -v ldoc >/dev/null || { echo "docs.sh: ldoc is missing (apt-get install lua-ldoc)" >&2; exit 1; }
rm -rf api
ldoc -c config.ld . "$@"
echo "API reference: docs/api/index.html"
