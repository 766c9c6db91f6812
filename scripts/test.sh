#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the C tests
# (ctest, then again under valgrind) and the busted specs. The last line is
# "N passed, N failed" over all of them.
set -u
cd "$(dirname "$0")/.."
scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

echo "== C tests (ctest)"
ctest_log=$(mktemp)
ctest --test-dir build --output-on-failure 2>&1 | tee "$ctest_log"
c_pass=$(grep -cE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed" "$ctest_log")
c_fail=$(grep -cE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(Failed|Exception|Timeout|Not Run)" "$ctest_log")
passed=$((passed + c_pass)); failed=$((failed + c_fail))

echo "== C tests under valgrind"
for t in build/test_*; do
  [ -x "$t" ] || continue
  if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t" >/dev/null 2>"$ctest_log.vg"; then
    passed=$((passed + 1)); echo "ok valgrind $(basename "$t")"
  else
    failed=$((failed + 1)); echo "FAILED valgrind $(basename "$t")"; tail -30 "$ctest_log.vg"
  fi
done

echo "== Lua specs (busted)"
busted_log=$(mktemp)
busted -o TAP 2>&1 | tee "$busted_log"
b_pass=$(grep -cE "^ok " "$busted_log")
b_fail=$(grep -cE "^not ok " "$busted_log")
if ! grep -qE "^1\.\.[0-9]+" "$busted_log"; then b_fail=$((b_fail + 1)); echo "busted did not finish"; fi
passed=$((passed + b_pass)); failed=$((failed + b_fail))

rm -f "$ctest_log" "$ctest_log.vg" "$busted_log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
