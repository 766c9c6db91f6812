/* batch_norm over dim 1 of [N,C] or [N,C,*]. */
#include "autograd.h"
#include "error.h"
#include "nn.h"

static mien_tensor *channel_view(mien_tensor *t, const mien_tensor *x) {
  int64_t shape[MIEN_MAX_DIMS];
  for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? x->shape[1] : 1;
  return mien_reshape(t, x->ndim, shape);
}

mien_tensor *mien_batch_norm(mien_tensor *x, mien_tensor *running_mean, mien_tensor *running_var, mien_tensor *weight,
                             mien_tensor *bias, bool training, double momentum, double eps) {
  char a[128];
  if (x->ndim < 2) {
    mien_set_error("batch_norm: expected [N,C] or [N,C,H,W], got %s", mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  int64_t c = x->shape[1];
  mien_tensor *given[4] = {running_mean, running_var, weight, bias};
  const char *names[4] = {"running_mean", "running_var", "weight", "bias"};
  for (int k = 0; k < 4; k++)
    if (given[k] && mien_numel(given[k]) != c) {
      mien_set_error("batch_norm: %s has %lld elements for %lld channels", names[k], (long long)mien_numel(given[k]),
                     (long long)c);
      return NULL;
    }
  if (!training && (!running_mean || !running_var)) {
    mien_set_error("batch_norm: evaluation mode needs running_mean and running_var");
    return NULL;
  }
  int dims[MIEN_MAX_DIMS], nd = 0;
  int64_t count = 1;
  for (int d = 0; d < x->ndim; d++)
    if (d != 1) dims[nd++] = d, count *= x->shape[d];
  if (training && count < 2) {
    mien_set_error("batch_norm: training needs more than one value per channel, got input %s",
                   mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  mien_tensor *mean, *var;
  if (training) {
    mean = mien_reduce(MIEN_MEAN, x, nd, dims, true);
    var = mien_var(x, nd, dims, false, true);
    if (mean && var && running_mean && running_var) { /* running stats use the unbiased variance */
      bool was = mien_set_grad_enabled(false);
      mien_tensor *m = mien_reshape(mean, 1, &c), *v = mien_reshape(var, 1, &c);
      mien_mul_scalar_(running_mean, 1.0 - momentum);
      mien_add_(running_mean, m, momentum);
      mien_mul_scalar_(running_var, 1.0 - momentum);
      mien_add_(running_var, v, momentum * (double)count / (double)(count - 1));
      mien_release(m);
      mien_release(v);
      mien_set_grad_enabled(was);
    }
  } else {
    mean = channel_view(running_mean, x);
    var = channel_view(running_var, x);
  }
  mien_tensor *t[6] = {0};
  t[0] = var ? mien_binary_scalar(MIEN_ADD, var, eps, false) : NULL;
  t[1] = t[0] ? mien_unary(MIEN_RSQRT, t[0]) : NULL;
  t[2] = mean ? mien_binary(MIEN_SUB, x, mean) : NULL;
  mien_tensor *y = t[1] && t[2] ? mien_binary(MIEN_MUL, t[2], t[1]) : NULL;
  if (y && weight) {
    t[3] = channel_view(weight, x);
    mien_tensor *s = t[3] ? mien_binary(MIEN_MUL, y, t[3]) : NULL;
    mien_release(y);
    y = s;
  }
  if (y && bias) {
    t[4] = channel_view(bias, x);
    mien_tensor *s = t[4] ? mien_binary(MIEN_ADD, y, t[4]) : NULL;
    mien_release(y);
    y = s;
  }
  mien_release(mean);
  mien_release(var);
  for (int k = 0; k < 6; k++) mien_release(t[k]);
  return y;
}
