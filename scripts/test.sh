#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, then runs each test
# group in scripts/test.d/ in order (C tests, valgrind, busted specs, ...).
# A group is a bash file sourced here; it counts its results with
#   test_pass NAME | test_fail NAME | test_skip NAME REASON
# The last line is "N passed, N failed, N skipped" over all of them, with the
# skipped ones named (and why) just above it.
set -u
cd "$(dirname "$0")/.."
scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0
skip_list=$(mktemp)
fail_list=$(mktemp)
test_pass() { passed=$((passed + 1)); }
test_fail() { failed=$((failed + 1)); echo "$1" >>"$fail_list"; }
test_skip() { skipped=$((skipped + 1)); echo "  $1: $2" >>"$skip_list"; }

for group in scripts/test.d/*.sh; do
  # shellcheck source=/dev/null
  source "$group"
done

if [ -s "$fail_list" ]; then echo "== failed:"; sed 's/^/  /' "$fail_list"; fi
if [ -s "$skip_list" ]; then echo "== skipped:"; cat "$skip_list"; fi
rm -f "$skip_list" "$fail_list"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
