# The Lua specs. busted's TAP marks a pending spec "ok N - # SKIP <name or reason>".
echo "== Lua specs (busted)"
busted_log=$(mktemp)
busted -o TAP 2>&1 | tee "$busted_log"
while read -r line; do test_skip "spec" "${line#*# SKIP }"; done < <(grep -E "^ok [0-9]+ - # SKIP" "$busted_log")
while read -r line; do test_pass "$line"; done < <(grep -E "^ok " "$busted_log" | grep -vE "^ok [0-9]+ - # SKIP")
while read -r line; do test_fail "spec: ${line#not ok }"; done < <(grep -E "^not ok " "$busted_log")
if ! grep -qE "^1\.\.[0-9]+" "$busted_log"; then test_fail "busted did not finish"; echo "busted did not finish"; fi
rm -f "$busted_log"
