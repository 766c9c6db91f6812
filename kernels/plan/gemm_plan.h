/* Row-major GEMM as a column-major cuBLAS call, as a pure function. The
 * core's C[M,N] = alpha op(A) op(B) + beta C is, read column-major,
 * C^T = op(B)^T op(A)^T: cuBLAS gets B first, the transposes swapped, and
 * m = N, n = M. Checked here: sizes fit cuBLAS's int, leading dimensions
 * cover their rows. */
#ifndef MIEN_GEMM_PLAN_H
#define MIEN_GEMM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mien_gemm_plan {
  bool trans_first, trans_second; /* cuBLAS opA, opB (true = transposed) */
  int m, n, k;
  bool swap;                      /* always true: cuBLAS's first matrix is the core's B */
  int ld_first, ld_second, ldc;
  long long stride_first, stride_second, stride_c;
} mien_gemm_plan;

/* 0, or -1 with the reason in err. */
int mien_gemm_plan_make(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                        int64_t ldc, int64_t stride_a, int64_t stride_b, int64_t stride_c, mien_gemm_plan *plan,
                        char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
