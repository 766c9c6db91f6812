/* The CUDA backend is a separate library (libmien_cuda.so, built from
 * kernels/ when nvcc is found) that the core never links: it is dlopened the
 * first time CUDA is asked for, so a process that never asks pays nothing
 * (linking cuBLAS and cuDNN costs about 0.26 s and 217 MB at start-up). */
#ifndef MIEN_CUDA_LOADER_H
#define MIEN_CUDA_LOADER_H

#include <stddef.h>
#include <stdint.h>

/* Loads the library and registers its backend, once; later calls return the
 * first answer. 0, or -1 with the reason (no library in this build, no
 * driver, no device) in mien_last_error() and mien_cuda_why(). */
int mien_cuda_load(void);
/* Why CUDA is unavailable ("" when it is); loads first if not yet tried. */
const char *mien_cuda_why(void);

/* The caching allocator's figures for device `index` (same layout as
 * kernels/plan/caching_alloc.h's mien_memory_stats); -1 when CUDA is not
 * loaded or the device has allocated nothing yet. */
typedef struct mien_cuda_memory_info {
  size_t allocated, reserved, peak_allocated, requested;
  int64_t device_allocs;
} mien_cuda_memory_info;
int mien_cuda_memory(int index, mien_cuda_memory_info *out);
/* Returns cached, unused device blocks to the driver; the bytes freed. */
size_t mien_cuda_empty_cache(void);

#endif
