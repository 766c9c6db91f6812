/* batch_norm over dim 1 of [N,C] or [N,C,*]: checks, autograd, and the
 * backend's batchnorm entries. Training normalises with the batch statistics
 * (and updates the running ones); evaluation uses the running statistics. */
#include "autograd.h"
#include "error.h"
#include "nn.h"

/* saved: 0 x, 1 gamma, 2 save_mean or running_mean, 3 save_invstd or running_var */
static int batch_norm_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *x = n->saved[0], *gamma = n->saved[1], *m = n->saved[2], *v = n->saved[3];
  bool training = n->i[0] != 0;
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = training ? MIEN_BACKEND_NEED(dev, batchnorm_backward_train, "batch_norm backward")
                                    : MIEN_BACKEND_NEED(dev, batchnorm_backward_eval, "batch_norm backward");
  if (!be) return -1;
  mien_batchnorm_params p = {n->i[1], n->i[2], n->i[3], n->f[0], 0};
  int64_t c = p.C;
  mien_tensor *gc = mien_contiguous(g);
  if (!gc) return -1;
  if (mien_node_needs_grad(n, 0)) gin[0] = mien_empty(x->ndim, x->shape, x->dtype, dev);
  if (n->ninputs > 1 && mien_node_needs_grad(n, 1)) gin[1] = mien_empty(1, &c, x->dtype, dev);
  if (n->ninputs > 2 && mien_node_needs_grad(n, 2)) gin[2] = mien_empty(1, &c, x->dtype, dev);
#define PTR(t) ((t) ? mien_data_ptr(t) : NULL)
  int rc = (training ? be->batchnorm_backward_train : be->batchnorm_backward_eval)(
      &p, x->dtype, PTR(x), PTR(gc), PTR(gamma), PTR(m), PTR(v), PTR(gin[0]), n->ninputs > 1 ? PTR(gin[1]) : NULL,
      n->ninputs > 2 ? PTR(gin[2]) : NULL);
#undef PTR
  mien_release(gc);
  return rc;
}

static int check_param(const mien_tensor *t, const mien_tensor *x, int64_t c, const char *name) {
  if (!t) return 0;
  if (mien_numel(t) != c || !mien_is_contiguous(t) || t->dtype != x->dtype ||
      mien_tensor_device(t) != mien_tensor_device(x)) {
    char a[128];
    mien_set_error("batch_norm: %s must be a contiguous %s tensor of %lld elements on the input's device, got %s %s", name,
                   mien_dtype_name(x->dtype), (long long)c, mien_dtype_name(t->dtype), mien_shape_str(t, a, sizeof a));
    return -1;
  }
  return 0;
}

mien_tensor *mien_batch_norm(mien_tensor *x, mien_tensor *running_mean, mien_tensor *running_var, mien_tensor *weight,
                             mien_tensor *bias, bool training, double momentum, double eps) {
  char a[128];
  if (x->ndim < 2 || !mien_dtype_is_float(x->dtype)) {
    mien_set_error("batch_norm: expected a float [N,C] or [N,C,H,W] tensor, got %s %s",
                   mien_dtype_name(x->dtype), mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  int64_t c = x->shape[1], s = 1;
  for (int d = 2; d < x->ndim; d++) s *= x->shape[d];
  if (check_param(running_mean, x, c, "running_mean") || check_param(running_var, x, c, "running_var") ||
      check_param(weight, x, c, "weight") || check_param(bias, x, c, "bias"))
    return NULL;
  if (!training && (!running_mean || !running_var)) {
    mien_set_error("batch_norm: evaluation mode needs running_mean and running_var");
    return NULL;
  }
  if (training && x->shape[0] * s < 2) {
    mien_set_error("batch_norm: training needs more than one value per channel, got input %s",
                   mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = training ? MIEN_BACKEND_NEED(dev, batchnorm_forward_train, "batch_norm")
                                    : MIEN_BACKEND_NEED(dev, batchnorm_forward_eval, "batch_norm");
  if (!be) return NULL;
  mien_batchnorm_params p = {x->shape[0], c, s, eps, momentum};
  mien_tensor *xc = mien_contiguous(x);
  mien_tensor *y = xc ? mien_empty(x->ndim, x->shape, x->dtype, dev) : NULL;
  mien_tensor *sm = training && y ? mien_empty(1, &c, x->dtype, dev) : NULL;
  mien_tensor *si = training && sm ? mien_empty(1, &c, x->dtype, dev) : NULL;
  int rc = -1;
#define PTR(t) ((t) ? mien_data_ptr(t) : NULL)
  if (y && (!training || si))
    rc = training ? be->batchnorm_forward_train(&p, x->dtype, PTR(xc), PTR(weight), PTR(bias), PTR(running_mean),
                                                PTR(running_var), PTR(sm), PTR(si), PTR(y))
                  : be->batchnorm_forward_eval(&p, x->dtype, PTR(xc), PTR(weight), PTR(bias), PTR(running_mean),
                                               PTR(running_var), PTR(y));
#undef PTR
  if (rc == 0) {
    mien_tensor *ins[3] = {x, weight, bias};
    mien_node *n = mien_record("batch_norm", batch_norm_backward, bias ? 3 : weight ? 2 : 1, ins, y);
    if (n) {
      n->i[0] = training;
      n->i[1] = p.N;
      n->i[2] = c;
      n->i[3] = s;
      n->f[0] = eps;
      mien_node_save(n, 0, xc);
      if (weight) mien_node_save(n, 1, weight);
      /* eval backward reads the running stats as they were: keep copies */
      mien_tensor *m = training ? mien_retain(sm) : mien_clone(running_mean);
      mien_tensor *v = training ? mien_retain(si) : mien_clone(running_var);
      n->saved[2] = m;
      n->saved[3] = v;
    }
  } else {
    mien_release(y);
    y = NULL;
  }
  mien_release(xc);
  mien_release(sm);
  mien_release(si);
  return y;
}
