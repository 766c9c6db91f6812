/* Broadcasting elementwise ops and their gradients. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "cpu/simd.h"
#include "dtype_dispatch.h"
#include "error.h"
#include "iter.h"
#include "tensor.h"

/* The kernels are written once for all element types; tests like x < 0 are
 * always false for uint8, which is what we want. */
#pragma GCC diagnostic ignored "-Wtype-limits"

static const char *const binary_names[MIEN_NUM_BINARY_OPS] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                                             "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
static const char *const unary_names[MIEN_NUM_UNARY_OPS] = {"neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh",
                                                           "sin", "cos", "sign", "floor", "ceil", "round", "rsqrt", "relu6",
                                                           "clamp", "leaky_relu", "scale"};


static bool is_comparison(mien_binary_op op) { return op >= MIEN_EQ; }

static int check_same_device(const mien_tensor *a, const mien_tensor *b, const char *op) {
  if (mien_tensor_device(a) == mien_tensor_device(b)) return 0;
  mien_set_error("%s: tensors are on different devices (%s and %s)", op, mien_device_name(mien_tensor_device(a)),
                 mien_device_name(mien_tensor_device(b)));
  return -1;
}

/* --- kernels: out[i] = EXPR(x, y) over an iterator of (out, a, b) --- */

#define LOOP2(TO, TI, EXPR)                                                                  \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                           \
    TO *o = (TO *)mien_data_ptr(out) + off[0];                                               \
    const TI *pa = (const TI *)mien_data_ptr(a) + off[1];                                    \
    const TI *pb = (const TI *)mien_data_ptr(b) + off[2];                                    \
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

static void binary_kernel(mien_binary_op op, mien_tensor *out, const mien_tensor *a, const mien_tensor *b) {
  int64_t sa[MIEN_MAX_DIMS], sb[MIEN_MAX_DIMS];
  mien_broadcast_strides(a, out->ndim, out->shape, sa);
  mien_broadcast_strides(b, out->ndim, out->shape, sb);
  const int64_t *strides[3] = {out->stride, sa, sb};
  mien_iter it;
  mien_iter_init(&it, out->ndim, out->shape, 3, strides);
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
}

/* --- binary ops with autograd --- */

static mien_tensor *grad_of(mien_node *n, int k, mien_tensor *g) {
  mien_tensor *r = mien_sum_to(g, n->in_ndim[k], n->in_shape[k]);
  mien_release(g);
  return r;
}

static int binary_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *a = n->saved[0], *b = n->saved[1];
  for (int k = 0; k < 2; k++) {
    if (!mien_node_needs_grad(n, k)) continue;
    mien_tensor *r = NULL;
    switch ((mien_binary_op)n->i[0]) {
      case MIEN_ADD: r = mien_retain(g); break;
      case MIEN_SUB: r = k == 0 ? mien_retain(g) : mien_unary(MIEN_NEG, g); break;
      case MIEN_MUL: r = mien_binary(MIEN_MUL, g, k == 0 ? b : a); break;
      case MIEN_DIV:
        if (k == 0) r = mien_binary(MIEN_DIV, g, b);
        else { /* -g * a / b^2 = -(g * out) / b */
          mien_tensor *t = mien_binary(MIEN_MUL, g, n->saved[2]);
          mien_tensor *u = t ? mien_binary(MIEN_DIV, t, b) : NULL;
          r = u ? mien_unary(MIEN_NEG, u) : NULL;
          mien_release(t);
          mien_release(u);
        }
        break;
      case MIEN_POW:
        if (k == 0) { /* g * b * a^(b-1) */
          mien_tensor *bm1 = mien_binary_scalar(MIEN_SUB, b, 1.0, false);
          mien_tensor *p = bm1 ? mien_binary(MIEN_POW, a, bm1) : NULL;
          mien_tensor *q = p ? mien_binary(MIEN_MUL, p, b) : NULL;
          r = q ? mien_binary(MIEN_MUL, g, q) : NULL;
          mien_release(bm1);
          mien_release(p);
          mien_release(q);
        } else { /* g * out * log(a) */
          mien_tensor *l = mien_unary(MIEN_LOG, a);
          mien_tensor *q = l ? mien_binary(MIEN_MUL, l, n->saved[2]) : NULL;
          r = q ? mien_binary(MIEN_MUL, g, q) : NULL;
          mien_release(l);
          mien_release(q);
        }
        break;
      case MIEN_MAXIMUM:
      case MIEN_MINIMUM: { /* the winner takes the gradient; ties share it */
        mien_binary_op win = (n->i[0] == MIEN_MAXIMUM) == (k == 0) ? MIEN_GT : MIEN_LT;
        mien_tensor *m = mien_binary(win, a, b), *e = mien_binary(MIEN_EQ, a, b);
        mien_tensor *mf = m ? mien_to_dtype(m, g->dtype) : NULL, *ef = e ? mien_to_dtype(e, g->dtype) : NULL;
        mien_tensor *half = ef ? mien_binary_scalar(MIEN_MUL, ef, 0.5, false) : NULL;
        mien_tensor *w = mf && half ? mien_binary(MIEN_ADD, mf, half) : NULL;
        r = w ? mien_binary(MIEN_MUL, g, w) : NULL;
        mien_release(m); mien_release(e); mien_release(mf); mien_release(ef); mien_release(half); mien_release(w);
        break;
      }
      default: break;
    }
    if (!r) return -1;
    gin[k] = grad_of(n, k, r);
    if (!gin[k]) return -1;
  }
  return 0;
}

mien_tensor *mien_binary(mien_binary_op op, mien_tensor *a, mien_tensor *b) {
  const char *name = binary_names[op];
  if (check_same_device(a, b, name) != 0) return NULL;
  int ndim;
  int64_t shape[MIEN_MAX_DIMS];
  if (mien_broadcast_shape(a, b, name, &ndim, shape) != 0) return NULL;
  mien_dtype dt = mien_dtype_promote(a->dtype, b->dtype);
  if ((op == MIEN_DIV || op == MIEN_POW) && !mien_dtype_is_float(dt)) dt = MIEN_FLOAT32;
  bool was = mien_set_grad_enabled(false);
  mien_tensor *ca = mien_to_dtype(a, dt), *cb = mien_to_dtype(b, dt);
  mien_set_grad_enabled(was);
  const mien_dtype odt = is_comparison(op) ? MIEN_UINT8 : dt;
  mien_tensor *out = ca && cb ? mien_empty_uninit(ndim, shape, odt, mien_tensor_device(a)) : NULL;
  if (out) binary_kernel(op, out, ca, cb);
  mien_release(ca);
  mien_release(cb);
  if (!out || is_comparison(op) || !mien_dtype_is_float(dt)) return out;
  mien_tensor *ins[2] = {a, b};
  mien_node *n = mien_record(name, binary_backward, 2, ins, out);
  if (n) {
    n->i[0] = op;
    if (op != MIEN_ADD && op != MIEN_SUB) {
      mien_node_save(n, 0, a);
      mien_node_save(n, 1, b);
      if (op == MIEN_DIV || op == MIEN_POW) mien_node_save_detached(n, 2, out);
    }
  }
  return out;
}

mien_tensor *mien_binary_scalar(mien_binary_op op, mien_tensor *a, double s, bool scalar_first) {
  mien_dtype dt = a->dtype;
  if (!mien_dtype_is_float(dt) && (s != floor(s) || (dt == MIEN_UINT8 && (s < 0 || s > 255)))) dt = MIEN_FLOAT32;
  mien_tensor *c = mien_scalar(s, dt, mien_tensor_device(a));
  if (!c) return NULL;
  mien_tensor *out = scalar_first ? mien_binary(op, c, a) : mien_binary(op, a, c);
  mien_release(c);
  return out;
}

/* --- unary ops --- */

#define LOOP1(T, EXPR)                                                                      \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                          \
    T *o = (T *)mien_data_ptr(out) + off[0];                                                \
    const T *pa = (const T *)mien_data_ptr(a) + off[1];                                     \
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

static void unary_kernel(mien_unary_op op, mien_tensor *out, const mien_tensor *a, double p0, double p1) {
  const int64_t *strides[2] = {out->stride, a->stride};
  mien_iter it;
  mien_iter_init(&it, out->ndim, out->shape, 2, strides);
  MIEN_DISPATCH(a->dtype, T, {
    switch ((int)op) {
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
      case MIEN_SCALE: LOOP1(T, x * p0); break;
      case MIEN_CLAMP: /* p0/p1 are the bounds, NAN = none */
        LOOP1(T, (p0 == p0 && x < p0) ? p0 : (p1 == p1 && x > p1) ? p1 : x);
        break;
      case MIEN_LEAKY_RELU: /* slope p0 */
        LOOP1(T, x > 0 ? x : x * p0);
        break;
      default: break;
    }
  });
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

/* masked_grad's common case: g and x contiguous and of one shape. */
#define MASKED_RUNS(T)                                                                                      \
  do {                                                                                                      \
    const T tlo = no_lo ? 0 : (T)lo, thi = no_hi ? 0 : (T)hi;                                               \
    if ((!no_lo && (double)tlo != lo) || (!no_hi && (double)thi != hi)) return false;                       \
    const T *pg = mien_data_ptr(g), *px = mien_data_ptr(x);                                                 \
    T *po = mien_data_ptr(out);                                                                             \
    _Pragma("omp parallel for schedule(static) if (n >= MIEN_ITER_PARALLEL_MIN)")                           \
    for (int64_t c = 0; c < chunks; c++) {                                                                  \
      const int64_t i = c * MIEN_ITER_CHUNK, len = n - i < MIEN_ITER_CHUNK ? n - i : MIEN_ITER_CHUNK;       \
      masked_run_##T(len, pg + i, px + i, tlo, thi, no_lo, no_hi, outside, po + i);                         \
    }                                                                                                       \
  } while (0)

static bool masked_grad_runs(mien_tensor *out, mien_tensor *g, mien_tensor *x, double lo, double hi, double outside) {
  if (!mien_is_contiguous(g) || !mien_is_contiguous(x) || !mien_same_shape(g, x) || x->dtype != g->dtype)
    return false;
  const int64_t n = mien_numel(g), chunks = (n + MIEN_ITER_CHUNK - 1) / MIEN_ITER_CHUNK;
  const int no_lo = lo != lo, no_hi = hi != hi;
  if (g->dtype == MIEN_FLOAT32) MASKED_RUNS(float);
  else MASKED_RUNS(double);
  return true;
}

/* grad * (lo < x < hi ? 1 : outside), in one pass: the backward of relu,
 * relu6, clamp and leaky relu. NAN bounds mean unbounded. */
static mien_tensor *masked_grad(mien_tensor *g, mien_tensor *x, double lo, double hi, double outside) {
  mien_tensor *out = mien_empty_uninit(g->ndim, g->shape, g->dtype, mien_tensor_device(g));
  if (!out) return NULL;
  if (masked_grad_runs(out, g, x, lo, hi, outside)) return out;
  int64_t sx[MIEN_MAX_DIMS];
  mien_broadcast_strides(x, g->ndim, g->shape, sx);
  const int64_t *strides[3] = {out->stride, g->stride, sx};
  mien_iter it;
  mien_iter_init(&it, g->ndim, g->shape, 3, strides);
  mien_tensor *a = g, *b = x;
  MIEN_DISPATCH_FLOAT(g->dtype, T, {
    LOOP2(T, T, ((lo != lo || y > lo) && (hi != hi || y < hi)) ? x : x * outside);
  });
  return out;
}

static mien_tensor *mul3(mien_tensor *a, mien_tensor *b, mien_tensor *c) {
  mien_tensor *ab = mien_binary(MIEN_MUL, a, b);
  mien_tensor *r = ab && c ? mien_binary(MIEN_MUL, ab, c) : ab ? mien_retain(ab) : NULL;
  mien_release(ab);
  return r;
}

static int unary_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *x = n->saved[0], *y = n->saved[1], *r = NULL, *t = NULL, *u = NULL;
  switch ((int)n->i[0]) {
    case MIEN_NEG: r = mien_unary(MIEN_NEG, g); break;
    case MIEN_EXP: r = mien_binary(MIEN_MUL, g, y); break;
    case MIEN_LOG: r = mien_binary(MIEN_DIV, g, x); break;
    case MIEN_SQRT: t = mien_binary_scalar(MIEN_MUL, y, 2.0, false); r = t ? mien_binary(MIEN_DIV, g, t) : NULL; break;
    case MIEN_ABS: t = mien_unary(MIEN_SIGN, x); r = t ? mien_binary(MIEN_MUL, g, t) : NULL; break;
    case MIEN_RELU: r = masked_grad(g, y, 0, NAN, 0); break;
    case MIEN_RELU6: r = masked_grad(g, x, 0, 6, 0); break;
    case MIEN_SIGMOID: t = mien_binary_scalar(MIEN_SUB, y, 1.0, true); r = t ? mul3(g, y, t) : NULL; break;
    case MIEN_TANH:
      t = mien_binary(MIEN_MUL, y, y);
      u = t ? mien_binary_scalar(MIEN_SUB, t, 1.0, true) : NULL;
      r = u ? mien_binary(MIEN_MUL, g, u) : NULL;
      break;
    case MIEN_SIN: t = mien_unary(MIEN_COS, x); r = t ? mien_binary(MIEN_MUL, g, t) : NULL; break;
    case MIEN_COS: t = mien_unary(MIEN_SIN, x); u = t ? mien_unary(MIEN_NEG, t) : NULL; r = u ? mien_binary(MIEN_MUL, g, u) : NULL; break;
    case MIEN_RSQRT: /* -0.5 * g * y^3 */
      t = mul3(y, y, y);
      u = t ? mien_binary_scalar(MIEN_MUL, t, -0.5, false) : NULL;
      r = u ? mien_binary(MIEN_MUL, g, u) : NULL;
      break;
    case MIEN_CLAMP: r = masked_grad(g, x, n->f[0], n->f[1], 0); break;
    case MIEN_LEAKY_RELU: r = masked_grad(g, x, 0, NAN, n->f[0]); break;
    default: r = mien_zeros_like(g); break; /* piecewise constant: sign, floor, ceil, round */
  }
  mien_release(t);
  mien_release(u);
  gin[0] = r;
  return r ? 0 : -1;
}

static mien_tensor *unary_impl(int op, mien_tensor *a, double p0, double p1, const char *name) {
  bool float_only = op != MIEN_NEG && op != MIEN_ABS && op != MIEN_SIGN && op != MIEN_RELU &&
                    op != MIEN_CLAMP && op != MIEN_RELU6 && op != MIEN_SCALE;
  mien_tensor *src = float_only && !mien_dtype_is_float(a->dtype) ? mien_to_dtype(a, MIEN_FLOAT32) : mien_retain(a);
  if (!src) return NULL;
  mien_tensor *out = mien_empty_uninit(a->ndim, a->shape, src->dtype, mien_tensor_device(a));
  if (out) unary_kernel((mien_unary_op)op, out, src, p0, p1);
  mien_release(src);
  if (!out || !mien_dtype_is_float(out->dtype)) return out;
  mien_node *n = mien_record(name, unary_backward, 1, &a, out);
  if (n) {
    n->i[0] = op;
    n->f[0] = p0;
    n->f[1] = p1;
    mien_node_save(n, 0, a);
    mien_node_save_detached(n, 1, out);
  }
  return out;
}

mien_tensor *mien_unary(mien_unary_op op, mien_tensor *a) { return unary_impl(op, a, 0, 0, unary_names[op]); }

mien_tensor *mien_clamp(mien_tensor *a, double lo, double hi) {
  if (lo == lo && hi == hi && lo > hi) {
    mien_set_error("clamp: lower bound %g is above the upper bound %g", lo, hi);
    return NULL;
  }
  return unary_impl(MIEN_CLAMP, a, lo, hi, "clamp");
}

mien_tensor *mien_leaky_relu(mien_tensor *a, double slope) {
  return unary_impl(MIEN_LEAKY_RELU, a, slope, 0, "leaky_relu");
}

/* --- where --- */

static int where_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *zero = mien_scalar(0, g->dtype, mien_tensor_device(g));
  if (!zero) return -1;
  for (int k = 1; k < 3; k++) {
    if (!mien_node_needs_grad(n, k)) continue;
    mien_tensor *r = k == 1 ? mien_where(n->saved[0], g, zero) : mien_where(n->saved[0], zero, g);
    gin[k] = r ? grad_of(n, k, r) : NULL;
    if (!gin[k]) {
      mien_release(zero);
      return -1;
    }
  }
  mien_release(zero);
  return 0;
}

mien_tensor *mien_where(mien_tensor *cond, mien_tensor *a, mien_tensor *b) {
  if (check_same_device(cond, a, "where") != 0 || check_same_device(a, b, "where") != 0) return NULL;
  int n1, ndim;
  int64_t s1[MIEN_MAX_DIMS], shape[MIEN_MAX_DIMS];
  if (mien_broadcast_shape(a, b, "where", &n1, s1) != 0) return NULL;
  mien_tensor tmp = *a;
  tmp.ndim = n1;
  memcpy(tmp.shape, s1, sizeof s1);
  if (mien_broadcast_shape(cond, &tmp, "where", &ndim, shape) != 0) return NULL;
  mien_dtype dt = mien_dtype_promote(a->dtype, b->dtype);
  bool was = mien_set_grad_enabled(false);
  /* a condition is true where nonzero: 0.5 or -1 count, which a cast to uint8 would lose */
  mien_tensor *c = cond->dtype == MIEN_UINT8 ? mien_retain(cond) : mien_binary_scalar(MIEN_NE, cond, 0, false);
  mien_tensor *ca = mien_to_dtype(a, dt), *cb = mien_to_dtype(b, dt);
  mien_set_grad_enabled(was);
  mien_tensor *out = c && ca && cb ? mien_empty(ndim, shape, dt, mien_tensor_device(a)) : NULL;
  if (out) {
    int64_t sc[MIEN_MAX_DIMS], sa[MIEN_MAX_DIMS], sb[MIEN_MAX_DIMS];
    mien_broadcast_strides(c, ndim, shape, sc);
    mien_broadcast_strides(ca, ndim, shape, sa);
    mien_broadcast_strides(cb, ndim, shape, sb);
    const int64_t *strides[4] = {out->stride, sc, sa, sb};
    mien_iter it;
    mien_iter_init(&it, ndim, shape, 4, strides);
    const uint8_t *pc0 = mien_data_ptr(c);
    MIEN_DISPATCH(dt, T, {
      const T *pa0 = mien_data_ptr(ca), *pb0 = mien_data_ptr(cb);
      T *po0 = mien_data_ptr(out);
      MIEN_ITER_FOR(it, off, j0, j1, {
        int64_t s0 = it.strides[0][it.ndim - 1], s1_ = it.strides[1][it.ndim - 1];
        int64_t s2 = it.strides[2][it.ndim - 1], s3 = it.strides[3][it.ndim - 1];
        for (int64_t j = j0; j < j1; j++)
          po0[off[0] + j * s0] = pc0[off[1] + j * s1_] ? pa0[off[2] + j * s2] : pb0[off[3] + j * s3];
      });
    });
  }
  mien_release(ca);
  mien_release(cb);
  if (out && mien_dtype_is_float(dt)) {
    mien_tensor *ins[3] = {cond, a, b};
    mien_node *n = mien_record("where", where_backward, 3, ins, out);
    if (n) mien_node_save(n, 0, c);
  }
  mien_release(c);
  return out;
}

/* --- in place (no autograd) --- */

int mien_add_(mien_tensor *a, const mien_tensor *b, double alpha) {
  int64_t sb[MIEN_MAX_DIMS];
  if (mien_broadcast_strides(b, a->ndim, a->shape, sb) != 0 || a->dtype != b->dtype) {
    char x[128], y[128];
    mien_set_error("add_: cannot add %s %s into %s %s in place", mien_dtype_name(b->dtype), mien_shape_str(b, x, sizeof x),
                   mien_dtype_name(a->dtype), mien_shape_str(a, y, sizeof y));
    return -1;
  }
  const int64_t *strides[3] = {a->stride, a->stride, sb};
  mien_iter it;
  mien_iter_init(&it, a->ndim, a->shape, 3, strides);
  mien_tensor *out = a;
  MIEN_DISPATCH(a->dtype, T, {
    T al = (T)alpha;
    if (alpha == 1.0) LOOP2(T, T, x + y);
    else LOOP2(T, T, x + al * y);
  });
  return 0;
}

int mien_mul_scalar_(mien_tensor *a, double s) {
  const int64_t *strides[2] = {a->stride, a->stride};
  mien_iter it;
  mien_iter_init(&it, a->ndim, a->shape, 2, strides);
  mien_tensor *out = a;
  MIEN_DISPATCH(a->dtype, T, {
    T v = (T)s;
    LOOP1(T, x * v);
  });
  return 0;
}
