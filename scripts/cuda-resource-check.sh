#!/usr/bin/env bash
# cuda-resource-check.sh REPORT BUDGET [--write]
# Compares nvcc's --resource-usage report (build/cuda-resource-usage.txt) with
# the checked-in budget (kernels/resource_budget.txt): every kernel must be in
# the budget and use no more registers, shared memory or stack than it says.
# --write rewrites the budget from the report (after a reviewed change).
set -u
report=$1 budget=$2
[ -s "$report" ] || { echo "no resource report at $report (is the CUDA backend built?)"; exit 1; }
usage=$(awk '
  /Compiling entry function/ { match($0, /function .[^ '\'']+/); name = substr($0, RSTART + 10, RLENGTH - 10); stack = 0 }
  /bytes stack frame/ { stack = $1 }
  /Used [0-9]+ registers/ && name != "" {
    regs = 0; smem = 0
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^registers/) regs = $i; if ($(i+1) == "bytes" && $(i+2) ~ /^smem/) smem = $i }
    print name, regs, smem, stack; name = ""
  }' "$report" | sort -u)
if [ "${3:-}" = "--write" ]; then
  { echo "# kernel registers shared-bytes stack-bytes (scripts/cuda-resource-check.sh --write)"; echo "$usage"; } >"$budget"
  echo "wrote $(echo "$usage" | wc -l) kernels to $budget"; exit 0
fi
status=0
while read -r name regs smem stack; do
  line=$(grep -F "$name " "$budget" | head -1)
  if [ -z "$line" ]; then echo "new kernel not in the budget: $name ($regs registers, $smem B shared)"; status=1; continue; fi
  read -r _ bregs bsmem bstack <<<"$line"
  if [ "$regs" -gt "$bregs" ] || [ "$smem" -gt "$bsmem" ] || [ "$stack" -gt "$bstack" ]; then
    echo "over budget: $name uses $regs registers, $smem B shared, $stack B stack (budget $bregs, $bsmem, $bstack)"
    status=1
  fi
done <<<"$usage"
while read -r name _; do
  case "$name" in '#'*|'') continue ;; esac
  echo "$usage" | grep -qF "$name " || { echo "stale budget entry (no such kernel): $name"; status=1; }
done <"$budget"
[ $status -eq 0 ] && echo "$(echo "$usage" | wc -l) kernels within budget"
exit $status
