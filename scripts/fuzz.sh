#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/) against an ASan+UBSan build of
# mien in build-fuzz/ (clang), then runs them.
#
#   scripts/fuzz.sh [SECONDS] [NAME...]   fuzz each harness SECONDS (default 60)
#   scripts/fuzz.sh --runs N [NAME...]    fuzz each harness for N executions,
#                                         from the seeds alone with a fixed seed
#                                         (MIEN_FUZZ_SEED, default 1), as CI runs
#                                         it: not bound to the machine's speed
#   scripts/fuzz.sh --regress [NAME...]   run every seed and crash file once
#
# Seeds: tests/fuzz/corpus/<name>/ (valid files, kept small). Inputs that once
# crashed: tests/fuzz/crashes/<name>/ (kept as regressions). New findings go
# to build-fuzz/findings/<name>/; the growing corpus to build-fuzz/corpus/<name>/
# Exit status 1 when any harness crashed. One line per harness:
#   fuzz <name>: <executions> runs, <crashes> crashes
set -u
cd "$(dirname "$0")/.."
BUILD=${MIEN_FUZZ_BUILD:-build-fuzz} # another folder keeps a long run's binaries apart
C_HARNESSES="safetensors image fer_csv fer_csv_gz"
LUA_HARNESSES="tfjs_manifest tfjs_graph manifest checkpoint sweep"
ALL="$C_HARNESSES $LUA_HARNESSES"
mode=time
amount=60
case "${1:-}" in
  --runs) mode=runs; amount=$2; shift 2 ;;
  --regress) mode=regress; shift ;;
  '' ) ;;
  *[!0-9]*) ;;
  *) amount=$1; shift ;;
esac
names=${*:-$ALL}

command -v clang >/dev/null || { echo "fuzz: clang is not installed"; exit 2; }
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=None -DMIEN_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_C_FLAGS="$flags" >/dev/null || exit 2
targets=""
for n in $names; do targets="$targets fuzz_$n"; done
# shellcheck disable=SC2086
cmake --build "$BUILD" -j2 --target $targets >/dev/null || { cmake --build "$BUILD" -j1 --target $targets; exit 2; }

# The harnesses write each input to a file: on tmpfs, not a disk that flushes
# a truncated-and-rewritten file on close (ext4's auto_da_alloc).
if [ -z "${MIEN_FUZZ_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then MIEN_FUZZ_TMPDIR=/dev/shm; fi
export TMPDIR=${MIEN_FUZZ_TMPDIR:-${TMPDIR:-/tmp}}
# One OpenMP thread: libFuzzer runs one input at a time, and a thread pool
# per parallel region (image batches) costs more than it saves there.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for n in $names; do
  seeds=tests/fuzz/corpus/$n
  crashes=tests/fuzz/crashes/$n
  log=$BUILD/fuzz_$n.log
  mkdir -p "$BUILD/corpus/$n" "$BUILD/findings/$n"
  common=(-rss_limit_mb=2048 -timeout=20 -malloc_limit_mb=1024 -artifact_prefix="$BUILD/findings/$n/")
  # The Lua harnesses keep one Lua state whose garbage collector frees memory
  # in later runs: libFuzzer's per-input leak check would flag every such run
  # (and scan the heap each time). Leaks are checked in the C harnesses and
  # in the sanitizer build's tests.
  case " $LUA_HARNESSES " in *" $n "*) common+=(-detect_leaks=0) ;; esac
  if [ "$mode" = regress ]; then
    files=()
    for f in "$seeds"/* "$crashes"/*; do [ -f "$f" ] && files+=("$f"); done
    if "$BUILD/fuzz_$n" "${common[@]}" "${files[@]}" >"$log" 2>&1; then
      echo "fuzz $n: ${#files[@]} seed and crash files, 0 crashes"
    else
      echo "fuzz $n: CRASH on a seed or crash file"; tail -40 "$log"; status=1
    fi
    continue
  fi
  limit=(-max_total_time="$amount")
  dirs=("$BUILD/corpus/$n" "$seeds")
  if [ "$mode" = runs ]; then
    # a fresh corpus folder: what an earlier run found must not change what this one tries
    fresh=$(mktemp -d)
    limit=(-runs="$amount" -seed="${MIEN_FUZZ_SEED:-1}")
    dirs=("$fresh" "$seeds")
  fi
  [ -d "$crashes" ] && dirs+=("$crashes")
  if "$BUILD/fuzz_$n" "${common[@]}" "${limit[@]}" -print_final_stats=1 "${dirs[@]}" >"$log" 2>&1; then
    crashed=0
  else
    crashed=1; status=1
  fi
  [ "$mode" = runs ] && rm -rf "$fresh"
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  echo "fuzz $n: ${runs:-?} runs, $crashed crashes"
  [ "$crashed" = 1 ] && tail -40 "$log"
done
exit $status
