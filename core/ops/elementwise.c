/* The op layer of the elementwise ops: broadcasting, dtype promotion,
 * device checks and autograd; the kernels are the backend's binary, unary,
 * where, masked_grad and axpy entries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "error.h"
#include "tensor.h"

static const char *const binary_names[MIEN_NUM_BINARY_OPS] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                                             "eq",  "ne",  "lt",  "le",  "gt",  "ge"};
static const char *const unary_names[MIEN_NUM_UNARY_OPS] = {"neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh",
                                                           "sin", "cos", "sign", "floor", "ceil", "round", "rsqrt", "relu6",
                                                           "clamp", "leaky_relu", "scale"};


static bool is_comparison(mien_binary_op op) { return op >= MIEN_EQ; }

static int check_same_device(const mien_tensor *a, const mien_tensor *b, const char *op) {
  return mien_check_same_device(a, b, op);
}

/* out = op(a, b) through the table, a and b of one dtype, broadcast to out. */
static int binary_kernel(mien_binary_op op, mien_tensor *out, const mien_tensor *a, const mien_tensor *b) {
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(out), binary, binary_names[op]);
  if (!be) return -1;
  mien_strided o = mien_strided_of(out), sa, sb;
  mien_strided_broadcast(a, out->ndim, out->shape, &sa);
  mien_strided_broadcast(b, out->ndim, out->shape, &sb);
  return be->binary(op, &o, &sa, &sb);
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
  mien_tensor *out = ca && cb ? mien_empty(ndim, shape, odt, mien_tensor_device(a)) : NULL;
  if (out && binary_kernel(op, out, ca, cb) != 0) {
    mien_release(out);
    out = NULL;
  }
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

/* out = op(a) through the table (out may be a: in place). */
static int unary_kernel(mien_unary_op op, mien_tensor *out, const mien_tensor *a, double p0, double p1) {
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(a), unary, unary_names[op]);
  if (!be) return -1;
  mien_strided o = mien_strided_of(out), sa;
  mien_strided_broadcast(a, out->ndim, out->shape, &sa);
  return be->unary(op, &o, &sa, p0, p1);
}

/* grad * (lo < x < hi ? 1 : outside), in one pass: the backward of relu,
 * relu6, clamp and leaky relu. NAN bounds mean unbounded. */
static mien_tensor *masked_grad(mien_tensor *g, mien_tensor *x, double lo, double hi, double outside) {
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(g), masked_grad, "relu backward");
  mien_tensor *out = be ? mien_empty(g->ndim, g->shape, g->dtype, mien_tensor_device(g)) : NULL;
  if (!out) return NULL;
  mien_strided o = mien_strided_of(out), sg = mien_strided_of(g), sx;
  mien_strided_broadcast(x, g->ndim, g->shape, &sx);
  if (be->masked_grad(&o, &sg, &sx, lo, hi, outside) != 0) {
    mien_release(out);
    return NULL;
  }
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
  switch ((mien_unary_op)n->i[0]) {
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
    case MIEN_SCALE: r = mien_binary_scalar(MIEN_MUL, g, n->f[0], false); break;
    default: r = mien_zeros_like(g); break; /* piecewise constant: sign, floor, ceil, round */
  }
  mien_release(t);
  mien_release(u);
  gin[0] = r;
  return r ? 0 : -1;
}

static mien_tensor *unary_impl(mien_unary_op op, mien_tensor *a, double p0, double p1, const char *name) {
  bool float_only = op != MIEN_NEG && op != MIEN_ABS && op != MIEN_SIGN && op != MIEN_RELU &&
                    op != MIEN_CLAMP && op != MIEN_RELU6 && op != MIEN_SCALE;
  mien_tensor *src = float_only && !mien_dtype_is_float(a->dtype) ? mien_to_dtype(a, MIEN_FLOAT32) : mien_retain(a);
  if (!src) return NULL;
  mien_tensor *out = mien_empty(a->ndim, a->shape, src->dtype, mien_tensor_device(a));
  if (out && unary_kernel((mien_unary_op)op, out, src, p0, p1) != 0) {
    mien_release(out);
    out = NULL;
  }
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
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(a), where, "where");
  mien_tensor *out = be && c && ca && cb ? mien_empty(ndim, shape, dt, mien_tensor_device(a)) : NULL;
  if (out) {
    mien_strided so = mien_strided_of(out), sc, sa, sb;
    mien_strided_broadcast(c, ndim, shape, &sc);
    mien_strided_broadcast(ca, ndim, shape, &sa);
    mien_strided_broadcast(cb, ndim, shape, &sb);
    if (be->where(&so, &sc, &sa, &sb) != 0) {
      mien_release(out);
      out = NULL;
    }
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
  mien_strided sa = mien_strided_of(a), sb;
  if (mien_strided_broadcast(b, a->ndim, a->shape, &sb) != 0 || a->dtype != b->dtype) {
    char x[128], y[128];
    mien_set_error("add_: cannot add %s %s into %s %s in place", mien_dtype_name(b->dtype), mien_shape_str(b, x, sizeof x),
                   mien_dtype_name(a->dtype), mien_shape_str(a, y, sizeof y));
    return -1;
  }
  if (check_same_device(a, b, "add_") != 0) return -1;
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(a), axpy, "add_");
  return be ? be->axpy(&sa, &sb, alpha) : -1;
}

int mien_mul_scalar_(mien_tensor *a, double s) { return unary_kernel(MIEN_SCALE, a, a, s, 0); }
