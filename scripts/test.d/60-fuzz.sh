# Fuzzing (tests/fuzz/, scripts/fuzz.sh): every seed and crash file once as a
# regression, then each harness for MIEN_FUZZ_RUNS executions (default 30000)
# from its seeds with a fixed seed, so what is tried does not depend on the
# machine's speed; all under ASan+UBSan. Exploring
# further is scripts/fuzz.sh SECONDS (random seeds). Needs clang with
# libFuzzer (clang, libclang-rt-14-dev).
echo "== fuzzing (libFuzzer, ASan+UBSan)"
if ! command -v clang >/dev/null; then
  test_skip "fuzz" "clang is not installed (scripts/deps/harden.txt)"
else
  fuzz_log=$(mktemp)
  for fuzz_pass in regress run; do
    if [ "$fuzz_pass" = regress ]; then bash scripts/fuzz.sh --regress 2>&1 | tee "$fuzz_log"
    else bash scripts/fuzz.sh --runs "${MIEN_FUZZ_RUNS:-30000}" 2>&1 | tee "$fuzz_log"; fi
    fuzz_lines=$(grep -cE "^fuzz [a-z_]+: " "$fuzz_log")
    if [ "$fuzz_lines" -eq 0 ]; then test_fail "fuzz $fuzz_pass: the harnesses did not build or run"; fi
    while read -r name; do test_pass "fuzz $fuzz_pass $name"; done < <(sed -nE 's/^fuzz ([a-z_]+): .*[^1-9]0 crashes$/\1/p' "$fuzz_log")
    while read -r name; do test_fail "fuzz $fuzz_pass $name"; done < <(grep -E "^fuzz [a-z_]+: " "$fuzz_log" | grep -vE "[^1-9]0 crashes$" | sed -nE 's/^fuzz ([a-z_]+): .*/\1/p')
  done
  rm -f "$fuzz_log"
fi
