/* CPU kernels of the elementwise entries: binary, unary, where, the masked
 * gradient of relu-like ops, axpy, strided copy with dtype conversion, fill
 * and arange. Every operand arrives with the output's shape (stride 0 where
 * broadcast); the iterator coalesces dims into one long inner loop. */
#include <math.h>
#include <string.h>

#include "cpu/bf16_storage.h"
#include "cpu/kernels.h"
#include "cpu/dtype_dispatch.h"
#include "cpu/iter.h"
#include "cpu/simd.h"

/* The kernels are written once for all element types; tests like x < 0 are
 * always false for uint8, which is what we want. */
#pragma GCC diagnostic ignored "-Wtype-limits"

/* out[i] = EXPR(x, y) over an iterator of (out, a, b) */
#define LOOP2(TO, TI, EXPR)                                                                  \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                           \
    TO *o = (TO *)out->data + off[0];                                                        \
    const TI *pa = (const TI *)a->data + off[1];                                             \
    const TI *pb = (const TI *)b->data + off[2];                                             \
    int64_t so = it.strides[0][it.ndim - 1], sa = it.strides[1][it.ndim - 1], sb = it.strides[2][it.ndim - 1]; \
    if (so == 1 && sa == 1 && sb == 1)                                                       \
      for (int64_t j = j0; j < j1; j++) {                                                    \
        TI x = pa[j], y = pb[j];                                                             \
        o[j] = (TO)(EXPR);                                                                   \
      }                                                                                      \
    else if (so == 1 && sa == 1 && sb == 0) {                                                \
      TI y = pb[0];                                                                          \
      for (int64_t j = j0; j < j1; j++) {                                                    \
        TI x = pa[j];                                                                        \
        o[j] = (TO)(EXPR);                                                                   \
      }                                                                                      \
    } else                                                                                   \
      for (int64_t j = j0; j < j1; j++) {                                                    \
        TI x = pa[j * sa], y = pb[j * sb];                                                   \
        o[j * so] = (TO)(EXPR);                                                              \
      }                                                                                      \
  })

static void iter3(mien_iter *it, const mien_strided *out, const mien_strided *a, const mien_strided *b) {
  const int64_t *strides[3] = {out->stride, a->stride, b->stride};
  mien_iter_init(it, out->ndim, out->shape, 3, strides);
}

int mien_cpu_binary(mien_binary_op op, const mien_strided *out, const mien_strided *a, const mien_strided *b) {
  mien_iter it;
  iter3(&it, out, a, b);
  MIEN_DISPATCH(a->dtype, T, {
    switch (op) {
      case MIEN_ADD: LOOP2(T, T, x + y); break;
      case MIEN_SUB: LOOP2(T, T, x - y); break;
      case MIEN_MUL: LOOP2(T, T, x * y); break;
      case MIEN_DIV: LOOP2(T, T, x / y); break;
      case MIEN_POW: LOOP2(T, T, pow((double)x, (double)y)); break;
      case MIEN_MAXIMUM: LOOP2(T, T, (x > y || x != x) ? x : y); break;
      case MIEN_MINIMUM: LOOP2(T, T, (x < y || x != x) ? x : y); break;
      case MIEN_EQ: LOOP2(uint8_t, T, x == y); break;
      case MIEN_NE: LOOP2(uint8_t, T, x != y); break;
      case MIEN_LT: LOOP2(uint8_t, T, x < y); break;
      case MIEN_LE: LOOP2(uint8_t, T, x <= y); break;
      case MIEN_GT: LOOP2(uint8_t, T, x > y); break;
      case MIEN_GE: LOOP2(uint8_t, T, x >= y); break;
      default: break;
    }
  });
  return 0;
}

#define LOOP1(T, EXPR)                                                                      \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                          \
    T *o = (T *)out->data + off[0];                                                         \
    const T *pa = (const T *)a->data + off[1];                                              \
    int64_t so = it.strides[0][it.ndim - 1], sa = it.strides[1][it.ndim - 1];               \
    if (so == 1 && sa == 1)                                                                 \
      for (int64_t j = j0; j < j1; j++) {                                                   \
        T x = pa[j];                                                                        \
        o[j] = (T)(EXPR);                                                                   \
      }                                                                                     \
    else                                                                                    \
      for (int64_t j = j0; j < j1; j++) {                                                   \
        T x = pa[j * sa];                                                                   \
        o[j * so] = (T)(EXPR);                                                              \
      }                                                                                     \
  })

int mien_cpu_unary(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0, double p1) {
  const int64_t *strides[2] = {out->stride, a->stride};
  mien_iter it;
  mien_iter_init(&it, out->ndim, out->shape, 2, strides);
  MIEN_DISPATCH(a->dtype, T, {
    switch (op) {
      case MIEN_NEG: LOOP1(T, -x); break;
      case MIEN_EXP: LOOP1(T, exp((double)x)); break;
      case MIEN_LOG: LOOP1(T, log((double)x)); break;
      case MIEN_SQRT: LOOP1(T, sqrt((double)x)); break;
      case MIEN_ABS: LOOP1(T, x < 0 ? -x : x); break;
      case MIEN_RELU: LOOP1(T, x > 0 ? x : 0); break;
      case MIEN_SIGMOID: LOOP1(T, 1.0 / (1.0 + exp(-(double)x))); break;
      case MIEN_TANH: LOOP1(T, tanh((double)x)); break;
      case MIEN_SIN: LOOP1(T, sin((double)x)); break;
      case MIEN_COS: LOOP1(T, cos((double)x)); break;
      case MIEN_SIGN: LOOP1(T, (x > 0) - (x < 0)); break;
      case MIEN_FLOOR: LOOP1(T, floor((double)x)); break;
      case MIEN_CEIL: LOOP1(T, ceil((double)x)); break;
      case MIEN_ROUND: LOOP1(T, nearbyint((double)x)); break;
      case MIEN_RSQRT: LOOP1(T, 1.0 / sqrt((double)x)); break;
      case MIEN_RELU6: LOOP1(T, x < 0 ? 0 : x > 6 ? 6 : x); break;
      case MIEN_CLAMP: LOOP1(T, (p0 == p0 && x < p0) ? p0 : (p1 == p1 && x > p1) ? p1 : x); break;
      case MIEN_LEAKY_RELU: LOOP1(T, x > 0 ? x : x * p0); break;
      case MIEN_SCALE: {
        const T v = (T)p0;
        LOOP1(T, x * v);
        break;
      }
      default: break;
    }
  });
  return 0;
}

/* masked_grad over contiguous runs, for bounds exact in T (so comparing in
 * T is comparing in double): selects rather than branches, since ReLU masks
 * are random and a branch mispredicts half the time; this also vectorises. */
#define MASKED_RUN(T)                                                                                       \
  static MIEN_MULTIVERSION void masked_run_##T(int64_t n, const T *restrict g, const T *restrict x, T lo, T hi, \
                                              int no_lo, int no_hi, double outside, T *restrict out) {       \
    for (int64_t i = 0; i < n; i++) { /* two selects: GCC keeps a branch for one on a combined test */     \
      const T other = (T)(g[i] * outside);                                                                  \
      T r = (no_lo | (x[i] > lo)) ? g[i] : other;                                                           \
      r = (no_hi | (x[i] < hi)) ? r : other;                                                                \
      out[i] = r;                                                                                           \
    }                                                                                                       \
  }
MASKED_RUN(float)
MASKED_RUN(double)

#define MASKED_RUNS(T)                                                                                      \
  do {                                                                                                      \
    const T tlo = no_lo ? 0 : (T)lo, thi = no_hi ? 0 : (T)hi;                                               \
    if ((!no_lo && (double)tlo != lo) || (!no_hi && (double)thi != hi)) return false;                       \
    const T *pg = g->data, *px = x->data;                                                                   \
    T *po = out->data;                                                                                      \
    _Pragma("omp parallel for schedule(static) if (n >= MIEN_ITER_PARALLEL_MIN)")                           \
    for (int64_t c = 0; c < chunks; c++) {                                                                  \
      const int64_t i = c * MIEN_ITER_CHUNK, len = n - i < MIEN_ITER_CHUNK ? n - i : MIEN_ITER_CHUNK;       \
      masked_run_##T(len, pg + i, px + i, tlo, thi, no_lo, no_hi, outside, po + i);                         \
    }                                                                                                       \
  } while (0)

/* masked_grad's common case: every operand contiguous. */
static bool masked_grad_runs(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo,
                             double hi, double outside) {
  if (!mien_cpu_is_contiguous(out) || !mien_cpu_is_contiguous(g) || !mien_cpu_is_contiguous(x) ||
      x->dtype != g->dtype)
    return false;
  const int64_t n = mien_cpu_numel(g), chunks = (n + MIEN_ITER_CHUNK - 1) / MIEN_ITER_CHUNK;
  const int no_lo = lo != lo, no_hi = hi != hi;
  if (g->dtype == MIEN_FLOAT32) MASKED_RUNS(float);
  else MASKED_RUNS(double);
  return true;
}

int mien_cpu_masked_grad(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo, double hi,
                         double outside) {
  if (masked_grad_runs(out, g, x, lo, hi, outside)) return 0;
  mien_iter it;
  iter3(&it, out, g, x);
  const mien_strided *a = g, *b = x;
  MIEN_DISPATCH_FLOAT(g->dtype, T, {
    LOOP2(T, T, ((lo != lo || y > lo) && (hi != hi || y < hi)) ? x : x * outside);
  });
  return 0;
}

int mien_cpu_where(const mien_strided *out, const mien_strided *cond, const mien_strided *a, const mien_strided *b) {
  const int64_t *strides[4] = {out->stride, cond->stride, a->stride, b->stride};
  mien_iter it;
  mien_iter_init(&it, out->ndim, out->shape, 4, strides);
  const uint8_t *pc0 = cond->data;
  MIEN_DISPATCH(out->dtype, T, {
    const T *pa0 = a->data, *pb0 = b->data;
    T *po0 = out->data;
    MIEN_ITER_FOR(it, off, j0, j1, {
      int64_t s0 = it.strides[0][it.ndim - 1], s1 = it.strides[1][it.ndim - 1];
      int64_t s2 = it.strides[2][it.ndim - 1], s3 = it.strides[3][it.ndim - 1];
      for (int64_t j = j0; j < j1; j++)
        po0[off[0] + j * s0] = pc0[off[1] + j * s1] ? pa0[off[2] + j * s2] : pb0[off[3] + j * s3];
    });
  });
  return 0;
}

int mien_cpu_axpy(const mien_strided *out, const mien_strided *b, double alpha) {
  mien_iter it;
  const mien_strided *a = out;
  iter3(&it, out, a, b);
  MIEN_DISPATCH(out->dtype, T, {
    T al = (T)alpha;
    if (alpha == 1.0) LOOP2(T, T, x + y);
    else LOOP2(T, T, x + al * y);
  });
  return 0;
}

#define COPY_LOOP(TD, TS)                                                                 \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                        \
    TD *o = (TD *)dst->data + off[0];                                                     \
    const TS *s = (const TS *)src->data + off[1];                                         \
    int64_t so = it.strides[0][it.ndim - 1], ss = it.strides[1][it.ndim - 1];             \
    if (so == 1 && ss == 1)                                                               \
      for (int64_t j = j0; j < j1; j++) o[j] = (TD)s[j];                                  \
    else                                                                                  \
      for (int64_t j = j0; j < j1; j++) o[j * so] = (TD)s[j * ss];                        \
  })

int mien_cpu_copy_strided(const mien_strided *dst, const mien_strided *src) {
  if (dst->dtype == MIEN_BFLOAT16 || src->dtype == MIEN_BFLOAT16) return mien_cpu_copy_bf16(dst, src); /* bf16 */
  const int64_t *strides[2] = {dst->stride, src->stride};
  mien_iter it;
  mien_iter_init(&it, dst->ndim, dst->shape, 2, strides);
  MIEN_DISPATCH(dst->dtype, TD, { MIEN_DISPATCH(src->dtype, TS, { COPY_LOOP(TD, TS); }); });
  return 0;
}

int mien_cpu_fill(const mien_strided *t, double value) {
  if (t->dtype == MIEN_BFLOAT16) return mien_cpu_fill_bf16(t, value); /* bf16 */
  const int64_t *strides[1] = {t->stride};
  mien_iter it;
  mien_iter_init(&it, t->ndim, t->shape, 1, strides);
  MIEN_DISPATCH(t->dtype, T, {
    T v = (T)value;
    MIEN_ITER_FOR(it, off, j0, j1, {
      T *o = (T *)t->data + off[0];
      int64_t so = it.strides[0][it.ndim - 1];
      for (int64_t j = j0; j < j1; j++) o[j * so] = v;
    });
  });
  return 0;
}

int mien_cpu_arange(void *dst, mien_dtype dtype, int64_t n, double start, double step) {
  MIEN_DISPATCH(dtype, T, {
    T *p = dst;
    for (int64_t i = 0; i < n; i++) p[i] = (T)(start + (double)i * step);
  });
  return 0;
}
