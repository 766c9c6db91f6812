/* NN ops written with the differentiable tensor ops, so autograd comes
 * for free: linear, dropout, prelu, losses, softmax. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autograd.h"
#include "error.h"
#include "nn.h"

/* Releases the listed temporaries; keeps the code below linear. */
static void drop(int n, mien_tensor **ts) {
  for (int k = 0; k < n; k++) mien_release(ts[k]);
}

mien_tensor *mien_linear(mien_tensor *x, mien_tensor *w, mien_tensor *b) {
  char a[128], c[128];
  if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1]) {
    mien_set_error("linear: input %s does not fit weight %s (expected last dim %lld)", mien_shape_str(x, a, sizeof a),
                   mien_shape_str(w, c, sizeof c), (long long)(w->ndim == 2 ? w->shape[1] : -1));
    return NULL;
  }
  mien_tensor *wt = mien_transpose(w, 0, 1);
  mien_tensor *y = wt ? mien_matmul(x, wt) : NULL;
  mien_release(wt);
  if (!y || !b) return y;
  mien_tensor *out = mien_binary(MIEN_ADD, y, b);
  mien_release(y);
  return out;
}

mien_tensor *mien_dropout(mien_tensor *x, double p, bool training) {
  if (p < 0 || p >= 1) {
    if (p == 1 && training) return mien_binary_scalar(MIEN_MUL, x, 0.0, false);
    if (p < 0 || p > 1) {
      mien_set_error("dropout: probability %g is outside [0, 1]", p);
      return NULL;
    }
  }
  if (!training || p == 0) return mien_retain(x);
  /* inverted dropout: kept units are scaled by 1/(1-p) at training time */
  mien_tensor *mask = mien_bernoulli(x->ndim, x->shape, 1.0 - p, x->dtype, mien_tensor_device(x));
  if (!mask) return NULL;
  mien_mul_scalar_(mask, 1.0 / (1.0 - p));
  mien_tensor *out = mien_binary(MIEN_MUL, x, mask);
  mien_release(mask);
  return out;
}

/* weight reshaped to broadcast over dim 1 of x: [1,C,1,1] */
static mien_tensor *per_channel(mien_tensor *w, const mien_tensor *x) {
  int64_t shape[MIEN_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) shape[d] = 1;
  if (x->ndim >= 2) shape[1] = mien_numel(w);
  else shape[0] = mien_numel(w);
  return mien_reshape(w, x->ndim, shape);
}

mien_tensor *mien_prelu(mien_tensor *x, mien_tensor *weight) {
  int64_t c = x->ndim >= 2 ? x->shape[1] : 1, n = mien_numel(weight);
  if (n != 1 && n != c) {
    mien_set_error("prelu: weight has %lld slopes, the input has %lld channels", (long long)n, (long long)c);
    return NULL;
  }
  mien_tensor *t[5] = {0};
  t[0] = mien_unary(MIEN_RELU, x);
  t[1] = t[0] ? mien_binary(MIEN_SUB, x, t[0]) : NULL; /* min(x, 0) */
  t[2] = t[1] ? per_channel(weight, x) : NULL;
  t[3] = t[2] ? mien_binary(MIEN_MUL, t[1], t[2]) : NULL;
  mien_tensor *out = t[3] ? mien_binary(MIEN_ADD, t[0], t[3]) : NULL;
  drop(4, t);
  return out;
}

mien_tensor *mien_softmax(mien_tensor *x, int dim) {
  mien_tensor *ls = mien_log_softmax(x, dim);
  mien_tensor *out = ls ? mien_unary(MIEN_EXP, ls) : NULL;
  mien_release(ls);
  return out;
}

mien_tensor *mien_log_softmax(mien_tensor *x, int dim) {
  int d = mien_normalize_dim(x, dim, "log_softmax");
  if (d < 0) return NULL;
  if (!mien_dtype_is_float(x->dtype)) {
    mien_set_error("log_softmax: needs a float tensor, got %s", mien_dtype_name(x->dtype));
    return NULL;
  }
  /* x - max - log(sum(exp(x - max))); the max is a constant for the gradient */
  mien_tensor *t[5] = {0};
  bool was = mien_set_grad_enabled(false);
  t[0] = mien_reduce(MIEN_MAX, x, 1, &d, true);
  mien_set_grad_enabled(was);
  t[1] = t[0] ? mien_binary(MIEN_SUB, x, t[0]) : NULL;
  t[2] = t[1] ? mien_unary(MIEN_EXP, t[1]) : NULL;
  t[3] = t[2] ? mien_reduce(MIEN_SUM, t[2], 1, &d, true) : NULL;
  t[4] = t[3] ? mien_unary(MIEN_LOG, t[3]) : NULL;
  mien_tensor *out = t[4] ? mien_binary(MIEN_SUB, t[1], t[4]) : NULL;
  drop(5, t);
  return out;
}

static mien_tensor *reduce_loss(mien_tensor *per_item, mien_reduction r, mien_tensor *denominator) {
  if (r == MIEN_REDUCE_NONE) return mien_retain(per_item);
  mien_tensor *s = mien_reduce(MIEN_SUM, per_item, 0, NULL, false);
  if (!s || r == MIEN_REDUCE_SUM) return s;
  mien_tensor *out = denominator ? mien_binary(MIEN_DIV, s, denominator)
                                 : mien_binary_scalar(MIEN_DIV, s, (double)mien_numel(per_item), false);
  mien_release(s);
  return out;
}

mien_tensor *mien_cross_entropy(mien_tensor *logits, const mien_tensor *target, mien_tensor *weight,
                                double label_smoothing, mien_reduction reduction) {
  char a[128], b[128];
  if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0]) {
    mien_set_error("cross_entropy: logits %s and labels %s do not fit (expected [N,C] and [N])",
                   mien_shape_str(logits, a, sizeof a), mien_shape_str(target, b, sizeof b));
    return NULL;
  }
  if (target->dtype != MIEN_INT64) {
    mien_set_error("cross_entropy: labels must be int64 class indices, got %s", mien_dtype_name(target->dtype));
    return NULL;
  }
  int64_t n = logits->shape[0], c = logits->shape[1];
  for (int64_t i = 0; i < n; i++) {
    int64_t y = (int64_t)mien_get(target, &i);
    if (y < 0 || y >= c) {
      mien_set_error("cross_entropy: label #%lld of sample #%lld is out of range #0..#%lld", (long long)y,
                     (long long)i, (long long)c - 1);
      return NULL;
    }
  }
  if (weight && mien_numel(weight) != c) {
    mien_set_error("cross_entropy: %lld class weights for %lld classes", (long long)mien_numel(weight), (long long)c);
    return NULL;
  }
  if (label_smoothing < 0 || label_smoothing > 1) {
    mien_set_error("cross_entropy: label_smoothing %g is outside [0, 1]", label_smoothing);
    return NULL;
  }
  mien_tensor *t[12] = {0};
  int64_t col[2] = {n, 1};
  t[0] = mien_log_softmax(logits, 1);
  t[1] = mien_reshape((mien_tensor *)target, 2, col);
  t[2] = t[0] && t[1] ? mien_gather(t[0], 1, t[1]) : NULL;              /* [N,1] log p of the label */
  t[3] = t[2] ? mien_reshape(t[2], 1, &n) : NULL;
  mien_tensor *wy = NULL, *nll = NULL;
  if (weight) {
    t[4] = mien_index_select(weight, 0, target); /* [N] weight of each label */
    wy = t[4];
    t[5] = t[3] && wy ? mien_binary(MIEN_MUL, t[3], wy) : NULL;
    nll = t[5];
  } else {
    nll = t[3];
  }
  mien_tensor *loss = nll ? mien_unary(MIEN_NEG, nll) : NULL; /* [N] */
  if (loss && label_smoothing > 0) {
    /* smoothing term: -(1/C) sum_c w_c log p_c */
    t[6] = weight ? mien_binary(MIEN_MUL, t[0], weight) : mien_retain(t[0]);
    int one = 1;
    t[7] = t[6] ? mien_reduce(MIEN_SUM, t[6], 1, &one, false) : NULL;
    t[8] = t[7] ? mien_binary_scalar(MIEN_MUL, t[7], -label_smoothing / (double)c, false) : NULL;
    t[9] = mien_binary_scalar(MIEN_MUL, loss, 1.0 - label_smoothing, false);
    mien_release(loss);
    loss = t[8] && t[9] ? mien_binary(MIEN_ADD, t[9], t[8]) : NULL;
  }
  mien_tensor *out = NULL;
  if (loss) {
    t[10] = weight && reduction == MIEN_REDUCE_MEAN ? mien_reduce(MIEN_SUM, wy, 0, NULL, false) : NULL;
    out = reduce_loss(loss, reduction, t[10]);
  }
  mien_release(loss);
  drop(12, t);
  return out;
}

mien_tensor *mien_bce_with_logits(mien_tensor *x, mien_tensor *target, mien_tensor *pos_weight, mien_reduction reduction) {
  if (!mien_same_shape(x, target)) {
    char a[128], b[128];
    mien_set_error("binary_cross_entropy_with_logits: logits %s and targets %s differ in shape",
                   mien_shape_str(x, a, sizeof a), mien_shape_str(target, b, sizeof b));
    return NULL;
  }
  /* softplus(-x) computed stably as relu(-x) + log(1 + exp(-|x|));
   * loss = (1 - t) x + (1 + (pw - 1) t) softplus(-x) */
  mien_tensor *t[12] = {0};
  t[0] = mien_unary(MIEN_NEG, x);
  t[1] = t[0] ? mien_unary(MIEN_RELU, t[0]) : NULL;
  t[2] = mien_unary(MIEN_ABS, x);
  t[3] = t[2] ? mien_unary(MIEN_NEG, t[2]) : NULL;
  t[4] = t[3] ? mien_unary(MIEN_EXP, t[3]) : NULL;
  t[5] = t[4] ? mien_binary_scalar(MIEN_ADD, t[4], 1.0, false) : NULL;
  t[6] = t[5] ? mien_unary(MIEN_LOG, t[5]) : NULL;
  t[7] = t[1] && t[6] ? mien_binary(MIEN_ADD, t[1], t[6]) : NULL; /* softplus(-x) */
  t[8] = mien_binary_scalar(MIEN_SUB, target, 1.0, true);        /* 1 - t */
  t[9] = t[8] ? mien_binary(MIEN_MUL, t[8], x) : NULL;
  mien_tensor *coef = NULL;
  if (pos_weight) {
    mien_tensor *pm1 = mien_binary_scalar(MIEN_SUB, pos_weight, 1.0, false);
    mien_tensor *pt = pm1 ? mien_binary(MIEN_MUL, pm1, target) : NULL;
    coef = pt ? mien_binary_scalar(MIEN_ADD, pt, 1.0, false) : NULL;
    mien_release(pm1);
    mien_release(pt);
  }
  t[10] = coef && t[7] ? mien_binary(MIEN_MUL, coef, t[7]) : mien_retain(t[7]);
  mien_release(coef);
  t[11] = t[9] && t[10] ? mien_binary(MIEN_ADD, t[9], t[10]) : NULL;
  mien_tensor *out = t[11] ? reduce_loss(t[11], reduction, NULL) : NULL;
  drop(12, t);
  return out;
}

mien_tensor *mien_mse(mien_tensor *a, mien_tensor *b, mien_reduction reduction) {
  mien_tensor *d = mien_binary(MIEN_SUB, a, b);
  mien_tensor *sq = d ? mien_binary(MIEN_MUL, d, d) : NULL;
  mien_tensor *out = sq ? reduce_loss(sq, reduction, NULL) : NULL;
  mien_release(d);
  mien_release(sq);
  return out;
}

mien_tensor *mien_global_avg_pool2d(mien_tensor *x) {
  if (x->ndim != 4) {
    char a[128];
    mien_set_error("global_avg_pool2d: expected [N,C,H,W], got %s", mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  int dims[2] = {2, 3};
  return mien_reduce(MIEN_MEAN, x, 2, dims, false);
}

/* --- pad --- */

static int pad_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *cur = mien_retain(g);
  int nd = n->in_ndim[0];
  for (int k = 0; k < (int)n->i[0] / 2 && cur; k++) {
    int d = nd - 1 - k;
    mien_tensor *next = mien_narrow(cur, d, n->i[1 + 2 * k], n->in_shape[0][d]);
    mien_release(cur);
    cur = next;
  }
  gin[0] = cur;
  return cur ? 0 : -1;
}

mien_tensor *mien_pad(mien_tensor *x, int npad, const int64_t *pad, double value) {
  if (npad % 2 != 0 || npad / 2 > x->ndim) {
    mien_set_error("pad: needs (left, right) pairs for at most %d dims, got %d numbers", x->ndim, npad);
    return NULL;
  }
  int64_t shape[MIEN_MAX_DIMS];
  memcpy(shape, x->shape, sizeof shape);
  for (int k = 0; k < npad / 2; k++) {
    if (pad[2 * k] < 0 || pad[2 * k + 1] < 0) {
      mien_set_error("pad: negative padding is not supported");
      return NULL;
    }
    shape[x->ndim - 1 - k] += pad[2 * k] + pad[2 * k + 1];
  }
  mien_tensor *out = mien_full(x->ndim, shape, value, x->dtype, mien_tensor_device(x));
  if (!out) return NULL;
  mien_tensor *region = mien_retain(out);
  for (int k = 0; k < npad / 2 && region; k++) {
    int d = x->ndim - 1 - k;
    mien_tensor *next = mien_narrow(region, d, pad[2 * k], x->shape[d]);
    mien_release(region);
    region = next;
  }
  int rc = region ? mien_copy_(region, x) : -1;
  mien_release(region);
  if (rc != 0) {
    mien_release(out);
    return NULL;
  }
  mien_node *n = mien_record("pad", pad_backward, 1, &x, out);
  if (n) {
    n->i[0] = npad;
    for (int k = 0; k < npad / 2; k++) n->i[1 + 2 * k] = pad[2 * k];
  }
  return out;
}
