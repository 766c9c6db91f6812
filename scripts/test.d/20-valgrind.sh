# Every C test again under valgrind: no invalid access, no definite leak.
echo "== C tests under valgrind"
vg_log=$(mktemp)
for t in build/test_*; do
  [ -x "$t" ] || continue
  if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t" >/dev/null 2>"$vg_log"; then
    test_pass "valgrind $(basename "$t")"; echo "ok valgrind $(basename "$t")"
  else
    test_fail "valgrind $(basename "$t")"; echo "FAILED valgrind $(basename "$t")"; tail -30 "$vg_log"
  fi
done
rm -f "$vg_log"
