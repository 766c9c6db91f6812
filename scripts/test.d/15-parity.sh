# The backend parity harness: every entry of the backend table on every
# registered backend against float64 references (tests/test_backend_ops.c).
# Prints its op x backend table; each cell counts as one pass or fail (n/a,
# an entry the backend lacks, as a skip, except in the cuda-emu column; "-",
# an optional case absent by design — a CPU-only path such as forced Winograd
# or bf16, or an entry the op layer composes — as a skip with that reason).
# cuda_emu_backend_ops is the same harness with the CUDA kernels registered
# on the CPU grid emulator (column "cuda-emu"), run under three schedules:
# the CUDA backend has every required entry, so an n/a there is a failure.
echo "== backend parity (op x backend)"
parity_log=$(mktemp)
parity_run() { # BINARY [SEED [BACKEND]]: counts the cells of BACKEND only, when given
  MIEN_EMU_SEED=${2:-1} "$1" >"$parity_log" 2>&1
  grep -v '^cell ' "$parity_log"
  while read -r _ op backend res rest; do
    [ -n "${3:-}" ] && [ "$backend" != "$3" ] && continue
    { [ "$res" = n/a ] || [ "$res" = - ]; } && [ "${2:-1}" != 1 ] && continue # an entry missing is said once
    case "$res" in
      pass) test_pass "parity $op $backend" ;;
      -) test_skip "parity $op $backend" "optional: a CPU-only path, or composed by the op layer" ;;
      n/a) if [ "$backend" = cuda-emu ]; then test_fail "parity $op $backend (no $op entry)"
           else test_skip "parity $op $backend" "no $op entry in the $backend backend"; fi ;;
      *) test_fail "parity $op $backend"; echo "  parity $op $backend $res $rest" ;;
    esac
  done < <(grep '^cell ' "$parity_log")
  grep -q '^cell ' "$parity_log" || { test_fail "parity harness $1 (no table: it crashed?)"; tail -20 "$parity_log"; }
}
if [ -x build/test_backend_ops ]; then parity_run build/test_backend_ops; else test_fail "parity harness (build/test_backend_ops missing)"; fi
if [ -x build/cuda_emu_backend_ops ]; then
  for seed in 1 2 3; do echo "-- emulated CUDA kernels, schedule seed $seed"; parity_run build/cuda_emu_backend_ops "$seed" cuda-emu; done
else
  test_skip "parity cuda-emu" "the CUDA emulator column is not built (cmake/cuda.cmake: MIEN_CUDA=OFF or no toolkit)"
fi
rm -f "$parity_log"
