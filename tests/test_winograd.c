/* Winograd F(2x2,3x3) and F(4x4,3x3) (core/cpu/winograd.c) against a double
 * direct-loop reference: forward (with bias and the fused ReLU), input
 * gradient and weight gradient, float32 and float64, on shapes with partial tiles, padding 0, 1
 * and 2, batches > 1 and channel counts that are not multiples of 16; the
 * float32 error bounded relative to the output's largest magnitude, beside
 * the direct path's; the float64 one near rounding. Then the choice of path
 * (mien_winograd_tile and MIEN_CONV_ALGO) and that conv2d dispatches to it;
 * the fused ReLU and 2x2 max-pool on both paths (conv2d_fused.c). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/conv2d.h"
#include "cpu/conv2d_fused.h"
#include "cpu/winograd.h"

/* Normwise error bounds: max |got - want| / max |want|. F(4x4) multiplies
 * by transform entries up to 8 (A^T) and 1/24 (G) and loses about a digit
 * more than F(2x2); the measured worst cases (printed) sit well below. */
#define TOL_F32_M2 2e-6
#define TOL_F32_M4 2e-5
#define TOL_F64 1e-13
/* F(2x2,5x5) has the alpha (6) and the points of F(4x4,3x3). */
#define TOL_F32_5X5 2e-5

static mien_conv2d_params conv3x3(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t pad) {
  mien_conv2d_params p = {N, C_in, H, W, C_out, 3, 3, 1, 1, pad, pad, 1, 1, 1};
  return p;
}

static mien_conv2d_params conv5x5(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t pad) {
  mien_conv2d_params p = {N, C_in, H, W, C_out, 5, 5, 1, 1, pad, pad, 1, 1, 1};
  return p;
}

static int64_t out_len(const mien_conv2d_params *p) { return p->H + 2 * p->pad_h - p->KH + 1; }
static int64_t out_wid(const mien_conv2d_params *p) { return p->W + 2 * p->pad_w - p->KW + 1; }

/* y = conv(x, w) + b in double. */
static void ref_forward(const mien_conv2d_params *p, const double *x, const double *w, const double *b, double *y) {
  const int64_t OH = out_len(p), OW = out_wid(p);
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t k = 0; k < p->C_out; k++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++) {
          double s = b ? b[k] : 0;
          for (int64_t c = 0; c < p->C_in; c++)
            for (int64_t i = 0; i < p->KH; i++)
              for (int64_t j = 0; j < p->KW; j++) {
                const int64_t ih = oh + i - p->pad_h, iw = ow + j - p->pad_w;
                if (ih >= 0 && ih < p->H && iw >= 0 && iw < p->W)
                  s += x[((n * p->C_in + c) * p->H + ih) * p->W + iw] * w[((k * p->C_in + c) * p->KH + i) * p->KW + j];
              }
          y[((n * p->C_out + k) * OH + oh) * OW + ow] = s;
        }
}

/* dx = the input gradient for dy, in double. */
static void ref_backward_input(const mien_conv2d_params *p, const double *dy, const double *w, double *dx) {
  const int64_t OH = out_len(p), OW = out_wid(p);
  memset(dx, 0, sizeof(double) * (size_t)(p->N * p->C_in * p->H * p->W));
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t k = 0; k < p->C_out; k++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
          for (int64_t c = 0; c < p->C_in; c++)
            for (int64_t i = 0; i < p->KH; i++)
              for (int64_t j = 0; j < p->KW; j++) {
                const int64_t ih = oh + i - p->pad_h, iw = ow + j - p->pad_w;
                if (ih >= 0 && ih < p->H && iw >= 0 && iw < p->W)
                  dx[((n * p->C_in + c) * p->H + ih) * p->W + iw] +=
                      dy[((n * p->C_out + k) * OH + oh) * OW + ow] * w[((k * p->C_in + c) * p->KH + i) * p->KW + j];
              }
}

/* dw = the weight gradient for dy, in double. */
static void ref_backward_weight(const mien_conv2d_params *p, const double *x, const double *dy, double *dw) {
  const int64_t OH = out_len(p), OW = out_wid(p);
  memset(dw, 0, sizeof(double) * (size_t)(p->C_out * p->C_in * p->KH * p->KW));
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t k = 0; k < p->C_out; k++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
          for (int64_t c = 0; c < p->C_in; c++)
            for (int64_t i = 0; i < p->KH; i++)
              for (int64_t j = 0; j < p->KW; j++) {
                const int64_t ih = oh + i - p->pad_h, iw = ow + j - p->pad_w;
                if (ih >= 0 && ih < p->H && iw >= 0 && iw < p->W)
                  dw[((k * p->C_in + c) * p->KH + i) * p->KW + j] +=
                      dy[((n * p->C_out + k) * OH + oh) * OW + ow] * x[((n * p->C_in + c) * p->H + ih) * p->W + iw];
              }
}

static double max_abs(const double *a, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = fabs(a[i]) > m ? fabs(a[i]) : m;
  return m;
}

static double normwise_f32(const float *got, const double *want, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; i++) e = worse_error(e, fabs(got[i] - want[i]));
  return e / max_abs(want, n);
}

static double normwise_f64(const double *got, const double *want, int64_t n) {
  return max_abs_error(got, want, n) / max_abs(want, n);
}

/* Realistic magnitudes: activations after BatchNorm and ReLU (0..3), He
 * initialised weights, a small bias; output gradients of either sign. */
static double *values(int64_t n, double lo, double hi) {
  double *a = malloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) a[i] = lo + (hi - lo) * (uniform() + 1) / 2;
  return a;
}

static void check_shape(const mien_conv2d_params *p, int m) {
  const int64_t OH = out_len(p), OW = out_wid(p);
  const int64_t nx = p->N * p->C_in * p->H * p->W, nw = p->C_out * p->C_in * p->KH * p->KW, ny = p->N * p->C_out * OH * OW;
  const double ws = sqrt(6.0 / ((double)p->KH * p->KW * p->C_in));
  double *x = values(nx, 0, 3), *w = values(nw, -ws, ws), *b = values(p->C_out, -0.1, 0.1), *dy = values(ny, -1, 1);
  double *y = malloc(sizeof(double) * ny), *dx = malloc(sizeof(double) * nx);
  double *y64 = malloc(sizeof(double) * ny), *dx64 = malloc(sizeof(double) * nx);
  double *dw = malloc(sizeof(double) * nw), *dw64 = malloc(sizeof(double) * nw);
  float *dw32 = malloc(sizeof(float) * nw);
  float *x32 = to_f32(x, nx), *w32 = to_f32(w, nw), *b32 = to_f32(b, p->C_out), *dy32 = to_f32(dy, ny);
  float *y32 = malloc(sizeof(float) * ny), *dx32 = malloc(sizeof(float) * nx);
  ref_forward(p, x, w, b, y);
  ref_backward_input(p, dy, w, dx);
  ref_backward_weight(p, x, dy, dw);
  const double tol = p->KH == 5 ? TOL_F32_5X5 : m == 2 ? TOL_F32_M2 : TOL_F32_M4;
  char what[128];
  snprintf(what, sizeof what, "N=%lld C_in=%lld %lldx%lld C_out=%lld pad=%lld F(%dx%d,%lldx%lld)", (long long)p->N,
           (long long)p->C_in, (long long)p->H, (long long)p->W, (long long)p->C_out, (long long)p->pad_h, m, m,
           (long long)p->KH, (long long)p->KW);

  CHECK(mien_winograd_forward_f32(p, m, x32, w32, b32, 0, y32) == 0);
  const double e_fwd = normwise_f32(y32, y, ny);
  CHECK(setenv("MIEN_CONV_ALGO", "direct", 1) == 0);
  CHECK(mien_conv2d_forward_f32(p, x32, w32, b32, y32) == 0);
  const double e_direct = normwise_f32(y32, y, ny);
  CHECK(mien_winograd_backward_input_f32(p, m, dy32, w32, dx32) == 0);
  const double e_bwd = normwise_f32(dx32, dx, nx);
  CHECK(mien_conv2d_backward_weight_f32(p, x32, dy32, dw32) == 0);
  const double e_wdirect = normwise_f32(dw32, dw, nw);
  CHECK(mien_winograd_backward_weight_f32(p, m, x32, dy32, dw32) == 0);
  const double e_wgt = normwise_f32(dw32, dw, nw);
  printf("%s: float32 forward %.2e (direct %.2e), input gradient %.2e, weight gradient %.2e (direct %.2e)\n", what,
         e_fwd, e_direct, e_bwd, e_wgt, e_wdirect);
  EXPECT(e_fwd <= tol, "%s: forward error %.3e > %.1e", what, e_fwd, tol);
  EXPECT(e_bwd <= tol, "%s: input gradient error %.3e > %.1e", what, e_bwd, tol);
  EXPECT(e_wgt <= tol, "%s: weight gradient error %.3e > %.1e", what, e_wgt, tol);

  CHECK(mien_winograd_forward_f32(p, m, x32, w32, b32, 1, y32) == 0); /* fused ReLU */
  int relu_ok = 1;
  for (int64_t i = 0; i < ny; i++) relu_ok &= fabs(y32[i] - (y[i] > 0 ? y[i] : 0)) <= tol * max_abs(y, ny);
  EXPECT(relu_ok, "%s: the fused ReLU differs from max(conv, 0)", what);

  /* ReLU and the 2x2 max-pool fused, on the Winograd and on the direct path */
  const int64_t PH = OH / 2, PW = OW / 2, np = p->N * p->C_out * PH * PW;
  if (np > 0) {
    double *pooled = malloc(sizeof(double) * np);
    for (int64_t c = 0; c < p->N * p->C_out; c++)
      for (int64_t i = 0; i < PH; i++)
        for (int64_t j = 0; j < PW; j++) {
          const double *r = y + c * OH * OW + 2 * i * OW + 2 * j;
          const double v = fmax(fmax(r[0], r[1]), fmax(r[OW], r[OW + 1]));
          pooled[(c * PH + i) * PW + j] = v > 0 ? v : 0;
        }
    for (int direct = 0; direct < 2; direct++) {
      CHECK(setenv("MIEN_CONV_ALGO", direct ? "direct" : m == 2 ? "winograd2" : "winograd4", 1) == 0);
      CHECK(mien_conv2d_forward_fused_f32(p, x32, w32, b32, MIEN_EPILOGUE_RELU | MIEN_EPILOGUE_POOL, y32) == 0);
      const double e = normwise_f32(y32, pooled, np);
      EXPECT(e <= tol, "%s: fused conv+ReLU+pool (%s) error %.3e", what, direct ? "direct" : "winograd", e);
    }
    CHECK(unsetenv("MIEN_CONV_ALGO") == 0);
    free(pooled);
  }

  CHECK(mien_winograd_forward_f64(p, m, x, w, b, 0, y64) == 0);
  CHECK(mien_winograd_backward_input_f64(p, m, dy, w, dx64) == 0);
  CHECK(mien_winograd_backward_weight_f64(p, m, x, dy, dw64) == 0);
  EXPECT(normwise_f64(dw64, dw, nw) <= TOL_F64, "%s: float64 weight gradient error %.3e", what,
         normwise_f64(dw64, dw, nw));
  EXPECT(normwise_f64(y64, y, ny) <= TOL_F64, "%s: float64 forward error %.3e", what, normwise_f64(y64, y, ny));
  EXPECT(normwise_f64(dx64, dx, nx) <= TOL_F64, "%s: float64 input gradient error %.3e", what,
         normwise_f64(dx64, dx, nx));

  /* conv2d takes the Winograd path when forced, bit for bit */
  float *via = malloc(sizeof(float) * ny);
  CHECK(setenv("MIEN_CONV_ALGO", m == 2 ? "winograd2" : "winograd4", 1) == 0);
  CHECK(mien_conv2d_forward_f32(p, x32, w32, b32, via) == 0);
  CHECK(mien_winograd_forward_f32(p, m, x32, w32, b32, 0, y32) == 0);
  EXPECT(!memcmp(via, y32, sizeof(float) * ny), "%s: conv2d did not dispatch to Winograd", what);
  CHECK(unsetenv("MIEN_CONV_ALGO") == 0);

  /* and the weight gradient likewise */
  float *dw_via = malloc(sizeof(float) * nw);
  CHECK(setenv("MIEN_CONV_ALGO", m == 2 ? "winograd2" : "winograd4", 1) == 0);
  CHECK(mien_conv2d_backward_weight_f32(p, x32, dy32, dw_via) == 0);
  EXPECT(!memcmp(dw_via, dw32, sizeof(float) * nw), "%s: the weight gradient did not dispatch to Winograd", what);
  CHECK(unsetenv("MIEN_CONV_ALGO") == 0);
  free(dw_via), free(dw), free(dw64), free(dw32);

  free(x), free(w), free(b), free(dy), free(y), free(dx), free(y64), free(dx64);
  free(x32), free(w32), free(b32), free(dy32), free(y32), free(dx32), free(via);
}

static void check_choice(void) {
  mien_conv2d_params p = conv3x3(8, 128, 12, 12, 512, 1);
  CHECK(unsetenv("MIEN_CONV_ALGO") == 0);
  CHECK(mien_winograd_tile(&p, 0) == 4); /* 12x12: 9 tiles of 36 points against 36 of 16 */
  CHECK(mien_winograd_tile(&p, WINO_WEIGHT_GRAD) == 2); /* the weight gradient: F(2x2) unless forced */
  p = conv3x3(8, 512, 6, 6, 512, 1);
  CHECK(mien_winograd_tile(&p, 0) == 2); /* 6x6: 4 x 36 against 9 x 16 points, a tie: the more accurate */
  p = conv3x3(8, 1, 48, 48, 64, 1);
  CHECK(mien_winograd_tile(&p, 0) == 0); /* one input channel: direct */
  CHECK(setenv("MIEN_CONV_ALGO", "winograd", 1) == 0);
  CHECK(mien_winograd_tile(&p, 0) != 0); /* forced */
  mien_conv2d_params q = p;
  q.stride_h = 2;
  CHECK(mien_winograd_tile(&q, 0) == 0); /* never for stride 2, */
  q = p, q.dil_w = 2;
  CHECK(mien_winograd_tile(&q, 0) == 0); /* dilation, */
  q = p, q.KH = q.KW = 7;
  CHECK(mien_winograd_tile(&q, 0) == 0); /* 7x7, */
  q = p, q.KH = q.KW = 5;
  CHECK(mien_winograd_tile(&q, 0) == 2); /* 5x5: F(2x2,5x5) only, even when F(4x4) is asked for */
  CHECK(setenv("MIEN_CONV_ALGO", "winograd4", 1) == 0);
  CHECK(mien_winograd_tile(&q, 0) == 2);
  CHECK(setenv("MIEN_CONV_ALGO", "winograd", 1) == 0);
  q = conv3x3(2, 4, 9, 9, 4, 1), q.groups = 2;
  CHECK(mien_winograd_tile(&q, 0) == 0); /* groups */
  q = conv3x3(2, 4, 9, 9, 4, 3);
  CHECK(mien_winograd_tile(&q, 1) == 0); /* nor padding beyond 2 (the input gradient's would be negative) */
  CHECK(setenv("MIEN_CONV_ALGO", "direct", 1) == 0);
  p = conv3x3(8, 128, 12, 12, 512, 1);
  CHECK(mien_winograd_tile(&p, 0) == 0);
  CHECK(unsetenv("MIEN_CONV_ALGO") == 0);
}

int main(void) {
  rng_seed(17);
  const mien_conv2d_params shapes[] = {
      conv3x3(3, 19, 13, 11, 21, 1), /* partial tiles both ways, odd channels */
      conv3x3(2, 35, 12, 12, 40, 0), /* unpadded: 10x10 output */
      conv3x3(2, 37, 6, 6, 33, 1),   /* the FER CNN's last block, smaller */
      conv3x3(2, 5, 7, 9, 3, 2),     /* padding 2: 9x11 output */
      conv3x3(1, 1, 5, 4, 1, 1),     /* one channel, one image */
      conv3x3(2, 17, 3, 3, 18, 0),   /* a single partial tile */
  };
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
    for (int m = 2; m <= 4; m += 2) check_shape(&shapes[k], m);
  const mien_conv2d_params shapes5[] = {
      conv5x5(3, 19, 13, 11, 21, 2), /* the FER CNN's 5x5 block, smaller, partial tiles */
      conv5x5(2, 33, 9, 8, 17, 0),
      conv5x5(2, 4, 6, 7, 5, 4),     /* padding 4: the input gradient's is 0 */
  };
  for (size_t k = 0; k < sizeof shapes5 / sizeof *shapes5; k++) check_shape(&shapes5[k], 2);
  check_choice();
  return check_exit("test_winograd");
}
