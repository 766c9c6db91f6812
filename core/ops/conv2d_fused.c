/* The fused inference convolution: conv2d, then ReLU and a 2x2 max-pool as
 * asked, in one pass where the backend has conv2d_forward_fused (the CPU
 * does), else composed from the three ops. No autograd: it refuses inputs
 * that require grad while grad mode is on. */
#include "autograd.h"
#include "error.h"
#include "nn.h"

/* The composition the fused kernel replaces, for backends without it. */
static mien_tensor *composed(mien_tensor *x, mien_tensor *w, mien_tensor *b, const mien_conv2d_opts *o, bool relu,
                             bool pool) {
  mien_tensor *y = mien_conv2d(x, w, b, o);
  if (y && relu) {
    mien_tensor *r = mien_unary(MIEN_RELU, y);
    mien_release(y);
    y = r;
  }
  if (y && pool) {
    const mien_pool2d_opts po = {{2, 2}, {2, 2}, {0, 0}, false, true};
    mien_tensor *m = mien_max_pool2d(y, &po);
    mien_release(y);
    y = m;
  }
  return y;
}

mien_tensor *mien_conv2d_fused(mien_tensor *x, mien_tensor *w, mien_tensor *b, const mien_conv2d_opts *o, bool relu,
                               bool pool) {
  if (mien_grad_enabled() && (x->requires_grad || w->requires_grad || (b && b->requires_grad))) {
    mien_set_error("conv2d_fused: inference only, and an input requires grad (run it under no_grad, or train with "
                   "conv2d, relu and max_pool2d)");
    return NULL;
  }
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = mien_backend_for(dev);
  if (!be || !be->conv2d_forward_fused || x->ndim != 4 || w->ndim != 4 || x->dtype != w->dtype ||
      (b && b->dtype != x->dtype) || mien_check_same_device(x, w, "conv2d_fused") != 0 ||
      (b && mien_check_same_device(x, b, "conv2d_fused") != 0))
    return composed(x, w, b, o, relu, pool); /* which also reports bad arguments as conv2d does */
  mien_conv2d_params p = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2],
                          w->shape[3], o->stride[0], o->stride[1], o->padding[0], o->padding[1],
                          o->dilation[0], o->dilation[1], o->groups};
  int64_t OH, OW;
  if (!mien_dtype_is_float(x->dtype) || o->groups < 1 || x->shape[1] != w->shape[1] * o->groups ||
      (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) || mien_conv2d_out_size(&p, &OH, &OW) != 0)
    return composed(x, w, b, o, relu, pool); /* conv2d reports what is wrong */
  if (pool && (OH < 2 || OW < 2)) {
    mien_set_error("conv2d_fused: the 2x2 max-pool needs an output of at least 2x2, the convolution gives %lldx%lld",
                   (long long)OH, (long long)OW);
    return NULL;
  }
  mien_tensor *xc = mien_contiguous(x), *wc = mien_contiguous(w), *bc = b ? mien_contiguous(b) : NULL;
  const int64_t shape[4] = {p.N, p.C_out, pool ? OH / 2 : OH, pool ? OW / 2 : OW};
  mien_tensor *y = xc && wc && (!b || bc) ? mien_empty(4, shape, x->dtype, dev) : NULL;
  const int epilogue = (relu ? 1 : 0) | (pool ? 2 : 0);
  if (y && be->conv2d_forward_fused(&p, x->dtype, mien_data_ptr(xc), mien_data_ptr(wc), bc ? mien_data_ptr(bc) : NULL,
                                    epilogue, mien_data_ptr(y)) != 0) {
    mien_release(y);
    y = NULL;
  }
  mien_release(xc);
  mien_release(wc);
  mien_release(bc);
  return y;
}
