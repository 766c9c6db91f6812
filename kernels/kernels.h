/* The CUDA backend's kernels: one function per entry of the backend table
 * (backend.h), named mien_cuda_<entry>, each with that entry's signature.
 * The same sources run on a GPU (nvcc) and on the CPU grid emulator (host
 * C++ with emu/cuda_emu.h): table.cu fills a mien_backend with them, and the
 * memory entries come from the device (device/backend_cuda.cu) or from host
 * memory in the emulated backend (emu/emu_backend.cpp). Errors go through
 * mien_k_set_error, which reaches the core's error once registered. */
#ifndef MIEN_KERNELS_H
#define MIEN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "backend.h" /* a C header: C linkage for what it declares */

/* Scratch memory and transfers the kernels need (sum_squares' result,
 * argument arrays of the multi-tensor updates), set by the memory side. */
typedef struct mien_kmem {
  void *(*alloc)(size_t nbytes);
  void (*free)(void *ptr, size_t nbytes);
  int (*to_host)(void *host_dst, const void *src, size_t nbytes);
  int (*from_host)(void *dst, const void *host_src, size_t nbytes);
} mien_kmem;
extern mien_kmem mien_k_mem;
/* The core's services once registered (NULL before: errors stay local). */
extern const mien_backend_host *mien_k_host;
const char *mien_k_error(void);

/* Fills every kernel entry of b (memory entries are the caller's). */
void mien_cuda_fill_kernels(mien_backend *b);

#ifdef __cplusplus
}
#endif

#endif
