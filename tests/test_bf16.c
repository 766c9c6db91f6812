/* bfloat16: the scalar conversions (round to nearest even, NaN and Inf
 * kept), the bf16 GEMM against a float64 reference on bf16-rounded inputs
 * (every layout, ragged edges, several K blocks, alpha/beta, beta == 0 over
 * NaN), the bf16 conv2d entries against float32 conv2d on bf16-exact inputs,
 * and the CPU's bf16 entries, which run these kernels or, without
 * AVX512_BF16 or with MIEN_NO_BF16=1 (ctest runs this test both ways), the
 * float32 kernels. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "check.h"
#include "cpu/bf16_compute.h"
#include "cpu/conv2d.h"
#include "cpu/conv2d_bf16.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm_bf16.h"

static uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float float_of(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static void test_conversions(void) {
  /* exact values survive both ways */
  const float exact[] = {0.0f, -0.0f, 1.0f, -2.5f, 0x1p-126f, 0x1p-133f, 3.3895314e38f /* largest bf16 */};
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
    EXPECT(bits_of(mien_bf16_round(exact[i])) == bits_of(exact[i]), "%g changed", (double)exact[i]);
  /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even (1) */
  CHECK(mien_f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80);
  /* 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to even */
  CHECK(mien_f32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);
  /* just above the halfway point rounds up, just below rounds down */
  CHECK(mien_f32_to_bf16(float_of(0x3f808001u)) == 0x3f81);
  CHECK(mien_f32_to_bf16(float_of(0x3f807fffu)) == 0x3f80);
  CHECK(mien_f32_to_bf16(-1.0f - 0x1p-8f) == 0xbf80);
  /* infinities stay, the largest float overflows to infinity, NaN stays NaN */
  CHECK(mien_f32_to_bf16(INFINITY) == 0x7f80);
  CHECK(mien_f32_to_bf16(-INFINITY) == 0xff80);
  CHECK(mien_f32_to_bf16(3.4028235e38f) == 0x7f80);
  CHECK(isnan(mien_bf16_round(NAN)));
  CHECK(isnan(mien_bf16_round(float_of(0x7f800001u)))); /* a NaN whose payload sits in the dropped bits */
  CHECK(isnan(mien_bf16_round(float_of(0xffffffffu))) && (mien_f32_to_bf16(float_of(0xffffffffu)) & 0x8000));
  /* a subnormal rounds on its bits like any other value */
  CHECK(mien_f32_to_bf16(float_of(0x00018000u)) == 0x0002);
  /* relative error of a rounding is at most half a unit in the last place: 2^-8 */
  rng_seed(7);
  double worst = 0;
  for (int i = 0; i < 100000; i++) {
    const float f = (float)(uniform() * 1e3);
    if (f != 0) worst = worse_error(worst, fabs(((double)mien_bf16_round(f) - f) / f));
  }
  EXPECT(worst <= 0x1p-8, "bf16 rounding error %g > 2^-8", worst);
  EXPECT(worst > 0x1p-9, "bf16 rounding error %g: rounding did not happen", worst);
}

typedef struct problem {
  int ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  float alpha, beta;
  int nan_c;
} problem;

static problem make_problem(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, float beta) {
  problem p = {ta, tb, M, N, K, 0, 0, 0, alpha, beta, 0};
  p.lda = (ta ? M : K) + 3; /* padded leading dimensions */
  p.ldb = (tb ? K : N) + 1;
  p.ldc = N + 2;
  return p;
}

/* alpha op(A) op(B) + beta C0 in double, on A and B rounded to bf16 (rounded)
 * or as given; bound: the same with absolute values. */
static void reference(const problem *p, const float *A, const float *B, const float *C0, int rounded, double *ref,
                      double *bound) {
  for (int64_t i = 0; i < p->M; i++)
    for (int64_t j = 0; j < p->N; j++) {
      double sum = 0, abs_sum = 0;
      for (int64_t k = 0; k < p->K; k++) {
        float a = p->ta ? A[k * p->lda + i] : A[i * p->lda + k];
        float b = p->tb ? B[j * p->ldb + k] : B[k * p->ldb + j];
        if (rounded) a = mien_bf16_round(a), b = mien_bf16_round(b);
        sum += (double)a * b;
        abs_sum += fabs((double)a * b);
      }
      const double c = p->beta == 0 ? 0 : (double)p->beta * C0[i * p->ldc + j];
      ref[i * p->ldc + j] = p->alpha * sum + c;
      bound[i * p->ldc + j] = fabs(p->alpha) * abs_sum + fabs(c) + 1e-30;
    }
}

typedef void gemm_fn(const problem *p, const float *A, const float *B, float *C);

static void run_kernel(const problem *p, const float *A, const float *B, float *C) {
  mien_gemm_bf16(p->ta, p->tb, p->M, p->N, p->K, p->alpha, A, p->lda, B, p->ldb, p->beta, C, p->ldc);
}

static void run_entry(const problem *p, const float *A, const float *B, float *C) {
  CHECK(mien_cpu_gemm_bf16(p->ta, p->tb, p->M, p->N, p->K, p->alpha, A, p->lda, B, p->ldb, p->beta, C, p->ldc) == 0);
}

/* Largest |C - ref| / bound; rounded: the reference takes bf16-rounded inputs. */
static double gemm_error(gemm_fn *run, const problem *p, int rounded) {
  const int64_t a_n = (p->ta ? p->K : p->M) * p->lda, b_n = (p->tb ? p->N : p->K) * p->ldb, c_n = p->M * p->ldc;
  float *A = malloc(sizeof(float) * (size_t)(a_n + 1)), *B = malloc(sizeof(float) * (size_t)(b_n + 1));
  float *C0 = malloc(sizeof(float) * (size_t)c_n), *C = malloc(sizeof(float) * (size_t)c_n);
  double *ref = malloc(sizeof(double) * (size_t)c_n), *bound = malloc(sizeof(double) * (size_t)c_n);
  for (int64_t i = 0; i < a_n; i++) A[i] = (float)uniform();
  for (int64_t i = 0; i < b_n; i++) B[i] = (float)uniform();
  for (int64_t i = 0; i < c_n; i++) C0[i] = p->nan_c ? NAN : (float)uniform();
  memcpy(C, C0, sizeof(float) * (size_t)c_n);
  reference(p, A, B, C0, rounded, ref, bound);
  run(p, A, B, C);
  double worst = 0;
  for (int64_t i = 0; i < p->M; i++)
    for (int64_t j = 0; j < p->N; j++) {
      const int64_t at = i * p->ldc + j;
      worst = worse_error(worst, fabs((double)C[at] - ref[at]) / bound[at]);
    }
  for (int64_t i = 0; i < p->M; i++) /* the padding between rows is never written */
    for (int64_t j = p->N; j < p->ldc; j++) EXPECT(bits_of(C[i * p->ldc + j]) == bits_of(C0[i * p->ldc + j]) ||
                                                        (isnan(C[i * p->ldc + j]) && isnan(C0[i * p->ldc + j])),
                                                    "C padding written at row %lld", (long long)i);
  free(A), free(B), free(C0), free(C), free(ref), free(bound);
  return worst;
}

/* float32 sums of K products: a few K * 2^-24 of the absolute sum. */
static double f32_tolerance(const problem *p) { return 4e-7 * (double)(p->K + 8); }

static void check_gemm(gemm_fn *run, const char *what, const problem *p, int rounded) {
  const double err = gemm_error(run, p, rounded);
  EXPECT(err <= f32_tolerance(p), "%s ta=%d tb=%d M=%lld N=%lld K=%lld alpha=%g beta=%g nan_c=%d: rel err %g", what,
         p->ta, p->tb, (long long)p->M, (long long)p->N, (long long)p->K, (double)p->alpha, (double)p->beta,
         p->nan_c, err);
}

static void test_gemm_kernel(void) {
  static const int64_t sizes[][3] = {{1, 1, 1},   {3, 5, 2},     {8, 48, 32},   {13, 37, 19},  {9, 49, 33},
                                     {64, 200, 288}, {70, 300, 1100}, {130, 97, 515}, {5, 1600, 40}, {200, 7, 64}};
  static const float scalars[][2] = {{1, 0}, {-0.5f, 1}, {2, -1.5f}};
  for (int t = 0; t < 4; t++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      const float *ab = scalars[(t + s) % 3];
      problem p = make_problem(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], ab[0], ab[1]);
      check_gemm(run_kernel, "bf16 gemm", &p, 1);
      /* the same against unrounded inputs is off by about 2^-9: the kernel does round */
      if (p.K >= 32) EXPECT(gemm_error(run_kernel, &p, 0) > 1e-4, "bf16 gemm ta=%d tb=%d: inputs were not rounded", t & 1, t >> 1);
      problem z = make_problem(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], 1.5f, 0);
      z.nan_c = 1; /* beta == 0 overwrites NaN */
      check_gemm(run_kernel, "bf16 gemm over NaN", &z, 1);
    }
  problem k0 = make_problem(0, 0, 9, 11, 0, 1, -2); /* K == 0: C = beta * C */
  check_gemm(run_kernel, "bf16 gemm K=0", &k0, 1);
}

/* Conv shapes whose column matrices go through the GEMM (more than 256 rows). */
static void test_conv_kernel(void) {
  /* the float32 reference is the direct convolution (Winograd's own error is tested in test_winograd) */
  setenv("MIEN_CONV_ALGO", "direct", 1);
  const mien_conv2d_params shapes[] = {
      {.N = 3, .C_in = 32, .H = 12, .W = 12, .C_out = 40, .KH = 3, .KW = 3, .stride_h = 1, .stride_w = 1,
       .pad_h = 1, .pad_w = 1, .dil_h = 1, .dil_w = 1, .groups = 1},
      {.N = 2, .C_in = 64, .H = 7, .W = 9, .C_out = 24, .KH = 5, .KW = 5, .stride_h = 2, .stride_w = 1,
       .pad_h = 2, .pad_w = 2, .dil_h = 1, .dil_w = 1, .groups = 1},
      {.N = 4, .C_in = 300, .H = 5, .W = 5, .C_out = 16, .KH = 1, .KW = 1, .stride_h = 1, .stride_w = 1,
       .pad_h = 0, .pad_w = 0, .dil_h = 1, .dil_w = 1, .groups = 1},
  };
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
    const mien_conv2d_params *p = &shapes[s];
    int64_t OH, OW;
    CHECK(mien_conv2d_out_size(p, &OH, &OW) == 0);
    const int64_t nx = p->N * p->C_in * p->H * p->W, nw = p->C_out * p->C_in * p->KH * p->KW,
                  ny = p->N * p->C_out * OH * OW;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * nw), *dy = malloc(sizeof(float) * ny);
    float *b = malloc(sizeof(float) * p->C_out);
    float *got = malloc(sizeof(float) * (nx > ny ? (nx > nw ? nx : nw) : (ny > nw ? ny : nw)));
    float *want = malloc(sizeof(float) * (nx > ny ? (nx > nw ? nx : nw) : (ny > nw ? ny : nw)));
    /* bf16-exact inputs: the float32 convolution is then the reference */
    for (int64_t i = 0; i < nx; i++) x[i] = mien_bf16_round((float)uniform());
    for (int64_t i = 0; i < nw; i++) w[i] = mien_bf16_round((float)uniform());
    for (int64_t i = 0; i < ny; i++) dy[i] = mien_bf16_round((float)uniform());
    for (int64_t i = 0; i < p->C_out; i++) b[i] = (float)uniform();
    CHECK(mien_conv2d_forward_bf16(p, x, w, b, got) == 0 && mien_conv2d_forward_f32(p, x, w, b, want) == 0);
    double worst = 0;
    for (int64_t i = 0; i < ny; i++) worst = worse_error(worst, fabs((double)got[i] - want[i]) / (1 + fabs(want[i])));
    EXPECT(worst < 2e-5, "bf16 conv forward shape %zu: err %g", s, worst);
    CHECK(mien_conv2d_backward_input_bf16(p, dy, w, got) == 0 && mien_conv2d_backward_input_f32(p, dy, w, want) == 0);
    worst = 0;
    for (int64_t i = 0; i < nx; i++) worst = worse_error(worst, fabs((double)got[i] - want[i]) / (1 + fabs(want[i])));
    EXPECT(worst < 2e-5, "bf16 conv backward input shape %zu: err %g", s, worst);
    CHECK(mien_conv2d_backward_weight_bf16(p, x, dy, got) == 0 &&
          mien_conv2d_backward_weight_f32(p, x, dy, want) == 0);
    worst = 0;
    for (int64_t i = 0; i < nw; i++) worst = worse_error(worst, fabs((double)got[i] - want[i]) / (1 + fabs(want[i])));
    EXPECT(worst < 1e-4, "bf16 conv backward weight shape %zu: err %g", s, worst);
    free(x), free(w), free(dy), free(b), free(got), free(want);
  }
}

int main(void) {
  rng_seed(0x5eed5eedull);
  test_conversions();
  const char *off = getenv("MIEN_NO_BF16");
  const int forced_off = off && *off && strcmp(off, "0") != 0;
  const char *path = mien_cpu_bf16_path();
  printf("bf16 path: %s\n", path);
  if (forced_off) EXPECT(!mien_cpu_has_bf16() && strstr(path, "MIEN_NO_BF16"), "MIEN_NO_BF16=1 but path '%s'", path);
  if (mien_cpu_has_bf16()) {
    test_gemm_kernel();
    test_conv_kernel();
    /* the entry runs the kernel: results on rounded inputs */
    problem p = make_problem(0, 1, 33, 70, 300, 1, 0);
    check_gemm(run_entry, "bf16 entry", &p, 1);
  } else {
    printf("SKIP the AVX512-BF16 kernels: %s\n", path);
    /* the fallback entry is float32: tight against unrounded inputs */
    for (int t = 0; t < 4; t++) {
      problem p = make_problem(t & 1, t >> 1, 33, 70, 300, 0.5f, t == 2 ? 0 : 1);
      check_gemm(run_entry, "fallback entry", &p, 0);
    }
  }
  return check_exit("test_bf16");
}
