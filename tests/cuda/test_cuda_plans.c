/* The pure halves of the cuBLAS and cuDNN files: the row-major -> cuBLAS
 * mapping, the cuDNN descriptor values, and the algorithm cache. */
#include <stdio.h>
#include <string.h>

#include "conv_plan.h"
#include "gemm_plan.h"

static int failures;
#define CHECK(c) \
  do { if (!(c)) { failures++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); } } while (0)

/* Column-major C' = op1(F) op2(S) with the plan, on plain arrays: checks
 * that the plan computes the row-major product. */
static void run_plan(const mien_gemm_plan *p, const double *A, const double *B, double *C) {
  const double *F = B, *S = A; /* swap */
  for (int j = 0; j < p->n; j++)
    for (int i = 0; i < p->m; i++) {
      double acc = 0;
      for (int l = 0; l < p->k; l++) {
        const double f = p->trans_first ? F[i * p->ld_first + l] : F[l * p->ld_first + i];
        const double s = p->trans_second ? S[l * p->ld_second + j] : S[j * p->ld_second + l];
        acc += f * s;
      }
      C[j * p->ldc + i] = acc;
    }
}

static void gemm_case(int ta, int tb, int M, int N, int K) {
  double A[64], B[64], C[64], want[64];
  const int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
  for (int i = 0; i < 64; i++) A[i] = (i * 7 % 11) - 5, B[i] = (i * 5 % 13) - 6;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double acc = 0;
      for (int l = 0; l < K; l++) acc += (ta ? A[l * lda + i] : A[i * lda + l]) * (tb ? B[j * ldb + l] : B[l * ldb + j]);
      want[i * ldc + j] = acc;
    }
  mien_gemm_plan p;
  char err[200];
  CHECK(mien_gemm_plan_make(ta, tb, M, N, K, lda, ldb, ldc, 0, 0, 0, &p, err, sizeof err) == 0);
  memset(C, 0, sizeof C);
  run_plan(&p, A, B, C);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) CHECK(C[i * ldc + j] == want[i * ldc + j]);
}

int main(void) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) gemm_case(ta, tb, 3, 4, 2);
  mien_gemm_plan p;
  char err[200];
  CHECK(mien_gemm_plan_make(false, false, 3, 4, 5, 4, 4, 4, 0, 0, 0, &p, err, sizeof err) == -1);
  CHECK(strstr(err, "leading dimensions") != NULL);
  CHECK(mien_gemm_plan_make(false, false, 3000000000LL, 4, 5, 5, 4, 4, 0, 0, 0, &p, err, sizeof err) == -1);
  CHECK(strstr(err, "int") != NULL);

  const int64_t prm[14] = {8, 6, 48, 47, 12, 3, 5, 2, 1, 1, 2, 1, 2, 3};
  mien_conv_plan c;
  CHECK(mien_conv_plan_make(prm, &c, err, sizeof err) == 0);
  CHECK(c.y[0] == 8 && c.y[1] == 12 && c.y[2] == 24 && c.y[3] == 47 - 8 + 4 + 1 - 1 + 0);
  CHECK(c.w[1] == 2 && c.groups == 3 && c.pad[1] == 2 && c.dilation[1] == 2);
  int64_t bad[14];
  memcpy(bad, prm, sizeof bad);
  bad[13] = 4; /* 6 channels in 4 groups */
  CHECK(mien_conv_plan_make(bad, &c, err, sizeof err) == -1 && strstr(err, "groups"));
  memcpy(bad, prm, sizeof bad);
  bad[5] = 60; /* kernel taller than the padded input */
  CHECK(mien_conv_plan_make(bad, &c, err, sizeof err) == -1 && strstr(err, "empty"));

  static mien_conv_cache cache;
  int64_t k1[16], k2[16];
  mien_conv_cache_key(prm, 0, 0, k1);
  mien_conv_cache_key(prm, 0, 1, k2);
  CHECK(mien_conv_cache_find(&cache, k1) == NULL);
  mien_conv_cache_put(&cache, k1, 3, 1024);
  CHECK(mien_conv_cache_find(&cache, k1) && mien_conv_cache_find(&cache, k1)->algo == 3);
  CHECK(mien_conv_cache_find(&cache, k2) == NULL);
  for (int i = 0; i < 100; i++) {
    int64_t k[16];
    memcpy(bad, prm, sizeof bad);
    bad[0] = 100 + i;
    mien_conv_cache_key(bad, 0, 0, k);
    mien_conv_cache_put(&cache, k, i, 0);
  }
  CHECK(cache.count == MIEN_CONV_CACHE_SIZE);
  if (failures) fprintf(stderr, "test_cuda_plans: %d failure(s)\n", failures);
  else printf("test_cuda_plans: ok\n");
  return failures != 0;
}
