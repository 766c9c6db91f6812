/* The built-in (no BLAS) GEMM for float and double; see gemm_builtin_impl.h. */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "simd.h"
#include "threads.h"

/* Packed panels are read with vector loads: keep them cache-line aligned. */
static void *aligned_buffer(size_t bytes) {
  const size_t align = 64;
  return aligned_alloc(align, (bytes + align - 1) / align * align);
}

/* The size, a multiple of `multiple` and at most about `max`, that splits n
 * into equal blocks: 130 rows become 66 + 64 rather than 96 + 34, which keeps
 * the threads' shares of the work even. */
static int64_t even_block(int64_t n, int64_t max, int64_t multiple) {
  const int64_t nblocks = (n + max - 1) / max;
  const int64_t size = (n + nblocks - 1) / nblocks;
  return (size + multiple - 1) / multiple * multiple;
}

/* Products with at most this many multiply-adds skip packing; the same
 * bound decides whether the unpacked loops are worth threading. */
#define GEMM_UNPACKED_MAX (32 * 32 * 32)
/* Smaller products run on one thread. */
#define GEMM_PARALLEL_MIN (64 * 64 * 64)
/* Width, in B slivers, of one parallel work item. */
#define GEMM_CHUNK 8

/* Tiles are 6 x (2 vectors of 32 bytes): twelve AVX2 accumulator registers. */
typedef float vec_f32 __attribute__((vector_size(32)));
typedef double vec_f64 __attribute__((vector_size(32)));

/* f32: 6 x 16 tiles, 16 KB B slivers. */
#define REAL float
#define VEC vec_f32
#define FN(name) name##_f32
#define GEMM_BUILTIN mien_gemm_f32_builtin
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_KC 256
#define GEMM_MC 96
#define GEMM_NC 2048
#include "gemm_builtin_impl.h"
#undef REAL
#undef VEC
#undef FN
#undef GEMM_BUILTIN
#undef GEMM_MR
#undef GEMM_NR
#undef GEMM_KC
#undef GEMM_MC
#undef GEMM_NC

/* f64: 6 x 8 tiles. */
#define REAL double
#define VEC vec_f64
#define FN(name) name##_f64
#define GEMM_BUILTIN mien_gemm_f64_builtin
#define GEMM_MR 6
#define GEMM_NR 8
#define GEMM_KC 256
#define GEMM_MC 48
#define GEMM_NC 1024
#include "gemm_builtin_impl.h"
