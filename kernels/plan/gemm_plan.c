#include "gemm_plan.h"

#include <limits.h>
#include <stdio.h>

static int fits(int64_t v) { return v >= 0 && v <= INT_MAX; }

int mien_gemm_plan_make(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                        int64_t ldc, int64_t stride_a, int64_t stride_b, int64_t stride_c, mien_gemm_plan *plan,
                        char *err, size_t errlen) {
  if (!fits(M) || !fits(N) || !fits(K) || !fits(lda) || !fits(ldb) || !fits(ldc)) {
    snprintf(err, errlen, "gemm: sizes %lldx%lldx%lld or leading dimensions do not fit cuBLAS's int", (long long)M,
             (long long)N, (long long)K);
    return -1;
  }
  /* row-major: a row of A holds K (or M when transposed) elements */
  const int64_t row_a = trans_a ? M : K, row_b = trans_b ? K : N;
  if (lda < (row_a > 1 ? row_a : 1) || ldb < (row_b > 1 ? row_b : 1) || ldc < (N > 1 ? N : 1)) {
    snprintf(err, errlen, "gemm: leading dimensions %lld, %lld, %lld are shorter than the rows (%lld, %lld, %lld)",
             (long long)lda, (long long)ldb, (long long)ldc, (long long)row_a, (long long)row_b, (long long)N);
    return -1;
  }
  plan->swap = true;
  plan->trans_first = trans_b;
  plan->trans_second = trans_a;
  plan->m = (int)N;
  plan->n = (int)M;
  plan->k = (int)K;
  plan->ld_first = (int)ldb;
  plan->ld_second = (int)lda;
  plan->ldc = (int)ldc;
  plan->stride_first = stride_b;
  plan->stride_second = stride_a;
  plan->stride_c = stride_c;
  return 0;
}
