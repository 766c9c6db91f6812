#!/usr/bin/env bash
# nvcc_compile.sh REPORT NVCC ARGS...: runs nvcc, keeps its --resource-usage
# report (ptxas info lines) in REPORT, and shows everything else it printed.
set -u
report=$1; shift
log=$(mktemp)
"$@" >"$log" 2>&1
rc=$?
grep -E '^ptxas info|^ +[0-9]+ bytes stack frame' "$log" >"$report.tmp" || true
mv "$report.tmp" "$report"
grep -vE '^ptxas info|^ +[0-9]+ bytes stack frame' "$log" >&2 || true
rm -f "$log"
exit $rc
