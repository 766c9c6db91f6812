/* Linked into the parity harness (tests/test_backend_ops.c) to make
 * cuda_emu_backend_ops: registers the emulated CUDA backend before main, so
 * the harness's table gets a "cuda-emu" column whose kernels run on the CPU
 * grid emulator. MIEN_EMU_SEED picks the schedule. */
#include <cstdlib>

#include "emu/cuda_emu.h"
#include "emu/emu_backend.h"

namespace {
struct Register {
  Register() {
    const char *seed = getenv("MIEN_EMU_SEED");
    mien_emu::set_seed(seed ? strtoull(seed, nullptr, 10) : 1);
    mien_backend *b = mien_cuda_emu_backend();
    b->name = "cuda-emu"; /* the column's name: the kernels, not a GPU */
    if (mien_backend_register(b) == 0) mien_cuda_emu_set_host(b->host);
  }
} registration;
}  // namespace
