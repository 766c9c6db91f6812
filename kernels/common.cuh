/* What every kernel source shares: the __host__ __device__ marker, the
 * launch macro (a real launch under nvcc, the grid emulator under a host
 * compiler), the strided-iteration descriptor and the launch status. */
#ifndef MIEN_KERNELS_COMMON_CUH
#define MIEN_KERNELS_COMMON_CUH

#include <stdint.h>

#include "kernels.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define MIEN_HD __host__ __device__ __forceinline__
#define MIEN_LAUNCH(kernel, grid, block, stream, ...) \
  (kernel<<<(grid), (block), 0, (cudaStream_t)(stream)>>>(__VA_ARGS__), mien_k_status(#kernel))
#else
#include "emu/cuda_emu.h"
#define MIEN_HD inline
#define MIEN_LAUNCH(kernel, grid, block, stream, ...) \
  ((void)(stream), mien_k_status_emu(#kernel, mien_emu::launch((grid), (block), [&] { kernel(__VA_ARGS__); })))
#endif

#define MIEN_K_THREADS 256
#define MIEN_K_MAX_OPS 4

/* One (broadcast) shape and each operand's element strides over it. */
struct mien_kiter {
  int ndim;
  bool contiguous; /* every operand is dense in row-major order: offset = index */
  int64_t numel;
  int64_t shape[MIEN_K_MAX_DIMS];
  int64_t stride[MIEN_K_MAX_OPS][MIEN_K_MAX_DIMS];
};

/* Builds the descriptor with dims of size 1 dropped and adjacent dims merged
 * where every operand steps through them as one. */
mien_kiter mien_kiter_make(int ndim, const int64_t *shape, int nops, const int64_t *const *strides);

template <int NOPS>
MIEN_HD void mien_kiter_offsets(const mien_kiter &it, int64_t i, int64_t *off) {
  for (int k = 0; k < NOPS; k++) off[k] = it.contiguous ? i : 0;
  if (it.contiguous) return;
  for (int d = it.ndim - 1; d >= 0; d--) {
    const int64_t idx = i % it.shape[d];
    i /= it.shape[d];
    for (int k = 0; k < NOPS; k++) off[k] += idx * it.stride[k][d];
  }
}

/* Blocks for n items of MIEN_K_THREADS threads, each thread striding over
 * the grid when n needs more blocks than the cap. */
inline unsigned mien_k_blocks(int64_t n) {
  const int64_t b = (n + MIEN_K_THREADS - 1) / MIEN_K_THREADS;
  return (unsigned)(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

#define MIEN_GRID_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)blockDim.x * gridDim.x)

/* Runs the code with T the C type of a mien dtype. */
#define MIEN_K_DISPATCH(dtype, T, ...)                                   \
  switch (dtype) {                                                       \
    case MIEN_K_F32: { typedef float T; __VA_ARGS__; break; }            \
    case MIEN_K_F64: { typedef double T; __VA_ARGS__; break; }           \
    case MIEN_K_I64: { typedef int64_t T; __VA_ARGS__; break; }          \
    case MIEN_K_U8: { typedef uint8_t T; __VA_ARGS__; break; }           \
    default: mien_k_set_error("kernel: unknown dtype %d", dtype); return -1; \
  }

/* Launch status: 0, or -1 with mien_k_error() naming the kernel. */
int mien_k_status(const char *kernel);
int mien_k_status_emu(const char *kernel, int rc);
void mien_k_set_error(const char *fmt, ...);

#endif
