# C tests through ctest.
echo "== C tests (ctest)"
ctest_log=$(mktemp)
ctest --test-dir build --output-on-failure 2>&1 | tee "$ctest_log"
while read -r name; do test_pass "ctest $name"; done < <(sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .* Passed.*/\1/p' "$ctest_log")
while read -r name; do test_fail "ctest $name"; done < <(sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .*(Failed|Exception|Timeout|Not Run).*/\1/p' "$ctest_log")
rm -f "$ctest_log"
