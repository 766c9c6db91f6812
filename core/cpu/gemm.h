/* General matrix multiply on row-major raw arrays:
 *
 *   C = alpha * op(A) * op(B) + beta * C
 *
 * op(A) is M x K (A itself is K x M when transA), op(B) is K x N, C is M x N;
 * lda/ldb/ldc are row strides in elements. beta == 0 overwrites C without
 * reading it (NaN/Inf in C do not leak through).
 *
 * mien_gemm_* uses OpenBLAS when the library was built with it (see
 * mien_gemm_backend) and the built-in kernel otherwise; the *_builtin entry
 * points always use the built-in kernel (exposed so it can be tested and
 * compared). Both are multi-threaded and safe to call concurrently. */
#ifndef MIEN_CPU_GEMM_H
#define MIEN_CPU_GEMM_H

#include <stdint.h>

void mien_gemm_f32(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                   int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
void mien_gemm_f64(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
                   int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc);

void mien_gemm_f32_builtin(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                           int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
void mien_gemm_f64_builtin(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
                           int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc);

/* The built-in GEMM with op(A) packed once for many products (the Winograd
 * filters, multiplied by every chunk of tiles): mien_gemm_*_pack_a writes
 * op(A) (M x K) into mien_gemm_packed_a_elems(M, K) elements, and
 * mien_gemm_*_builtin_packed computes what mien_gemm_*_builtin does with
 * the same arguments, reading op(A) from packed_A instead. */
int64_t mien_gemm_packed_a_elems(int64_t M, int64_t K);
void mien_gemm_f32_pack_a(int transA, int64_t M, int64_t K, const float *A, int64_t lda, float *packed);
void mien_gemm_f64_pack_a(int transA, int64_t M, int64_t K, const double *A, int64_t lda, double *packed);
void mien_gemm_f32_builtin_packed(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                                  const float *A, int64_t lda, const float *packed_A, const float *B, int64_t ldb,
                                  float beta, float *C, int64_t ldc);
void mien_gemm_f64_builtin_packed(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha,
                                  const double *A, int64_t lda, const double *packed_A, const double *B, int64_t ldb,
                                  double beta, double *C, int64_t ldc);

/* Which micro-kernels the *_builtin GEMMs run (mien_gemm_kernels). */
const char *mien_gemm_builtin_kernels(void);

/* "openblas" or "builtin": what mien_gemm_f32/f64 run on. */
const char *mien_gemm_backend(void);

#endif
