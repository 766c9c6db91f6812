/* GEMM dispatch: OpenBLAS when available, otherwise the built-in kernel. */
#include "gemm.h"

#include "blas_core.h"

#ifdef MIEN_HAVE_CBLAS
#include <cblas.h>
#include <limits.h>

/* cblas takes int sizes; anything larger goes to the built-in kernel. So
 * does K == 0 (C = beta * C), where a contiguous caller may pass a leading
 * dimension of 0 that cblas would reject with a message on stderr. */
static int fits_cblas(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc) {
  return K > 0 && M <= INT_MAX && N <= INT_MAX && K <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX && ldc <= INT_MAX;
}

static enum CBLAS_TRANSPOSE cblas_trans(int trans) { return trans ? CblasTrans : CblasNoTrans; }
#endif

void mien_gemm_f32(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                   int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef MIEN_HAVE_CBLAS
  if (fits_cblas(M, N, K, lda, ldb, ldc)) {
    mien_cpu_blas_pick_core(); /* OpenBLAS's fast kernels on CPUs it does not know */
    cblas_sgemm(CblasRowMajor, cblas_trans(transA), cblas_trans(transB), (int)M, (int)N, (int)K, alpha, A,
                (int)lda, B, (int)ldb, beta, C, (int)ldc);
    return;
  }
#endif
  mien_gemm_f32_builtin(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void mien_gemm_f64(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
                   int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef MIEN_HAVE_CBLAS
  if (fits_cblas(M, N, K, lda, ldb, ldc)) {
    mien_cpu_blas_pick_core();
    cblas_dgemm(CblasRowMajor, cblas_trans(transA), cblas_trans(transB), (int)M, (int)N, (int)K, alpha, A,
                (int)lda, B, (int)ldb, beta, C, (int)ldc);
    return;
  }
#endif
  mien_gemm_f64_builtin(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char *mien_gemm_backend(void) {
#ifdef MIEN_HAVE_CBLAS
  return "openblas";
#else
  return "builtin";
#endif
}
