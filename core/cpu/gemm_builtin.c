/* The built-in (no BLAS) GEMM for float and double; see gemm_builtin_impl.h. */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "cpu_features.h"
#include "simd.h"
#include "threads.h"

/* The AVX-512 instantiations need GCC's target pragmas on x86-64 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MIEN_HAVE_AVX512_BUILD 1
#else
#define MIEN_HAVE_AVX512_BUILD 0
#endif

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

/* Each type is instantiated twice: for AVX-512 (tiles 6 x (2 vectors of 64
 * bytes), the whole instantiation compiled for it), and for what the CPU
 * otherwise has (6 x (2 vectors of 32 bytes): twelve AVX2 accumulator
 * registers, the micro-kernel multiversioned). mien_cpu_has_avx512() picks
 * one per call. */
typedef float vec_f32 __attribute__((vector_size(32)));
typedef double vec_f64 __attribute__((vector_size(32)));
typedef float vec16_f32 __attribute__((vector_size(64)));
typedef double vec8_f64 __attribute__((vector_size(64)));

/* f32: 6 x 16 tiles, 16 KB B slivers. */
#define REAL float
#define VEC vec_f32
#define FN(name) name##_f32
#define GEMM_KERNEL_ATTR MIEN_MULTIVERSION
#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_KC 256
#define GEMM_MC 96
#define GEMM_NC 2048
#include "gemm_builtin_impl.h"
#undef VEC
#undef FN
#undef GEMM_NR

#if MIEN_HAVE_AVX512_BUILD
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq")
#undef GEMM_KERNEL_ATTR
#define GEMM_KERNEL_ATTR
/* f32, AVX-512: 6 x 32 tiles, 32 KB B slivers. */
#define VEC vec16_f32
#define FN(name) name##_f32x16
#define GEMM_NR 32
#define GEMM_DOT /* the dot-product path (sixteen lanes) */
#include "gemm_builtin_impl.h"
#undef GEMM_DOT
#undef VEC
#undef FN
#undef GEMM_NR
#pragma GCC pop_options
#undef GEMM_KERNEL_ATTR
#define GEMM_KERNEL_ATTR MIEN_MULTIVERSION
#endif
#undef REAL
#undef GEMM_MC
#undef GEMM_NC

/* f64: 6 x 8 tiles. */
#define REAL double
#define VEC vec_f64
#define FN(name) name##_f64
#define GEMM_NR 8
#define GEMM_MC 48
#define GEMM_NC 1024
#include "gemm_builtin_impl.h"
#undef VEC
#undef FN
#undef GEMM_NR

#if MIEN_HAVE_AVX512_BUILD
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq")
#undef GEMM_KERNEL_ATTR
#define GEMM_KERNEL_ATTR
/* f64, AVX-512: 6 x 16 tiles. */
#define VEC vec8_f64
#define FN(name) name##_f64x8
#define GEMM_NR 16
#include "gemm_builtin_impl.h"
#pragma GCC pop_options
#endif

/* Every instantiation packs the same way (MR rows per sliver, the same K
 * blocks), so one packing serves whichever kernel a call picks. */
int64_t mien_gemm_packed_a_elems(int64_t M, int64_t K) { return (M + GEMM_MR - 1) / GEMM_MR * GEMM_MR * K; }

void mien_gemm_f32_pack_a(int transA, int64_t M, int64_t K, const float *A, int64_t lda, float *packed) {
  pack_a_whole_f32(transA, M, K, A, lda, packed);
}

void mien_gemm_f64_pack_a(int transA, int64_t M, int64_t K, const double *A, int64_t lda, double *packed) {
  pack_a_whole_f64(transA, M, K, A, lda, packed);
}

void mien_gemm_f32_builtin_packed(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                                  const float *A, int64_t lda, const float *packed_A, const float *B, int64_t ldb,
                                  float beta, float *C, int64_t ldc) {
#if MIEN_HAVE_AVX512_BUILD
  if (mien_cpu_has_avx512()) {
    gemm_f32x16(transA, transB, M, N, K, alpha, A, lda, packed_A, B, ldb, beta, C, ldc);
    return;
  }
#endif
  gemm_f32(transA, transB, M, N, K, alpha, A, lda, packed_A, B, ldb, beta, C, ldc);
}

void mien_gemm_f64_builtin_packed(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha,
                                  const double *A, int64_t lda, const double *packed_A, const double *B, int64_t ldb,
                                  double beta, double *C, int64_t ldc) {
#if MIEN_HAVE_AVX512_BUILD
  if (mien_cpu_has_avx512()) {
    gemm_f64x8(transA, transB, M, N, K, alpha, A, lda, packed_A, B, ldb, beta, C, ldc);
    return;
  }
#endif
  gemm_f64(transA, transB, M, N, K, alpha, A, lda, packed_A, B, ldb, beta, C, ldc);
}

void mien_gemm_f32_builtin(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                           int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  mien_gemm_f32_builtin_packed(transA, transB, M, N, K, alpha, A, lda, NULL, B, ldb, beta, C, ldc);
}

void mien_gemm_f64_builtin(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
                           int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
  mien_gemm_f64_builtin_packed(transA, transB, M, N, K, alpha, A, lda, NULL, B, ldb, beta, C, ldc);
}

const char *mien_gemm_builtin_kernels(void) {
#if MIEN_HAVE_AVX512_BUILD
  if (mien_cpu_has_avx512()) return "avx512 (6x32 float, 6x16 double)";
#endif
  return "avx2/baseline (6x16 float, 6x8 double)";
}
