# The C tests and the specs that drive the binding, under an ASan+UBSan build
# (UBSan fatal) in build-asan/ (scripts/sanitize.sh).
echo "== sanitizers (ASan+UBSan)"
san_log=$(mktemp)
bash scripts/sanitize.sh 2>&1 | tee "$san_log"
if ! grep -qE "^sanitizers: " "$san_log"; then test_fail "sanitizers: the build did not configure"; fi
while read -r what; do test_pass "sanitizers $what"; done < <(sed -nE 's/^sanitizers: (.*): ok.*/\1/p' "$san_log")
while read -r what; do test_fail "sanitizers $what"; done < <(sed -nE 's/^sanitizers: (.*): FAILED.*/\1/p' "$san_log")
rm -f "$san_log"
