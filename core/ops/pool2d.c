/* max_pool2d and avg_pool2d with autograd over the kernels in cpu/pool2d.c. */
#include "autograd.h"
#include "error.h"
#include "nn.h"

static void params_of(const int64_t *xs, const mien_pool2d_opts *o, mien_pool2d_params *p) {
  p->N = xs[0];
  p->C = xs[1];
  p->H = xs[2];
  p->W = xs[3];
  p->KH = o->kernel[0];
  p->KW = o->kernel[1];
  p->stride_h = o->stride[0];
  p->stride_w = o->stride[1];
  p->pad_h = o->padding[0];
  p->pad_w = o->padding[1];
  p->ceil_mode = o->ceil_mode;
  p->count_include_pad = o->count_include_pad;
}

/* The node keeps the params in i[0..11]; saved[0] holds max-pool indices. */
static void store_params(mien_node *n, const mien_pool2d_params *p) {
  const int64_t v[12] = {p->N, p->C, p->H, p->W, p->KH, p->KW, p->stride_h, p->stride_w, p->pad_h, p->pad_w,
                         p->ceil_mode, p->count_include_pad};
  for (int k = 0; k < 12; k++) n->i[k] = v[k];
}

static void load_params(const mien_node *n, mien_pool2d_params *p) {
  p->N = n->i[0], p->C = n->i[1], p->H = n->i[2], p->W = n->i[3], p->KH = n->i[4], p->KW = n->i[5];
  p->stride_h = n->i[6], p->stride_w = n->i[7], p->pad_h = n->i[8], p->pad_w = n->i[9];
  p->ceil_mode = (int)n->i[10], p->count_include_pad = (int)n->i[11];
}

static int pool_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_pool2d_params p;
  load_params(n, &p);
  mien_tensor *idx = n->saved[0];
  const mien_device dev = mien_tensor_device(g);
  const mien_backend *be = idx ? MIEN_BACKEND_NEED(dev, max_pool2d_backward, "max_pool2d backward")
                               : MIEN_BACKEND_NEED(dev, avg_pool2d_backward, "avg_pool2d backward");
  mien_tensor *gc = be ? mien_contiguous(g) : NULL;
  mien_tensor *dx = gc ? mien_empty(n->in_ndim[0], n->in_shape[0], g->dtype, dev) : NULL;
  int rc = -1;
  if (dx)
    rc = idx ? be->max_pool2d_backward(&p, g->dtype, mien_data_ptr(gc), mien_data_ptr(idx), mien_data_ptr(dx))
             : be->avg_pool2d_backward(&p, g->dtype, mien_data_ptr(gc), mien_data_ptr(dx));
  mien_release(gc);
  if (rc != 0) {
    mien_release(dx);
    return -1;
  }
  gin[0] = dx;
  return 0;
}

static mien_tensor *pool(mien_tensor *x, const mien_pool2d_opts *o, bool is_max) {
  const char *name = is_max ? "max_pool2d" : "avg_pool2d";
  if (x->ndim != 4 || !mien_dtype_is_float(x->dtype)) {
    char a[128];
    mien_set_error("%s: expected a float [N,C,H,W] tensor, got %s %s", name, mien_dtype_name(x->dtype),
                   mien_shape_str(x, a, sizeof a));
    return NULL;
  }
  const mien_device dev = mien_tensor_device(x);
  const mien_backend *be = is_max ? MIEN_BACKEND_NEED(dev, max_pool2d_forward, name)
                                  : MIEN_BACKEND_NEED(dev, avg_pool2d_forward, name);
  if (!be) return NULL;
  mien_pool2d_params p;
  params_of(x->shape, o, &p);
  int64_t OH, OW;
  if (mien_pool2d_out_size(&p, &OH, &OW) != 0) return NULL;
  int64_t shape[4] = {p.N, p.C, OH, OW};
  mien_tensor *xc = mien_contiguous(x);
  mien_tensor *y = xc ? mien_empty(4, shape, x->dtype, dev) : NULL;
  bool record = mien_needs_record(1, &x);
  mien_tensor *idx = y && is_max && record ? mien_empty(4, shape, MIEN_INT64, dev) : NULL;
  int rc = -1;
  if (y && (!is_max || !record || idx))
    rc = is_max ? be->max_pool2d_forward(&p, x->dtype, mien_data_ptr(xc), mien_data_ptr(y),
                                         idx ? mien_data_ptr(idx) : NULL)
                : be->avg_pool2d_forward(&p, x->dtype, mien_data_ptr(xc), mien_data_ptr(y));
  mien_release(xc);
  if (rc != 0) {
    mien_release(y);
    mien_release(idx);
    return NULL;
  }
  mien_node *n = mien_record(name, pool_backward, 1, &x, y);
  if (n) {
    store_params(n, &p);
    if (idx) mien_node_save(n, 0, idx);
  }
  mien_release(idx);
  return y;
}

mien_tensor *mien_max_pool2d(mien_tensor *x, const mien_pool2d_opts *o) { return pool(x, o, true); }
mien_tensor *mien_avg_pool2d(mien_tensor *x, const mien_pool2d_opts *o) { return pool(x, o, false); }
