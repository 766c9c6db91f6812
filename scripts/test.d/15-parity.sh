# The backend parity harness: every entry of the backend table on every
# registered backend against float64 references (tests/test_backend_ops.c).
# Prints its op x backend table; each cell counts as one pass or fail (n/a,
# an entry the backend lacks, as a skip).
echo "== backend parity (op x backend)"
parity_log=$(mktemp)
if [ -x build/test_backend_ops ]; then
  build/test_backend_ops >"$parity_log" 2>&1
  grep -v '^cell ' "$parity_log"
  while read -r _ op backend res rest; do
    case "$res" in
      pass) test_pass "parity $op $backend" ;;
      n/a) test_skip "parity $op $backend" "no $op entry in the $backend backend" ;;
      *) test_fail "parity $op $backend"; echo "  parity $op $backend $res $rest" ;;
    esac
  done < <(grep '^cell ' "$parity_log")
  grep -q '^cell ' "$parity_log" || test_fail "parity harness (no table: it crashed?)"
else
  test_fail "parity harness (build/test_backend_ops missing)"
fi
rm -f "$parity_log"
