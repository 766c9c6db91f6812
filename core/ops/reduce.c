/* The op layer of the reductions (sum, mean, max, min, prod over any set of
 * dims; var; argmax/argmin; sum_to): checks, output shapes and autograd. The
 * kernels are the backend's reduce and arg_reduce entries. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "error.h"
#include "tensor.h"

static const char *reduce_name(mien_reduce_op op) {
  static const char *const names[] = {"sum", "mean", "max", "min", "prod"};
  return names[op];
}

/* Marks reduced dims; ndims == 0 reduces all. */
static int reduced_mask(const mien_tensor *t, int ndims, const int *dims, bool *mask, const char *op) {
  memset(mask, 0, sizeof(bool) * MIEN_MAX_DIMS);
  if (ndims == 0) {
    for (int d = 0; d < t->ndim; d++) mask[d] = true;
    return 0;
  }
  for (int k = 0; k < ndims; k++) {
    int d = mien_normalize_dim(t, dims[k], op);
    if (d < 0) return -1;
    mask[d] = true;
  }
  return 0;
}

static void out_shape(const mien_tensor *t, const bool *mask, bool keepdim, int *ndim, int64_t *shape) {
  int n = 0;
  for (int d = 0; d < t->ndim; d++) {
    if (!mask[d]) shape[n++] = t->shape[d];
    else if (keepdim) shape[n++] = 1;
  }
  *ndim = n;
}


/* d prod / d x_i = the product of the others, computed without dividing by
 * zero: with p = the product of the non-zero entries and z = the number of
 * zeros in the slice, it is p / x_i where z == 0, p at the single zero where
 * z == 1, and 0 everywhere else. */
static mien_tensor *prod_grad(mien_tensor *x, mien_tensor *gk, int kd, const int64_t *kshape) {
  int dims[MIEN_MAX_DIMS], nd = 0;
  for (int d = 0; d < kd; d++)
    if (kshape[d] == 1 && x->shape[d] != 1) dims[nd++] = d;
  if (nd == 0) return mien_retain(gk);
  mien_tensor *t[10] = {0}, *r = NULL;
  t[0] = mien_binary_scalar(MIEN_EQ, x, 0, false);             /* is zero */
  t[1] = t[0] ? mien_where(t[0], t[0], x) : NULL;               /* zeros -> 1 (t[0] holds 1 there) */
  t[2] = t[1] ? mien_to_dtype(t[1], x->dtype) : NULL;
  t[3] = t[2] ? mien_reduce(MIEN_PROD, t[2], nd, dims, true) : NULL; /* p */
  t[4] = t[0] ? mien_reduce(MIEN_SUM, t[0], nd, dims, true) : NULL;  /* z */
  t[5] = t[3] && t[2] ? mien_binary(MIEN_DIV, t[3], t[2]) : NULL;    /* p / x_i (p at zeros) */
  t[6] = t[4] ? mien_binary(MIEN_SUB, t[4], t[0]) : NULL;            /* zeros among the others */
  t[7] = t[6] ? mien_binary_scalar(MIEN_EQ, t[6], 0, false) : NULL;  /* the others hold no zero */
  t[8] = t[7] && t[5] ? mien_binary(MIEN_MUL, t[5], t[7]) : NULL;
  if (t[8]) r = mien_binary(MIEN_MUL, t[8], gk);
  for (int k = 0; k < 10; k++) mien_release(t[k]);
  return r;
}

static int reduce_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  /* g has the keepdim shape stored in i[]; expand it back over the input */
  int kd = (int)n->i[0];
  mien_tensor *gk = mien_reshape(g, kd, &n->i[1]);
  if (!gk) return -1;
  mien_tensor *r = NULL;
  mien_reduce_op op = (mien_reduce_op)n->f[0];
  if (op == MIEN_SUM) {
    r = mien_expand(gk, n->in_ndim[0], n->in_shape[0]);
  } else if (op == MIEN_PROD) {
    r = prod_grad(n->saved[0], gk, kd, &n->i[1]);
  } else if (op == MIEN_MEAN) {
    mien_tensor *s = mien_binary_scalar(MIEN_MUL, gk, 1.0 / n->f[1], false);
    r = s ? mien_expand(s, n->in_ndim[0], n->in_shape[0]) : NULL;
    mien_release(s);
  } else { /* max/min: the gradient goes to the arg-extrema, shared among ties */
    mien_tensor *x = n->saved[0], *yk = mien_reshape(n->saved[1], kd, &n->i[1]);
    mien_tensor *hit = yk ? mien_binary(MIEN_EQ, x, yk) : NULL;
    mien_tensor *hf = hit ? mien_to_dtype(hit, g->dtype) : NULL;
    int dims[MIEN_MAX_DIMS], nd = 0;
    for (int d = 0; d < kd; d++)
      if (n->i[1 + d] == 1 && n->in_shape[0][d] != 1) dims[nd++] = d;
    mien_tensor *cnt = hf ? (nd ? mien_reduce(MIEN_SUM, hf, nd, dims, true) : mien_retain(hf)) : NULL;
    mien_tensor *share = cnt ? mien_binary(MIEN_DIV, gk, cnt) : NULL;
    r = share ? mien_binary(MIEN_MUL, hf, share) : NULL;
    mien_release(yk); mien_release(hit); mien_release(hf); mien_release(cnt); mien_release(share);
  }
  mien_release(gk);
  if (r && !mien_is_contiguous(r)) { /* an expanded view: give the leaf real memory */
    mien_tensor *c = mien_contiguous(r);
    mien_release(r);
    r = c;
  }
  gin[0] = r;
  return r ? 0 : -1;
}

/* o (contiguous, the output's shape) seen with t's ndim: size 1 where reduced. */
static void keepdim_view(mien_strided *o, const mien_tensor *t, const bool *mask) {
  int64_t s = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    o->shape[d] = mask[d] ? 1 : t->shape[d];
    o->stride[d] = mask[d] ? 0 : s;
    s *= o->shape[d];
  }
  o->ndim = t->ndim;
}

mien_tensor *mien_reduce(mien_reduce_op op, mien_tensor *t, int ndims, const int *dims, bool keepdim) {
  const char *name = reduce_name(op);
  bool mask[MIEN_MAX_DIMS];
  if (reduced_mask(t, ndims, dims, mask, name) != 0) return NULL;
  int ondim;
  int64_t oshape[MIEN_MAX_DIMS];
  out_shape(t, mask, keepdim, &ondim, oshape);
  int64_t inner_n = 1;
  for (int d = 0; d < t->ndim; d++)
    if (mask[d]) inner_n *= t->shape[d];
  if (inner_n == 0 && (op == MIEN_MAX || op == MIEN_MIN)) {
    char buf[128];
    mien_set_error("%s: cannot reduce over an empty dim of shape %s", name, mien_shape_str(t, buf, sizeof buf));
    return NULL;
  }
  mien_dtype odt = (op == MIEN_MEAN && !mien_dtype_is_float(t->dtype)) ? MIEN_FLOAT32
                   : (op == MIEN_SUM || op == MIEN_PROD) && t->dtype == MIEN_UINT8 ? MIEN_INT64
                   : t->dtype;
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), reduce, name);
  mien_tensor *out = be ? mien_empty(ondim, oshape, odt, mien_tensor_device(t)) : NULL;
  if (!out) return NULL;
  /* the kernel sees the output with the input's ndim, size 1 where reduced */
  mien_strided so = mien_strided_of(out), si = mien_strided_of(t);
  keepdim_view(&so, t, mask);
  if (be->reduce(op, &so, &si, mask) != 0) {
    mien_release(out);
    return NULL;
  }
  if (mien_dtype_is_float(odt)) {
    mien_node *n = mien_record(name, reduce_backward, 1, &t, out);
    if (n) {
      int kd = 0;
      for (int d = 0; d < t->ndim; d++) n->i[1 + kd++] = mask[d] ? 1 : t->shape[d];
      n->i[0] = kd;
      n->f[0] = op;
      n->f[1] = (double)inner_n;
      if (op == MIEN_PROD) mien_node_save(n, 0, t);
      if (op == MIEN_MAX || op == MIEN_MIN) {
        mien_node_save(n, 0, t);
        mien_node_save_detached(n, 1, out);
      }
    }
  }
  return out;
}

mien_tensor *mien_var(mien_tensor *t, int ndims, const int *dims, bool unbiased, bool keepdim) {
  bool mask[MIEN_MAX_DIMS];
  if (reduced_mask(t, ndims, dims, mask, "var") != 0) return NULL;
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++)
    if (mask[d]) n *= t->shape[d];
  mien_tensor *mean = mien_reduce(MIEN_MEAN, t, ndims, dims, true);
  mien_tensor *diff = mean ? mien_binary(MIEN_SUB, t, mean) : NULL;
  mien_tensor *sq = diff ? mien_binary(MIEN_MUL, diff, diff) : NULL;
  mien_tensor *s = sq ? mien_reduce(MIEN_SUM, sq, ndims, dims, keepdim) : NULL;
  double denom = (double)(unbiased ? n - 1 : n);
  mien_tensor *v = s ? mien_binary_scalar(MIEN_DIV, s, denom > 0 ? denom : NAN, false) : NULL;
  mien_release(mean);
  mien_release(diff);
  mien_release(sq);
  mien_release(s);
  return v;
}

static mien_tensor *arg_extreme(mien_tensor *t, int dim, bool keepdim, bool want_max) {
  const char *name = want_max ? "argmax" : "argmin";
  if (t->ndim == 0) return mien_scalar(0, MIEN_INT64, mien_tensor_device(t));
  int d = mien_normalize_dim(t, dim, name);
  if (d < 0) return NULL;
  if (t->shape[d] == 0) {
    mien_set_error("%s: dim #%d is empty", name, d);
    return NULL;
  }
  bool mask[MIEN_MAX_DIMS] = {0};
  mask[d] = true;
  int ondim;
  int64_t oshape[MIEN_MAX_DIMS];
  out_shape(t, mask, keepdim, &ondim, oshape);
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), arg_reduce, name);
  mien_tensor *out = be ? mien_empty(ondim, oshape, MIEN_INT64, mien_tensor_device(t)) : NULL;
  if (!out) return NULL;
  mien_strided so = mien_strided_of(out), si = mien_strided_of(t);
  keepdim_view(&so, t, mask);
  if (be->arg_reduce(want_max, &so, &si, d) != 0) {
    mien_release(out);
    return NULL;
  }
  return out;
}

mien_tensor *mien_argmax(mien_tensor *t, int dim, bool keepdim) { return arg_extreme(t, dim, keepdim, true); }
mien_tensor *mien_argmin(mien_tensor *t, int dim, bool keepdim) { return arg_extreme(t, dim, keepdim, false); }

mien_tensor *mien_sum_to(mien_tensor *t, int ndim, const int64_t *shape) {
  int lead = t->ndim - ndim, dims[MIEN_MAX_DIMS], nd = 0;
  if (lead < 0) {
    mien_set_error("sum_to: cannot sum %d dims down to %d", t->ndim, ndim);
    return NULL;
  }
  for (int d = 0; d < t->ndim; d++)
    if (d < lead || (shape[d - lead] == 1 && t->shape[d] != 1)) dims[nd++] = d;
  if (nd == 0) return mien_retain(t);
  mien_tensor *s = mien_reduce(MIEN_SUM, t, nd, dims, true);
  if (!s) return NULL;
  mien_tensor *r = mien_reshape(s, ndim, shape);
  mien_release(s);
  return r;
}
