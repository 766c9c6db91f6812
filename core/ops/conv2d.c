/* The conv2d op: checks, autograd, and the backend's conv2d entries. */
#include <string.h>

#include "autocast.h"
#include "autograd.h"
#include "error.h"
#include "nn.h"

static void params_of(const int64_t *xs, const int64_t *ws, const mien_conv2d_opts *o, mien_conv2d_params *p) {
  p->N = xs[0];
  p->C_in = xs[1];
  p->H = xs[2];
  p->W = xs[3];
  p->C_out = ws[0];
  p->KH = ws[2];
  p->KW = ws[3];
  p->stride_h = o->stride[0];
  p->stride_w = o->stride[1];
  p->pad_h = o->padding[0];
  p->pad_w = o->padding[1];
  p->dil_h = o->dilation[0];
  p->dil_w = o->dilation[1];
  p->groups = o->groups;
}

static void opts_from_node(const mien_node *n, mien_conv2d_opts *o) {
  for (int k = 0; k < 2; k++) {
    o->stride[k] = n->i[k];
    o->padding[k] = n->i[2 + k];
    o->dilation[k] = n->i[4 + k];
  }
  o->groups = n->i[6];
}

static int conv2d_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *x = n->saved[0], *w = n->saved[1];
  mien_conv2d_opts o;
  mien_conv2d_params p;
  opts_from_node(n, &o);
  params_of(x->shape, w->shape, &o, &p);
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = mien_backend_for(dev);
  mien_tensor *gc = be ? mien_contiguous(g) : NULL;
  if (!gc) return -1;
  const mien_dtype dt = x->dtype;
  const bool bf16 = n->i[7] != 0; /* the forward ran under bf16 autocast */
  int rc = 0;
  if (mien_node_needs_grad(n, 0)) {
    gin[0] = MIEN_BACKEND_NEED(dev, conv2d_backward_input, "conv2d backward") ? mien_empty(x->ndim, x->shape, dt, dev) : NULL;
    if (gin[0] && bf16 && be->conv2d_backward_input_bf16)
      rc = be->conv2d_backward_input_bf16(&p, mien_data_ptr(gc), mien_data_ptr(w), mien_data_ptr(gin[0]));
    else
      rc = gin[0] ? be->conv2d_backward_input(&p, dt, mien_data_ptr(gc), mien_data_ptr(w), mien_data_ptr(gin[0])) : -1;
  }
  if (rc == 0 && mien_node_needs_grad(n, 1)) {
    gin[1] = MIEN_BACKEND_NEED(dev, conv2d_backward_weight, "conv2d backward") ? mien_empty(w->ndim, w->shape, dt, dev) : NULL;
    if (gin[1] && bf16 && be->conv2d_backward_weight_bf16)
      rc = be->conv2d_backward_weight_bf16(&p, mien_data_ptr(x), mien_data_ptr(gc), mien_data_ptr(gin[1]));
    else
      rc = gin[1] ? be->conv2d_backward_weight(&p, dt, mien_data_ptr(x), mien_data_ptr(gc), mien_data_ptr(gin[1])) : -1;
  }
  if (rc == 0 && n->ninputs > 2 && mien_node_needs_grad(n, 2)) {
    gin[2] = MIEN_BACKEND_NEED(dev, conv2d_backward_bias, "conv2d backward") ? mien_empty(1, &p.C_out, dt, dev) : NULL;
    rc = gin[2] ? be->conv2d_backward_bias(&p, dt, mien_data_ptr(gc), mien_data_ptr(gin[2])) : -1;
  }
  mien_release(gc);
  return rc;
}

mien_tensor *mien_conv2d(mien_tensor *x, mien_tensor *w, mien_tensor *b, const mien_conv2d_opts *o) {
  char a[128], c[128];
  if (x->ndim != 4 || w->ndim != 4) {
    mien_set_error("conv2d: expected input [N,C,H,W] and weight [C_out,C_in/groups,KH,KW], got %s and %s",
                   mien_shape_str(x, a, sizeof a), mien_shape_str(w, c, sizeof c));
    return NULL;
  }
  if (!mien_dtype_is_float(x->dtype) || x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
    mien_set_error("conv2d: input, weight and bias must share one float dtype (got %s and %s)", mien_dtype_name(x->dtype),
                   mien_dtype_name(w->dtype));
    return NULL;
  }
  if (o->groups < 1 || x->shape[1] != w->shape[1] * o->groups) {
    mien_set_error("conv2d: input %s has %lld channels, weight %s with groups=%lld expects %lld",
                   mien_shape_str(x, a, sizeof a), (long long)x->shape[1], mien_shape_str(w, c, sizeof c),
                   (long long)o->groups, (long long)(w->shape[1] * o->groups));
    return NULL;
  }
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
    mien_set_error("conv2d: bias %s does not match %lld output channels", mien_shape_str(b, a, sizeof a),
                   (long long)w->shape[0]);
    return NULL;
  }
  if (mien_check_same_device(x, w, "conv2d") != 0 || (b && mien_check_same_device(x, b, "conv2d") != 0)) return NULL;
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = MIEN_BACKEND_NEED(dev, conv2d_forward, "conv2d");
  if (!be) return NULL;
  mien_conv2d_params p;
  params_of(x->shape, w->shape, o, &p);
  int64_t OH, OW;
  if (mien_conv2d_out_size(&p, &OH, &OW) != 0) return NULL;
  mien_tensor *xc = mien_contiguous(x), *wc = mien_contiguous(w), *bc = b ? mien_contiguous(b) : NULL;
  int64_t shape[4] = {p.N, p.C_out, OH, OW};
  mien_tensor *y = xc && wc && (!b || bc) ? mien_empty(4, shape, x->dtype, dev) : NULL;
  int rc = -1;
  const bool bf16 = mien_autocast_get() == MIEN_PRECISION_BF16 && x->dtype == MIEN_FLOAT32 && be->conv2d_forward_bf16;
  if (y && bf16)
    rc = be->conv2d_forward_bf16(&p, mien_data_ptr(xc), mien_data_ptr(wc), bc ? mien_data_ptr(bc) : NULL,
                                 mien_data_ptr(y));
  else if (y)
    rc = be->conv2d_forward(&p, x->dtype, mien_data_ptr(xc), mien_data_ptr(wc), bc ? mien_data_ptr(bc) : NULL,
                            mien_data_ptr(y));
  if (rc == 0) {
    mien_tensor *ins[3] = {x, w, b};
    mien_node *n = mien_record("conv2d", conv2d_backward, b ? 3 : 2, ins, y);
    if (n) {
      mien_node_save(n, 0, xc);
      mien_node_save(n, 1, wc);
      for (int k = 0; k < 2; k++) {
        n->i[k] = o->stride[k];
        n->i[2 + k] = o->padding[k];
        n->i[4 + k] = o->dilation[k];
      }
      n->i[6] = o->groups;
      n->i[7] = bf16;
    }
  } else {
    mien_release(y);
    y = NULL;
  }
  mien_release(xc);
  mien_release(wc);
  mien_release(bc);
  return y;
}
