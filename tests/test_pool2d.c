/* max/avg pool2d against direct double-precision references (PyTorch
 * semantics: ceil_mode, count_include_pad), output sizes, finite-difference
 * gradients in f64, NaN propagation and parameter validation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/pool2d.h"
#include "error.h"

static mien_pool2d_params pool(int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t sh,
                               int64_t sw, int64_t ph, int64_t pw, int ceil_mode, int count_include_pad) {
  return (mien_pool2d_params){N, C, H, W, KH, KW, sh, sw, ph, pw, ceil_mode, count_include_pad};
}

typedef struct shape {
  mien_pool2d_params p;
  int64_t OH, OW, x_size, y_size;
} shape;

/* Reference: window (oh, ow) covers taps kh < KH, kw < KW at input
 * (oh*sh - ph + kh, ow*sw - pw + kw); a tap counts as padding when it falls
 * outside the input but inside the padded extent, and not at all beyond. */
static int tap_in_input(const mien_pool2d_params *p, int64_t ih, int64_t iw) {
  return ih >= 0 && ih < p->H && iw >= 0 && iw < p->W;
}
static int tap_in_padded(const mien_pool2d_params *p, int64_t ih, int64_t iw) {
  return ih < p->H + p->pad_h && iw < p->W + p->pad_w;
}

#define FOR_EACH_WINDOW(s, out, plane, oh, ow, ...)                                \
  for (int64_t plane = 0; plane < (s)->p.N * (s)->p.C; plane++)                    \
    for (int64_t oh = 0; oh < (s)->OH; oh++)                                       \
      for (int64_t ow = 0; ow < (s)->OW; ow++) {                                   \
        const int64_t out = (plane * (s)->OH + oh) * (s)->OW + ow;                 \
        __VA_ARGS__                                                                \
      }

#define FOR_EACH_TAP(s, oh, ow, ih, iw, ...)                                       \
  for (int64_t kh = 0; kh < (s)->p.KH; kh++)                                       \
    for (int64_t kw = 0; kw < (s)->p.KW; kw++) {                                   \
      const int64_t ih = (oh) * (s)->p.stride_h - (s)->p.pad_h + kh;               \
      const int64_t iw = (ow) * (s)->p.stride_w - (s)->p.pad_w + kw;               \
      __VA_ARGS__                                                                  \
    }

static void ref_max(const shape *s, const double *x, double *y, int64_t *idx) {
  FOR_EACH_WINDOW(s, out, plane, oh, ow, {
    double best = -INFINITY;
    int64_t at = -1;
    FOR_EACH_TAP(s, oh, ow, ih, iw, {
      if (!tap_in_input(&s->p, ih, iw)) continue;
      const double v = x[plane * s->p.H * s->p.W + ih * s->p.W + iw];
      if (at < 0 || v > best || isnan(v)) best = v, at = ih * s->p.W + iw;
    });
    y[out] = best;
    idx[out] = at;
  })
}

static double ref_divisor(const shape *s, int64_t oh, int64_t ow) {
  double count = 0;
  FOR_EACH_TAP(s, oh, ow, ih, iw, {
    if (s->p.count_include_pad ? tap_in_padded(&s->p, ih, iw) : tap_in_input(&s->p, ih, iw)) count++;
  });
  return count;
}

static void ref_avg(const shape *s, const double *x, double *y) {
  FOR_EACH_WINDOW(s, out, plane, oh, ow, {
    double sum = 0;
    FOR_EACH_TAP(s, oh, ow, ih, iw, {
      if (tap_in_input(&s->p, ih, iw)) sum += x[plane * s->p.H * s->p.W + ih * s->p.W + iw];
    });
    y[out] = sum / ref_divisor(s, oh, ow);
  })
}

static void ref_avg_backward(const shape *s, const double *dy, double *dx) {
  memset(dx, 0, sizeof(double) * s->x_size);
  FOR_EACH_WINDOW(s, out, plane, oh, ow, {
    FOR_EACH_TAP(s, oh, ow, ih, iw, {
      if (tap_in_input(&s->p, ih, iw))
        dx[plane * s->p.H * s->p.W + ih * s->p.W + iw] += dy[out] / ref_divisor(s, oh, ow);
    });
  })
}

static void round_to_f32(double *a, float *f, int64_t n) {
  for (int64_t i = 0; i < n; i++) f[i] = (float)a[i], a[i] = f[i];
}

/* Distinct values in [-1, 1), 2/n apart (shuffled): for the small shapes of
 * the finite-difference checks no step can change a window's maximum. */
static void distinct_values(double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = -1 + 2 * (double)i / (double)n;
  for (int64_t i = n - 1; i > 0; i--) {
    const int64_t j = randint(0, i);
    const double t = x[i];
    x[i] = x[j], x[j] = t;
  }
}

static void check_shape(const mien_pool2d_params *p) {
  shape s = {*p, 0, 0, 0, 0};
  if (mien_pool2d_out_size(p, &s.OH, &s.OW) != 0) {
    failures++;
    fprintf(stderr, "FAIL shape rejected: %s\n", mien_last_error());
    return;
  }
  s.x_size = p->N * p->C * p->H * p->W;
  s.y_size = p->N * p->C * s.OH * s.OW;
  const int64_t nx = s.x_size + 1, ny = s.y_size + 1; /* +1: never malloc(0) */
  const int64_t n_either = nx > ny ? nx : ny;           /* ref/got hold x- or y-shaped results */
  double *x = malloc(sizeof(double) * nx), *dy = malloc(sizeof(double) * ny);
  double *ref = malloc(sizeof(double) * n_either), *got = malloc(sizeof(double) * n_either);
  int64_t *ref_idx = malloc(sizeof(int64_t) * ny), *idx = malloc(sizeof(int64_t) * ny);
  float *xf = malloc(sizeof(float) * nx), *dyf = malloc(sizeof(float) * ny);
  float *gotf = malloc(sizeof(float) * n_either);
  distinct_values(x, s.x_size);
  for (int64_t i = 0; i < s.y_size; i++) dy[i] = uniform();
  round_to_f32(x, xf, s.x_size);
  round_to_f32(dy, dyf, s.y_size);
  const char *mode = p->ceil_mode ? "ceil" : "floor";

  /* max forward: values and indices */
  ref_max(&s, x, ref, ref_idx);
  EXPECT(mien_max_pool2d_forward_f64(p, x, got, idx) == 0, "%s", mien_last_error());
  EXPECT(max_abs_error(got, ref, s.y_size) == 0, "f64 max forward (%s)", mode);
  EXPECT(memcmp(idx, ref_idx, sizeof(int64_t) * s.y_size) == 0, "f64 max indices (%s)", mode);
  EXPECT(mien_max_pool2d_forward_f32(p, xf, gotf, idx) == 0, "%s", mien_last_error());
  from_f32(gotf, s.y_size, got);
  EXPECT(max_abs_error(got, ref, s.y_size) == 0, "f32 max forward (%s)", mode);
  EXPECT(memcmp(idx, ref_idx, sizeof(int64_t) * s.y_size) == 0, "f32 max indices (%s)", mode);

  /* max backward: dy routed to the argmax */
  memset(ref, 0, sizeof(double) * s.x_size);
  for (int64_t i = 0; i < s.y_size; i++) ref[i / (s.OH * s.OW) * p->H * p->W + ref_idx[i]] += dy[i];
  EXPECT(mien_max_pool2d_backward_f64(p, dy, ref_idx, got) == 0, "%s", mien_last_error());
  EXPECT(max_abs_error(got, ref, s.x_size) < 1e-15, "f64 max backward");
  EXPECT(mien_max_pool2d_backward_f32(p, dyf, ref_idx, gotf) == 0, "%s", mien_last_error());
  from_f32(gotf, s.x_size, got);
  EXPECT(max_abs_error(got, ref, s.x_size) < 1e-5, "f32 max backward");

  /* avg forward and backward */
  ref_avg(&s, x, ref);
  EXPECT(mien_avg_pool2d_forward_f64(p, x, got) == 0, "%s", mien_last_error());
  EXPECT(max_abs_error(got, ref, s.y_size) < 1e-14, "f64 avg forward (%s, include_pad=%d)", mode,
         p->count_include_pad);
  EXPECT(mien_avg_pool2d_forward_f32(p, xf, gotf) == 0, "%s", mien_last_error());
  from_f32(gotf, s.y_size, got);
  EXPECT(max_abs_error(got, ref, s.y_size) < 1e-6, "f32 avg forward (%s, include_pad=%d)", mode,
         p->count_include_pad);
  ref_avg_backward(&s, dy, ref);
  EXPECT(mien_avg_pool2d_backward_f64(p, dy, got) == 0, "%s", mien_last_error());
  EXPECT(max_abs_error(got, ref, s.x_size) < 1e-14, "f64 avg backward (%s, include_pad=%d)", mode,
         p->count_include_pad);
  EXPECT(mien_avg_pool2d_backward_f32(p, dyf, gotf) == 0, "%s", mien_last_error());
  from_f32(gotf, s.x_size, got);
  EXPECT(max_abs_error(got, ref, s.x_size) < 1e-5, "f32 avg backward (%s, include_pad=%d)", mode,
         p->count_include_pad);

  free(x), free(dy), free(ref), free(got), free(ref_idx), free(idx), free(xf), free(dyf), free(gotf);
}

/* loss(x) = <pool(x), r>; its gradient from backward(r) must match central
 * differences (exact up to rounding: both poolings are piecewise linear). */
static void check_finite_differences(const mien_pool2d_params *p, int use_max) {
  int64_t OH, OW;
  if (mien_pool2d_out_size(p, &OH, &OW) != 0) return;
  const int64_t nx = p->N * p->C * p->H * p->W, ny = p->N * p->C * OH * OW;
  double *x = malloc(sizeof(double) * nx), *r = malloc(sizeof(double) * ny), *y = malloc(sizeof(double) * ny);
  double *grad = malloc(sizeof(double) * nx);
  int64_t *idx = malloc(sizeof(int64_t) * ny);
  distinct_values(x, nx);
  for (int64_t i = 0; i < ny; i++) r[i] = uniform();
  if (use_max) {
    mien_max_pool2d_forward_f64(p, x, y, idx);
    mien_max_pool2d_backward_f64(p, r, idx, grad);
  } else {
    mien_avg_pool2d_backward_f64(p, r, grad);
  }
  const double h = 1e-5;
  double worst = 0;
  for (int64_t i = 0; i < nx; i++) {
    double loss[2];
    for (int side = 0; side < 2; side++) {
      const double saved = x[i];
      x[i] += side ? -h : h;
      if (use_max)
        mien_max_pool2d_forward_f64(p, x, y, NULL); /* indices are optional */
      else
        mien_avg_pool2d_forward_f64(p, x, y);
      x[i] = saved;
      loss[side] = 0;
      for (int64_t j = 0; j < ny; j++) loss[side] += y[j] * r[j];
    }
    const double e = fabs((loss[0] - loss[1]) / (2 * h) - grad[i]);
    worst = e > worst ? e : worst;
  }
  EXPECT(worst < 1e-8, "%s pool finite differences: error %g", use_max ? "max" : "avg", worst);
  free(x), free(r), free(y), free(grad), free(idx);
}

static void check_out_size(mien_pool2d_params p, int64_t OH, int64_t OW) {
  int64_t oh = -1, ow = -1;
  EXPECT(mien_pool2d_out_size(&p, &oh, &ow) == 0 && oh == OH && ow == OW,
         "out size H=%lld K=%lld s=%lld pad=%lld ceil=%d: got %lldx%lld, want %lldx%lld", (long long)p.H,
         (long long)p.KH, (long long)p.stride_h, (long long)p.pad_h, p.ceil_mode, (long long)oh, (long long)ow,
         (long long)OH, (long long)OW);
}

static void check_invalid(mien_pool2d_params p, const char *fragment) {
  int64_t OH, OW;
  double dummy[1] = {0};
  mien_clear_error();
  EXPECT(mien_pool2d_out_size(&p, &OH, &OW) == -1 && mien_avg_pool2d_forward_f64(&p, dummy, dummy) == -1 &&
             strstr(mien_last_error(), fragment),
         "expected an error containing '%s', got '%s'", fragment, mien_last_error());
}

int main(void) {
  rng_seed(0x853c49e6748fea9bull);
  /* Output sizes as PyTorch computes them. */
  check_out_size(pool(1, 1, 5, 5, 2, 2, 2, 2, 0, 0, 0, 1), 2, 2);
  check_out_size(pool(1, 1, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1), 3, 3);
  check_out_size(pool(1, 1, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1), 4, 4);
  check_out_size(pool(1, 1, 4, 4, 2, 2, 3, 3, 1, 1, 1, 1), 2, 2); /* last window would start in the padding */
  check_out_size(pool(1, 1, 7, 9, 7, 9, 1, 1, 0, 0, 0, 1), 1, 1); /* global pooling */

  const mien_pool2d_params cases[] = {
      pool(2, 3, 8, 8, 2, 2, 2, 2, 0, 0, 0, 1), pool(2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0, 1),
      pool(2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0, 0), pool(1, 2, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1),
      pool(1, 2, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1), pool(1, 2, 6, 6, 3, 3, 2, 2, 1, 1, 1, 0),
      pool(3, 2, 5, 9, 3, 2, 1, 3, 1, 0, 1, 1), pool(2, 4, 6, 5, 6, 5, 1, 1, 0, 0, 0, 1),
      pool(0, 2, 4, 4, 2, 2, 2, 2, 0, 0, 0, 1),
      pool(8, 16, 20, 19, 3, 3, 2, 2, 1, 1, 1, 0), /* large enough to be threaded */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_shape(&cases[i]);
  for (int i = 0; i < 80; i++) {
    const int64_t KH = randint(1, 4), KW = randint(1, 4);
    mien_pool2d_params p = pool(randint(1, 3), randint(1, 3), randint(1, 10), randint(1, 10), KH, KW, randint(1, 3),
                                randint(1, 3), randint(0, KH / 2), randint(0, KW / 2), (int)randint(0, 1),
                                (int)randint(0, 1));
    int64_t OH, OW;
    if (mien_pool2d_out_size(&p, &OH, &OW) == 0) check_shape(&p);
  }
  for (int use_max = 0; use_max < 2; use_max++) {
    check_finite_differences(&cases[1], use_max);
    check_finite_differences(&cases[5], use_max);
    check_finite_differences(&cases[6], use_max);
  }

  /* NaN wins the max and its index is reported. */
  double x[4] = {1, NAN, 3, 2}, y[1];
  int64_t at = -1;
  const mien_pool2d_params one = pool(1, 1, 2, 2, 2, 2, 2, 2, 0, 0, 0, 1);
  EXPECT(mien_max_pool2d_forward_f64(&one, x, y, &at) == 0 && isnan(y[0]) && at == 1, "NaN max: %g at %lld", y[0],
         (long long)at);

  /* The same rules in the 2x2 fast path: ties go to the first maximum, the
   * last NaN wins, and a window of -inf reports its first position. */
  const double windows[][4] = {{2, 5, 5, 1}, {NAN, 1, NAN, 7}, {-INFINITY, -INFINITY, -INFINITY, -INFINITY},
                               {3, 3, 3, 3}, {1, 2, 9, 9}};
  const int64_t want_at[] = {1, 2, 0, 0, 2};
  for (size_t i = 0; i < sizeof windows / sizeof *windows; i++) {
    double y1[1];
    float xf1[4], yf1[1];
    int64_t at1 = -1, atf = -1;
    for (int k = 0; k < 4; k++) xf1[k] = (float)windows[i][k];
    EXPECT(mien_max_pool2d_forward_f64(&one, windows[i], y1, &at1) == 0 && at1 == want_at[i] &&
               (isnan(y1[0]) ? isnan(windows[i][want_at[i]]) : y1[0] == windows[i][want_at[i]]),
           "2x2 window %zu: %g at %lld, want position %lld", i, y1[0], (long long)at1, (long long)want_at[i]);
    EXPECT(mien_max_pool2d_forward_f32(&one, xf1, yf1, &atf) == 0 && atf == want_at[i], "f32 2x2 window %zu at %lld",
           i, (long long)atf);
  }

  /* A corrupt index is refused rather than written through. */
  int64_t bad = 4;
  double dx[4];
  EXPECT(mien_max_pool2d_backward_f64(&one, y, &bad, dx) == -1 && strstr(mien_last_error(), "index"),
         "bad index accepted");

  check_invalid(pool(1, 1, 5, 5, 2, 2, 2, 2, 2, 0, 0, 1), "padding");
  check_invalid(pool(1, 1, 5, 5, 2, 2, 0, 2, 0, 0, 0, 1), "stride");
  check_invalid(pool(1, 1, 2, 2, 5, 5, 1, 1, 1, 1, 0, 1), "output");

  return check_exit("test_pool2d");
}
