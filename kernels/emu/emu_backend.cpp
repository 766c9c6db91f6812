/* The emulated CUDA backend: the table of table.cu with host memory, so the
 * kernels run on the CPU grid emulator behind the same interface the core
 * uses. Built into the emulator tests only (never into mien itself). The
 * schedule seed is the emulator's (mien_emu::set_seed). */
#include "emu_backend.h"

#include <cstdlib>
#include <cstring>

#include "kernels.h"

namespace {

void *emu_alloc(size_t nbytes, bool zero) {
  void *p = zero ? calloc(1, nbytes ? nbytes : 1) : malloc(nbytes ? nbytes : 1);
  return p;
}
void emu_free(void *ptr, size_t) { free(ptr); }
int emu_copy(void *dst, const void *src, size_t n) {
  if (n) memmove(dst, src, n);
  return 0;
}
void *scratch_alloc(size_t n) { return emu_alloc(n, false); }

mien_backend table;

}  // namespace

extern "C" mien_backend *mien_cuda_emu_backend(void) {
  if (table.alloc) return &table;
  table.type = MIEN_DEVICE_CUDA;
  table.name = "cuda";
  table.device_count = 1;
  table.alloc = emu_alloc;
  table.free = emu_free;
  table.copy = emu_copy;
  table.copy_to_host = emu_copy;
  table.copy_from_host = emu_copy;
  mien_cuda_fill_kernels(&table);
  mien_k_mem.alloc = scratch_alloc;
  mien_k_mem.free = emu_free;
  mien_k_mem.to_host = emu_copy;
  mien_k_mem.from_host = emu_copy;
  return &table;
}

extern "C" void mien_cuda_emu_set_host(const mien_backend_host *host) { mien_k_host = host; }
