# The CUDA backend on a machine without a GPU: the build products, the
# device script's syntax and dry run, and what mien.cuda says. The kernels
# themselves run on the CPU grid emulator as ctest entries (cuda_emu_*).
echo "== CUDA backend (no GPU: built and emulated)"
if [ -f build/mien/libmien_cuda.so ]; then
  test_pass "cuda: libmien_cuda.so built"
else
  test_skip "cuda: libmien_cuda.so" "not built (no nvcc, or MIEN_CUDA=OFF); the emulator tests still run"
fi
if bash -n scripts/gpu-check.sh && bash scripts/gpu-check.sh --dry-run >/dev/null; then
  test_pass "cuda: gpu-check.sh syntax and dry run"
else
  test_fail "cuda: gpu-check.sh syntax and dry run"
fi
cuda_says=$(lua5.4 -e 'package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="build/?.so;"..package.cpath
  local m = require "mien"
  local ok, err = pcall(m.zeros, {2}, {device = "cuda"})
  if m.cuda.available() then print("available") os.exit(0) end
  assert(not ok and err:find(m.cuda.why(), 1, true), "device=cuda did not raise the reason")
  print(m.cuda.why())' 2>&1)
if [ $? -eq 0 ]; then
  test_pass "cuda: mien.cuda.available/why"; echo "  mien.cuda.why(): $cuda_says"
else
  test_fail "cuda: mien.cuda.available/why"; echo "$cuda_says"
fi
