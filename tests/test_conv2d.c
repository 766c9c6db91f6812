/* conv2d forward and backward (input, weight, bias) against direct-loop
 * double-precision references, over hand-picked and random shapes; adjoint
 * identities in f64; parameter validation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/conv2d.h"
#include "error.h"

typedef struct shape {
  mien_conv2d_params p;
  int64_t OH, OW, x_size, w_size, y_size;
} shape;

static int make_shape(const mien_conv2d_params *p, shape *s) {
  s->p = *p;
  if (mien_conv2d_out_size(p, &s->OH, &s->OW) != 0) return -1;
  s->x_size = p->N * p->C_in * p->H * p->W;
  s->w_size = p->C_out * (p->C_in / p->groups) * p->KH * p->KW;
  s->y_size = p->N * p->C_out * s->OH * s->OW;
  return 0;
}

/* The loop nest every reference shares: runs `body` with the x, w and y
 * indices of each multiply-add of the convolution. */
#define FOR_EACH_TAP(s, xi, wi, yi, body)                                                                   \
  do {                                                                                                      \
    const mien_conv2d_params *q = &(s)->p;                                                                  \
    const int64_t gin = q->C_in / q->groups, gout = q->C_out / q->groups;                                   \
    for (int64_t n = 0; n < q->N; n++)                                                                      \
      for (int64_t co = 0; co < q->C_out; co++)                                                             \
        for (int64_t oh = 0; oh < (s)->OH; oh++)                                                            \
          for (int64_t ow = 0; ow < (s)->OW; ow++)                                                          \
            for (int64_t c = 0; c < gin; c++)                                                               \
              for (int64_t kh = 0; kh < q->KH; kh++)                                                        \
                for (int64_t kw = 0; kw < q->KW; kw++) {                                                    \
                  const int64_t ih = oh * q->stride_h - q->pad_h + kh * q->dil_h;                           \
                  const int64_t iw = ow * q->stride_w - q->pad_w + kw * q->dil_w;                           \
                  if (ih < 0 || ih >= q->H || iw < 0 || iw >= q->W) continue;                               \
                  const int64_t ci = co / gout * gin + c;                                                   \
                  const int64_t xi = ((n * q->C_in + ci) * q->H + ih) * q->W + iw;                          \
                  const int64_t wi = ((co * gin + c) * q->KH + kh) * q->KW + kw;                            \
                  const int64_t yi = ((n * q->C_out + co) * (s)->OH + oh) * (s)->OW + ow;                   \
                  body;                                                                                     \
                }                                                                                           \
  } while (0)

/* References; with `absolute`, every operand is replaced by its magnitude,
 * which gives the scale of the rounding error each output may carry. */
static void ref_forward(const shape *s, const double *x, const double *w, const double *b, int absolute,
                        double *y) {
  const int64_t plane = s->OH * s->OW;
  for (int64_t i = 0; i < s->y_size; i++) {
    const double bias = b ? b[i / plane % s->p.C_out] : 0;
    y[i] = absolute ? fabs(bias) : bias;
  }
  FOR_EACH_TAP(s, xi, wi, yi, y[yi] += absolute ? fabs(x[xi] * w[wi]) : x[xi] * w[wi]);
}

static void ref_backward_input(const shape *s, const double *dy, const double *w, int absolute, double *dx) {
  memset(dx, 0, sizeof(double) * s->x_size);
  FOR_EACH_TAP(s, xi, wi, yi, dx[xi] += absolute ? fabs(dy[yi] * w[wi]) : dy[yi] * w[wi]);
}

static void ref_backward_weight(const shape *s, const double *x, const double *dy, int absolute, double *dw) {
  memset(dw, 0, sizeof(double) * s->w_size);
  FOR_EACH_TAP(s, xi, wi, yi, dw[wi] += absolute ? fabs(x[xi] * dy[yi]) : x[xi] * dy[yi]);
}

static void ref_backward_bias(const shape *s, const double *dy, int absolute, double *db) {
  const int64_t plane = s->OH * s->OW;
  memset(db, 0, sizeof(double) * s->p.C_out);
  for (int64_t i = 0; i < s->y_size; i++) db[i / plane % s->p.C_out] += absolute ? fabs(dy[i]) : dy[i];
}

static void describe(const shape *s) {
  const mien_conv2d_params *p = &s->p;
  fprintf(stderr, "  N=%lld C_in=%lld H=%lld W=%lld C_out=%lld k=%lldx%lld stride=%lldx%lld pad=%lldx%lld "
          "dil=%lldx%lld groups=%lld\n",
          (long long)p->N, (long long)p->C_in, (long long)p->H, (long long)p->W, (long long)p->C_out,
          (long long)p->KH, (long long)p->KW, (long long)p->stride_h, (long long)p->stride_w, (long long)p->pad_h,
          (long long)p->pad_w, (long long)p->dil_h, (long long)p->dil_w, (long long)p->groups);
}

/* |got - ref| <= tol * bound elementwise; NaN (e.g. an output never
 * written: outputs start as NaN) fails. */
static void compare(const char *what, const shape *s, const double *got, const double *ref, const double *bound,
                    int64_t n, double tol) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) worst = worse_error(worst, fabs(got[i] - ref[i]) / (bound[i] + 1e-300));
  if (worst > tol) {
    failures++;
    fprintf(stderr, "FAIL %s: relative error %g\n", what, worst);
    describe(s);
  }
}

static double *random_array(int64_t n) {
  double *a = malloc(sizeof(double) * (n ? n : 1));
  for (int64_t i = 0; i < n; i++) a[i] = uniform();
  return a;
}

static double *nan_array(int64_t n) {
  double *a = malloc(sizeof(double) * (n ? n : 1));
  for (int64_t i = 0; i < n; i++) a[i] = NAN;
  return a;
}

static int check_rc(int rc, const char *what, const shape *s) {
  if (rc == 0) return 1;
  failures++;
  fprintf(stderr, "FAIL %s returned %d: %s\n", what, rc, mien_last_error());
  describe(s);
  return 0;
}

/* Runs all four functions in f32 and f64 on one shape. Inputs are rounded to
 * float first so both precisions (and the reference) see the same values. */
static void check_shape(const mien_conv2d_params *p) {
  shape s;
  if (make_shape(p, &s) != 0) {
    failures++;
    fprintf(stderr, "FAIL test shape rejected: %s\n", mien_last_error());
    return;
  }
  double *x = random_array(s.x_size), *w = random_array(s.w_size), *b = random_array(s.p.C_out);
  double *dy = random_array(s.y_size);
  float *xf = to_f32(x, s.x_size), *wf = to_f32(w, s.w_size), *bf = to_f32(b, s.p.C_out);
  float *dyf = to_f32(dy, s.y_size);
  from_f32(xf, s.x_size, x), from_f32(wf, s.w_size, w), from_f32(bf, s.p.C_out, b), from_f32(dyf, s.y_size, dy);

  const int64_t sizes[4] = {s.y_size, s.x_size, s.w_size, s.p.C_out};
  const char *names[4] = {"forward", "backward_input", "backward_weight", "backward_bias"};
  for (int op = 0; op < 4; op++) {
    const int64_t n = sizes[op];
    double *ref = malloc(sizeof(double) * (n ? n : 1)), *bound = malloc(sizeof(double) * (n ? n : 1));
    double *got = nan_array(n);
    float *got_f = to_f32(got, n);
    const double *bias = op == 0 && p->N % 2 == 0 ? b : NULL; /* bias on half the shapes */
    int rc64 = 0, rc32 = 0;
    for (int absolute = 0; absolute < 2; absolute++) {
      double *out = absolute ? bound : ref;
      if (op == 0) ref_forward(&s, x, w, bias, absolute, out);
      if (op == 1) ref_backward_input(&s, dy, w, absolute, out);
      if (op == 2) ref_backward_weight(&s, x, dy, absolute, out);
      if (op == 3) ref_backward_bias(&s, dy, absolute, out);
    }
    if (op == 0) {
      rc64 = mien_conv2d_forward_f64(p, x, w, bias, got);
      rc32 = mien_conv2d_forward_f32(p, xf, wf, bias ? bf : NULL, got_f);
    } else if (op == 1) {
      rc64 = mien_conv2d_backward_input_f64(p, dy, w, got);
      rc32 = mien_conv2d_backward_input_f32(p, dyf, wf, got_f);
    } else if (op == 2) {
      rc64 = mien_conv2d_backward_weight_f64(p, x, dy, got);
      rc32 = mien_conv2d_backward_weight_f32(p, xf, dyf, got_f);
    } else {
      rc64 = mien_conv2d_backward_bias_f64(p, dy, got);
      rc32 = mien_conv2d_backward_bias_f32(p, dyf, got_f);
    }
    char what[64];
    snprintf(what, sizeof what, "f64 %s", names[op]);
    if (check_rc(rc64, what, &s)) compare(what, &s, got, ref, bound, n, 1e-12);
    snprintf(what, sizeof what, "f32 %s", names[op]);
    if (check_rc(rc32, what, &s)) {
      from_f32(got_f, n, got);
      compare(what, &s, got, ref, bound, n, 1e-5);
    }
    free(ref), free(bound), free(got), free(got_f);
  }
  free(x), free(w), free(b), free(dy), free(xf), free(wf), free(bf), free(dyf);
}

static double dot(const double *a, const double *b, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
  return sum;
}

/* <conv(x, w), dy> = <x, backward_input(dy)> = <w, backward_weight(x, dy)>:
 * the backward functions are the adjoints of the forward one, in f64. */
static void check_adjoint(const mien_conv2d_params *p) {
  shape s;
  if (make_shape(p, &s) != 0) return;
  double *x = random_array(s.x_size), *w = random_array(s.w_size), *dy = random_array(s.y_size);
  double *y = nan_array(s.y_size), *dx = nan_array(s.x_size), *dw = nan_array(s.w_size);
  if (mien_conv2d_forward_f64(p, x, w, NULL, y) != 0 || mien_conv2d_backward_input_f64(p, dy, w, dx) != 0 ||
      mien_conv2d_backward_weight_f64(p, x, dy, dw) != 0) {
    failures++;
    fprintf(stderr, "FAIL adjoint: %s\n", mien_last_error());
  } else {
    const double forward = dot(y, dy, s.y_size), via_input = dot(x, dx, s.x_size), via_weight = dot(w, dw, s.w_size);
    const double scale = sqrt(dot(y, y, s.y_size) * dot(dy, dy, s.y_size)) + 1e-300;
    if (fabs(forward - via_input) > 1e-12 * scale || fabs(forward - via_weight) > 1e-12 * scale) {
      failures++;
      fprintf(stderr, "FAIL adjoint: <y,dy>=%.17g <x,dx>=%.17g <w,dw>=%.17g\n", forward, via_input, via_weight);
      describe(&s);
    }
  }
  free(x), free(w), free(dy), free(y), free(dx), free(dw);
}

static mien_conv2d_params conv(int64_t N, int64_t C_in, int64_t H, int64_t W, int64_t C_out, int64_t KH, int64_t KW,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                               int64_t groups) {
  return (mien_conv2d_params){N, C_in, H, W, C_out, KH, KW, sh, sw, ph, pw, dh, dw, groups};
}

/* A random valid problem, small enough for the naive references. */
static mien_conv2d_params random_params(void) {
  for (;;) {
    const int64_t groups = randint(1, 3), depthwise = randint(0, 3) == 0;
    const int64_t C_in = depthwise ? randint(2, 5) : groups * randint(1, 3);
    mien_conv2d_params p = conv(randint(1, 4), C_in, randint(1, 11), randint(1, 11),
                                (depthwise ? C_in : groups) * randint(1, 3), randint(1, 4), randint(1, 4),
                                randint(1, 3), randint(1, 3), randint(0, 2), randint(0, 2), randint(1, 2),
                                randint(1, 2), depthwise ? C_in : groups);
    int64_t OH, OW;
    if (mien_conv2d_out_size(&p, &OH, &OW) == 0) return p;
  }
}

static void expect_invalid(mien_conv2d_params p, const char *fragment) {
  int64_t OH, OW;
  mien_clear_error();
  float dummy[1] = {0};
  const int rc = mien_conv2d_out_size(&p, &OH, &OW);
  const int rc_forward = mien_conv2d_forward_f32(&p, dummy, dummy, NULL, dummy);
  if (rc != -1 || rc_forward != -1 || !strstr(mien_last_error(), fragment)) {
    failures++;
    fprintf(stderr, "FAIL expected an error containing '%s', got rc=%d/%d '%s'\n", fragment, rc, rc_forward,
            mien_last_error());
  }
}

int main(void) {
  rng_seed(0x2545f4914f6cdd1dull);
  const mien_conv2d_params cases[] = {
      conv(2, 3, 8, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),    /* plain 3x3, same padding */
      conv(3, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1),    /* stride 2 */
      conv(2, 2, 10, 10, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1),  /* dilation 2 */
      conv(2, 4, 7, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),    /* groups 2 */
      conv(2, 6, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),    /* depthwise */
      conv(2, 3, 8, 8, 6, 5, 5, 2, 2, 2, 2, 1, 1, 3),    /* depthwise, multiplier 2, stride 2 */
      conv(1, 4, 6, 5, 4, 3, 2, 1, 3, 0, 1, 2, 1, 4),    /* depthwise, 3x2, mixed stride/padding/dilation */
      conv(2, 5, 6, 7, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1),    /* 1x1 pointwise (no im2col) */
      conv(2, 6, 6, 7, 4, 1, 1, 1, 1, 0, 0, 1, 1, 2),    /* 1x1 pointwise, groups 2 */
      conv(2, 3, 7, 7, 2, 1, 1, 2, 2, 1, 1, 1, 1, 1),    /* 1x1 with stride and padding */
      conv(2, 3, 9, 8, 4, 3, 1, 1, 1, 1, 0, 1, 1, 1),    /* 3x1 */
      conv(2, 2, 6, 11, 3, 2, 5, 2, 1, 0, 2, 1, 2, 1),   /* 2x5, mixed stride/padding/dilation */
      conv(1, 3, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1),    /* kernel covers the input: 1x1 output */
      conv(5, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),    /* batch not a multiple of the thread count */
      conv(0, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),    /* empty batch */
      conv(1, 1, 6, 6, 1, 7, 7, 1, 1, 3, 3, 1, 1, 1),    /* single channel, kernel larger than input */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    check_shape(&cases[i]);
    check_adjoint(&cases[i]);
  }
  for (int i = 0; i < 150; i++) {
    const mien_conv2d_params p = random_params();
    check_shape(&p);
    check_adjoint(&p);
  }
  /* Big enough to be threaded over the batch (uneven shares included when
   * run with 3 or more threads) and to span several GEMM blocks. */
  const mien_conv2d_params big[] = {
      conv(4, 16, 15, 14, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      conv(6, 8, 12, 12, 8, 3, 3, 2, 2, 1, 1, 1, 1, 2),     /* groups */
      conv(5, 16, 10, 10, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1),   /* pointwise */
      conv(4, 16, 12, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 16),  /* depthwise */
  };
  for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
    check_shape(&big[i]);
    check_adjoint(&big[i]);
  }
  /* Either side of the paths' limits in column rows (group_in * KH * KW):
   * the small-K products (up to 256 rows forward and for the input gradient,
   * 72 for the weight gradient) and the GEMMs over spans of several images
   * (small planes, batches that do not split evenly into spans). */
  const mien_conv2d_params paths[] = {
      conv(3, 1, 13, 11, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1),    /* 9 rows: a grey first layer, ragged tiles */
      conv(2, 8, 6, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),      /* 72 rows */
      conv(4, 9, 7, 7, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),     /* 81 rows: weight gradient by GEMM */
      conv(2, 16, 5, 5, 5, 4, 4, 1, 1, 2, 2, 1, 1, 1),     /* 256 rows */
      conv(5, 32, 5, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1),     /* 288 rows: all by GEMM, spans of images */
      conv(6, 32, 4, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),     /* the same with a bias (even N) */
      conv(7, 64, 6, 5, 8, 3, 3, 2, 1, 1, 2, 1, 2, 2),     /* 288 rows per group, strides, dilation */
      conv(3, 260, 3, 4, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1),    /* pointwise, 260 rows */
  };
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    check_shape(&paths[i]);
    check_adjoint(&paths[i]);
  }

  expect_invalid(conv(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2), "groups");
  expect_invalid(conv(1, 4, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2), "groups");
  expect_invalid(conv(1, 3, 4, 4, 4, 3, 3, 1, 1, 0, 0, 2, 2, 1), "empty");
  expect_invalid(conv(1, 3, 4, 4, 4, 3, 3, 0, 1, 0, 0, 1, 1, 1), "stride");
  expect_invalid(conv(1, 3, 4, 4, 4, 3, 3, 1, 1, -1, 0, 1, 1, 1), "padding");
  expect_invalid(conv(1, 0, 4, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1), "positive");

  return check_exit("test_conv2d");
}
