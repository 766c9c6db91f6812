/* What every kernel source shares: the __host__ __device__ marker, the
 * launch macro (a real launch under nvcc, the grid emulator under a host
 * compiler), the strided-iteration descriptor and the launch status. */
#ifndef MIEN_KERNELS_COMMON_CUH
#define MIEN_KERNELS_COMMON_CUH

#include <math.h>
#include <stdint.h>

#include "kernels.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define MIEN_HD __host__ __device__ __forceinline__
#define MIEN_UNROLL _Pragma("unroll") /* a loop of constant trip count, fully unrolled */
#define MIEN_LAUNCH(kernel, grid, block, stream, ...) \
  (kernel<<<(grid), (block), 0, (cudaStream_t)(stream)>>>(__VA_ARGS__), mien_k_status(#kernel))
#else
#include "emu/cuda_emu.h"
#define MIEN_HD inline
#define MIEN_UNROLL
#define MIEN_LAUNCH(kernel, grid, block, stream, ...) \
  ((void)(stream), mien_k_status_emu(#kernel, mien_emu::launch((grid), (block), [&] { kernel(__VA_ARGS__); })))
#endif

#define MIEN_K_THREADS 256
enum { MIEN_K_F32 = MIEN_FLOAT32, MIEN_K_F64 = MIEN_FLOAT64, MIEN_K_I64 = MIEN_INT64, MIEN_K_U8 = MIEN_UINT8 };
#define MIEN_K_MAX_OPS 4

/* One (broadcast) shape and each operand's element strides over it. */
struct mien_kiter {
  int ndim;
  bool contiguous; /* every operand is dense in row-major order: offset = index */
  int64_t numel;
  int64_t shape[MIEN_MAX_DIMS];
  int64_t stride[MIEN_K_MAX_OPS][MIEN_MAX_DIMS];
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
#define MIEN_K_DISPATCH_FLOAT(dtype, T, ...)                             \
  switch (dtype) {                                                       \
    case MIEN_K_F32: { typedef float T; __VA_ARGS__; break; }            \
    case MIEN_K_F64: { typedef double T; __VA_ARGS__; break; }           \
    default: return mien_k_fail("kernel: dtype %d is not a float type", (int)dtype); \
  }
#define MIEN_K_DISPATCH(dtype, T, ...)                                   \
  switch (dtype) {                                                       \
    case MIEN_K_F32: { typedef float T; __VA_ARGS__; break; }            \
    case MIEN_K_F64: { typedef double T; __VA_ARGS__; break; }           \
    case MIEN_K_I64: { typedef int64_t T; __VA_ARGS__; break; }          \
    case MIEN_K_U8: { typedef uint8_t T; __VA_ARGS__; break; }           \
    default: return mien_k_fail("kernel: unknown dtype %d", (int)dtype);     \
  }

/* Launch status: 0, or -1 with the error naming the kernel. */
int mien_k_status(const char *kernel);
int mien_k_status_emu(const char *kernel, int rc);
/* Records the message (and gives it to the core when registered); returns -1. */
int mien_k_fail(const char *fmt, ...);

/* The strides of s as the descriptor wants them. */
inline mien_kiter mien_kiter_of(int nops, const mien_strided *const *ops) {
  const int64_t *strides[MIEN_K_MAX_OPS];
  for (int k = 0; k < nops; k++) strides[k] = ops[k]->stride;
  return mien_kiter_make(ops[0]->ndim, ops[0]->shape, nops, strides);
}


inline size_t mien_k_dtype_size(mien_dtype t) { return t == MIEN_UINT8 ? 1 : t == MIEN_FLOAT32 ? 4 : 8; }

/* Element off of an array of dtype dt, read or written as a double. */
MIEN_HD double mien_k_load(const void *base, int64_t off, mien_dtype dt) {
  switch (dt) {
    case MIEN_FLOAT32: return ((const float *)base)[off];
    case MIEN_FLOAT64: return ((const double *)base)[off];
    case MIEN_INT64: return (double)((const int64_t *)base)[off];
    default: return ((const uint8_t *)base)[off];
  }
}
MIEN_HD void mien_k_store(void *base, int64_t off, mien_dtype dt, double v) {
  switch (dt) {
    case MIEN_FLOAT32: ((float *)base)[off] = (float)v; break;
    case MIEN_FLOAT64: ((double *)base)[off] = v; break;
    case MIEN_INT64: ((int64_t *)base)[off] = (int64_t)v; break;
    default: ((uint8_t *)base)[off] = (uint8_t)v; break;
  }
}

/* Combining partial results in double: sums, products and NaN-propagating
 * max / min (a NaN anywhere makes the result NaN, as on the CPU). */
enum { MIEN_K_COMBINE_SUM, MIEN_K_COMBINE_PROD, MIEN_K_COMBINE_MAX, MIEN_K_COMBINE_MIN };
MIEN_HD double mien_k_identity(int kind) {
  return kind == MIEN_K_COMBINE_SUM ? 0.0 : kind == MIEN_K_COMBINE_PROD ? 1.0
         : kind == MIEN_K_COMBINE_MAX ? -HUGE_VAL : HUGE_VAL;
}
MIEN_HD double mien_k_combine(int kind, double a, double b) {
  switch (kind) {
    case MIEN_K_COMBINE_SUM: return a + b;
    case MIEN_K_COMBINE_PROD: return a * b;
    case MIEN_K_COMBINE_MAX: return (a != a || b != b) ? a + b : a > b ? a : b;
    default: return (a != a || b != b) ? a + b : a < b ? a : b;
  }
}

/* The block's combined value, in every thread. blockDim.x must be a
 * multiple of 32 (at most 1024); every thread of the block must call it. */
__device__ inline double mien_k_block_reduce(double v, int kind) {
  __shared__ double partial[32];
  __shared__ double total;
  const unsigned lane = threadIdx.x % 32u, warp = threadIdx.x / 32u, nwarps = blockDim.x / 32u;
  for (int d = 16; d > 0; d /= 2) v = mien_k_combine(kind, v, __shfl_down_sync(0xffffffffu, v, d));
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? partial[lane] : mien_k_identity(kind);
    for (int d = 16; d > 0; d /= 2) v = mien_k_combine(kind, v, __shfl_down_sync(0xffffffffu, v, d));
    if (lane == 0) total = v;
  }
  __syncthreads();
  v = total;
  __syncthreads(); /* partial and total are free again for the next call */
  return v;
}

/* Rows handled one per block, striding when there are more than the cap. */
inline unsigned mien_k_row_blocks(int64_t rows) { return (unsigned)(rows < 1 ? 1 : rows > 65535 * 8 ? 65535 * 8 : rows); }
/* Threads for a block-per-row kernel: whole warps, no more than the row needs. */
inline unsigned mien_k_warps_for(int64_t n, unsigned most) {
  const int64_t t = (n + 31) / 32 * 32;
  return (unsigned)(t < 32 ? 32 : t > most ? most : t);
}
#define MIEN_ROW_LOOP(r, rows) for (int64_t r = blockIdx.x; r < (rows); r += gridDim.x)
#define MIEN_BLOCK_LOOP(k, n) for (int64_t k = threadIdx.x; k < (n); k += blockDim.x)

#endif
