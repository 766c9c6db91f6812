/* The pure halves of the cuBLAS and cuDNN files: the row-major -> cuBLAS
 * mapping, the cuDNN descriptor values, the algorithm cache and when cuDNN
 * hands a pass to our kernels; and the im2col plan of our convolution, whose
 * GEMM calls are run here on plain arrays against a direct convolution. */
#include <stdio.h>
#include <string.h>

#include "conv_plan.h"
#include "gemm_plan.h"
#include "im2col_plan.h"

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

/* Row-major batched GEMM on host arrays, as the descriptor says. */
static void run_gemm(const mien_im2col_gemm *g, double beta, const double *A, const double *B, double *C) {
  for (int64_t z = 0; z < g->batch; z++)
    for (int64_t i = 0; i < g->M; i++)
      for (int64_t j = 0; j < g->N; j++) {
        double acc = 0;
        for (int64_t k = 0; k < g->K; k++) {
          const double a = g->trans_a ? A[z * g->stride_a + k * g->lda + i] : A[z * g->stride_a + i * g->lda + k];
          const double b = g->trans_b ? B[z * g->stride_b + j * g->ldb + k] : B[z * g->stride_b + k * g->ldb + j];
          acc += a * b;
        }
        double *c = &C[z * g->stride_c + i * g->ldc + j];
        *c = acc + (beta != 0 ? beta * *c : 0);
      }
}

enum { PN, PCI, PH_, PW_, PCO, PKH, PKW, PSH, PSW, PPH, PPW, PDH, PDW, PG };

/* The plan's three passes on host arrays against direct sums. */
static void im2col_case(const int64_t p[14]) {
  mien_im2col_plan pl;
  char err[200];
  CHECK(mien_im2col_plan_make(p, 8, 1 << 20, &pl, err, sizeof err) == 0);
  const int64_t cig = p[PCI] / p[PG], nx = p[PN] * pl.x_image, ny = p[PN] * pl.y_image, nw = p[PCO] * pl.kg;
  double x[2048], w[512], dy[2048], col[8192], y[2048], dx[2048], dw[512], yw[2048] = {0}, dxw[2048] = {0},
      dww[512] = {0};
  CHECK(nx <= 2048 && ny <= 2048 && nw <= 512 && p[PN] * pl.col_image <= 8192);
  for (int64_t i = 0; i < nx; i++) x[i] = (double)(i * 7 % 13) - 6;
  for (int64_t i = 0; i < nw; i++) w[i] = (double)(i * 5 % 11) - 5;
  for (int64_t i = 0; i < ny; i++) dy[i] = (double)(i * 3 % 7) - 3;
  for (int64_t n = 0; n < p[PN]; n++) /* columns, as conv.cu's im2col writes them */
    for (int64_t r = 0; r < pl.col_rows; r++)
      for (int64_t q = 0; q < pl.ohw; q++) {
        const int64_t c = r / (p[PKH] * p[PKW]), kh = r / p[PKW] % p[PKH], kw = r % p[PKW];
        const int64_t ih = q / pl.OW * p[PSH] - p[PPH] + kh * p[PDH], iw = q % pl.OW * p[PSW] - p[PPW] + kw * p[PDW];
        col[n * pl.col_image + r * pl.ohw + q] =
            ih >= 0 && ih < p[PH_] && iw >= 0 && iw < p[PW_] ? x[n * pl.x_image + (c * p[PH_] + ih) * p[PW_] + iw] : 0;
      }
  for (int64_t n = 0; n < p[PN]; n++)
    for (int64_t co = 0; co < p[PCO]; co++)
      for (int64_t q = 0; q < pl.ohw; q++)
        for (int64_t r = 0; r < pl.kg; r++) {
          const int64_t c = co / pl.cog * cig + r / (p[PKH] * p[PKW]), kk = r % (p[PKH] * p[PKW]);
          const int64_t ih = q / pl.OW * p[PSH] - p[PPH] + kk / p[PKW] * p[PDH];
          const int64_t iw = q % pl.OW * p[PSW] - p[PPW] + kk % p[PKW] * p[PDW];
          if (ih < 0 || ih >= p[PH_] || iw < 0 || iw >= p[PW_]) continue;
          const int64_t xi = n * pl.x_image + (c * p[PH_] + ih) * p[PW_] + iw, yi = n * pl.y_image + co * pl.ohw + q;
          yw[yi] += x[xi] * w[co * pl.kg + r];
          dxw[xi] += dy[yi] * w[co * pl.kg + r];
          dww[co * pl.kg + r] += dy[yi] * x[xi];
        }
  /* forward: all images in one call with one group, else one image per call */
  const int64_t step = pl.groups == 1 ? p[PN] : 1;
  for (int64_t n = 0; n < p[PN]; n += step) {
    const mien_im2col_gemm g = mien_im2col_gemm_of(&pl, MIEN_IM2COL_FORWARD, step);
    run_gemm(&g, 0, w, col + n * pl.col_image, y + n * pl.y_image);
  }
  for (int64_t i = 0; i < ny; i++) CHECK(y[i] == yw[i]);
  /* filter: beta 0 for the first image, 1 after */
  for (int64_t n = 0; n < p[PN]; n++) {
    const mien_im2col_gemm g = mien_im2col_gemm_of(&pl, MIEN_IM2COL_FILTER, 1);
    run_gemm(&g, n ? 1 : 0, dy + n * pl.y_image, col + n * pl.col_image, dw);
  }
  for (int64_t i = 0; i < nw; i++) CHECK(dw[i] == dww[i]);
  /* data: dcol, then col2im (a scatter here: the adjoint of the im2col above) */
  for (int64_t n = 0; n < p[PN]; n += step) {
    const mien_im2col_gemm g = mien_im2col_gemm_of(&pl, MIEN_IM2COL_DATA, step);
    run_gemm(&g, 0, w, dy + n * pl.y_image, col + n * pl.col_image);
  }
  memset(dx, 0, sizeof dx);
  for (int64_t n = 0; n < p[PN]; n++)
    for (int64_t r = 0; r < pl.col_rows; r++)
      for (int64_t q = 0; q < pl.ohw; q++) {
        const int64_t c = r / (p[PKH] * p[PKW]), kh = r / p[PKW] % p[PKH], kw = r % p[PKW];
        const int64_t ih = q / pl.OW * p[PSH] - p[PPH] + kh * p[PDH], iw = q % pl.OW * p[PSW] - p[PPW] + kw * p[PDW];
        if (ih >= 0 && ih < p[PH_] && iw >= 0 && iw < p[PW_])
          dx[n * pl.x_image + (c * p[PH_] + ih) * p[PW_] + iw] += col[n * pl.col_image + r * pl.ohw + q];
      }
  for (int64_t i = 0; i < nx; i++) CHECK(dx[i] == dxw[i]);
}

static void im2col_plan_checks(void) {
  const int64_t one_group[14] = {3, 2, 7, 6, 4, 3, 2, 2, 1, 1, 0, 1, 2, 1};
  const int64_t groups[14] = {2, 6, 5, 5, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3};
  im2col_case(one_group);
  im2col_case(groups);
  mien_im2col_plan pl;
  char err[200];
  CHECK(mien_im2col_plan_make(groups, 4, 1 << 30, &pl, err, sizeof err) == 0);
  CHECK(pl.OH == 5 && pl.OW == 5 && pl.cog == 3 && pl.kg == 18 && pl.col_rows == 54 && pl.images_per_chunk == 2);
  const size_t image = (size_t)pl.col_image * 4;
  CHECK(pl.chunk_bytes == 2 * image);
  int64_t many[14];
  memcpy(many, groups, sizeof many);
  many[0] = 10;
  CHECK(mien_im2col_plan_make(many, 4, 3 * image + 1, &pl, err, sizeof err) == 0 && pl.images_per_chunk == 3);
  CHECK(mien_im2col_plan_make(many, 4, image - 1, &pl, err, sizeof err) == 0 && pl.images_per_chunk == 1);
  many[0] = 0; /* an empty batch: no buffer */
  CHECK(mien_im2col_plan_make(many, 4, 1 << 30, &pl, err, sizeof err) == 0 && pl.chunk_bytes == 0);
  many[0] = 2, many[13] = 4;
  CHECK(mien_im2col_plan_make(many, 4, 1 << 30, &pl, err, sizeof err) == -1 && strstr(err, "groups"));
  many[13] = 1, many[5] = 40;
  CHECK(mien_im2col_plan_make(many, 4, 1 << 30, &pl, err, sizeof err) == -1 && strstr(err, "empty"));
  many[5] = 3, many[2] = many[3] = 3000000000LL;
  CHECK(mien_im2col_plan_make(many, 4, 1 << 30, &pl, err, sizeof err) == -1 && strstr(err, "overflows"));
  CHECK(mien_conv_falls_back(3000) && mien_conv_falls_back(3007) && !mien_conv_falls_back(0) &&
        !mien_conv_falls_back(2000) && !mien_conv_falls_back(4000));
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
  im2col_plan_checks();
  if (failures) fprintf(stderr, "test_cuda_plans: %d failure(s)\n", failures);
  else printf("test_cuda_plans: ok\n");
  return failures != 0;
}
