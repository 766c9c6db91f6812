#!/usr/bin/env bash
# Builds mien with AddressSanitizer and UndefinedBehaviorSanitizer (UBSan
# fatal: -fno-sanitize-recover=all) into build-asan/, then runs
#   - every C test (ctest),
#   - the busted specs that drive the binding through its parsers, tensor
#     constructors, views, I/O and images (SPECS below, or the ones given).
# lua5.4 itself is not instrumented, so libasan is preloaded into it, and
# LeakSanitizer is off for the specs: the interpreter exits with the CPU
# allocation cache, OpenMP's and OpenBLAS's thread pools still holding memory
# by design (the module stays mapped, -z nodelete). Leaks are checked in the
# C tests here (LeakSanitizer on) and under valgrind (scripts/test.d/20-valgrind.sh).
# Prints "sanitizers: <what>: ok|FAILED" lines; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${MIEN_ASAN_BUILD:-build-asan}
SPECS=${*:-spec/tensor_spec.lua spec/errors_spec.lua spec/hardening_spec.lua spec/checkpoint_spec.lua spec/image_spec.lua spec/data_spec.lua spec/tfjs_spec.lua spec/nn_spec.lua spec/autograd_spec.lua}
# clang where it is installed: its UBSan also flags arithmetic on a null
# pointer (NULL + 0), which GCC's does not. Both runtimes are shared
# (-shared-libsan), so the one preloaded into lua5.4 serves the module too.
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
if command -v clang >/dev/null && [ -f "$(clang -print-runtime-dir)/libclang_rt.asan-x86_64.so" ]; then
  cc=clang
  cxx=clang++
  flags="$flags -shared-libsan"
  link="-shared-libsan -Wl,-rpath,$(clang -print-runtime-dir)"
  libasan="$(clang -print-runtime-dir)/libclang_rt.asan-x86_64.so"
else
  cc=gcc
  cxx=g++
  link=""
  libasan=$(gcc -print-file-name=libasan.so)
fi
# The CUDA backend is left out (MIEN_CUDA=OFF): its kernels have their own
# ASan+UBSan runs on the grid emulator (ctest cuda_emu_*), which still builds
# here with the C++ compiler of the same family.
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=$cc -DCMAKE_CXX_COMPILER=$cxx -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DMIEN_CUDA=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="$link" -DCMAKE_MODULE_LINKER_FLAGS="$link" -DCMAKE_SHARED_LINKER_FLAGS="$link" >/dev/null || exit 2
cmake --build "$BUILD" -j2 >/dev/null 2>"$BUILD/build.log" || { cat "$BUILD/build.log"; echo "sanitizers: build: FAILED"; exit 1; }

status=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if ASAN_OPTIONS=detect_leaks=1 ctest --test-dir "$BUILD" --output-on-failure >"$BUILD/ctest.log" 2>&1; then
  echo "sanitizers: C tests: ok ($(grep -cE 'Test +#[0-9]+: .* Passed' "$BUILD/ctest.log") passed)"
else
  echo "sanitizers: C tests: FAILED"; grep -E "Failed|ERROR|runtime error|SUMMARY" "$BUILD/ctest.log" | head -40; status=1
fi
for spec in $SPECS; do
  [ -f "$spec" ] || continue
  log="$BUILD/$(basename "$spec" .lua).log"
  if LD_PRELOAD="$libasan" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    busted --lua=lua5.4 --cpath="$BUILD/?.so" -o TAP "$spec" >"$log" 2>&1 && ! grep -qE "runtime error|AddressSanitizer" "$log"; then
    echo "sanitizers: $spec: ok ($(grep -cE '^ok ' "$log") specs)"
  else
    echo "sanitizers: $spec: FAILED"; grep -E "^not ok|runtime error|ERROR: AddressSanitizer|SUMMARY|#[0-9] " "$log" | head -40; status=1
  fi
done
exit $status
