/* Pooling: output size, window geometry, and the float/double
 * instantiations of pool2d_impl.h. */
#include "pool2d.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "simd.h"
#include "threads.h"

typedef struct pool2d_geometry {
  mien_pool2d_params p;
  int64_t OH, OW;
  int64_t in_plane, out_plane; /* H * W, OH * OW */
} pool2d_geometry;

/* The input rows (or columns) [*start, *end) under window o, and the
 * window's length counting padding but not what lies beyond it. */
typedef struct pool_span {
  int64_t start, end, padded;
} pool_span;

static pool_span pool_span_at(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  int64_t start = o * stride - pad;
  int64_t end = start + kernel < size + pad ? start + kernel : size + pad;
  const pool_span s = {start < 0 ? 0 : start, end < size ? end : size, end - start};
  return s;
}

/* What an average over the window hs x ws divides by (never 0: with padding
 * at most half the kernel every window overlaps the input). */
static int64_t avg_divisor(const mien_pool2d_params *p, pool_span hs, pool_span ws) {
  return p->count_include_pad ? hs.padded * ws.padded : (hs.end - hs.start) * (ws.end - ws.start);
}

static int64_t pool_axis_out(int64_t size, int64_t kernel, int64_t stride, int64_t pad, int ceil_mode) {
  const int64_t span = size + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0);
  if (span < 0) return 0;
  int64_t out = span / stride + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad) out--;
  return out;
}

int mien_pool2d_out_size(const mien_pool2d_params *p, int64_t *OH, int64_t *OW) {
  if (p->N < 0 || p->C <= 0 || p->H <= 0 || p->W <= 0 || p->KH <= 0 || p->KW <= 0 || p->stride_h <= 0 ||
      p->stride_w <= 0) {
    mien_set_error("pool2d: sizes, kernel and stride must be positive (N=%" PRId64 " C=%" PRId64 " H=%" PRId64
                   " W=%" PRId64 " kernel=%" PRId64 "x%" PRId64 " stride=%" PRId64 "x%" PRId64 ")",
                   p->N, p->C, p->H, p->W, p->KH, p->KW, p->stride_h, p->stride_w);
    return -1;
  }
  if (p->pad_h < 0 || p->pad_w < 0 || 2 * p->pad_h > p->KH || 2 * p->pad_w > p->KW) {
    mien_set_error("pool2d: padding %" PRId64 "x%" PRId64 " must be non-negative and at most half the kernel %" PRId64
                   "x%" PRId64,
                   p->pad_h, p->pad_w, p->KH, p->KW);
    return -1;
  }
  *OH = pool_axis_out(p->H, p->KH, p->stride_h, p->pad_h, p->ceil_mode);
  *OW = pool_axis_out(p->W, p->KW, p->stride_w, p->pad_w, p->ceil_mode);
  if (*OH <= 0 || *OW <= 0) {
    mien_set_error("pool2d: output would be %" PRId64 "x%" PRId64 " (input %" PRId64 "x%" PRId64 ", kernel %" PRId64
                   "x%" PRId64 ", padding %" PRId64 "x%" PRId64 ")",
                   *OH, *OW, p->H, p->W, p->KH, p->KW, p->pad_h, p->pad_w);
    return -1;
  }
  return 0;
}

static int pool2d_geometry_init(pool2d_geometry *g, const mien_pool2d_params *p) {
  if (mien_pool2d_out_size(p, &g->OH, &g->OW) != 0) return -1;
  g->p = *p;
  g->in_plane = p->H * p->W;
  g->out_plane = g->OH * g->OW;
  return 0;
}

/* Elements read and written by one pass, to decide on threading. */
static inline int64_t pool2d_work(const pool2d_geometry *g) {
  return g->p.N * g->p.C * (g->in_plane + g->out_plane * g->p.KH * g->p.KW);
}

#define REAL float
#define FN(name) name##_f32
#include "pool2d_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "pool2d_impl.h"
