/* Copies, fills and conversions between dtypes and devices. Within a device
 * the backend's copy_strided converts and broadcasts; between devices the
 * data goes through a contiguous staging tensor and the host copies. */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "error.h"
#include "tensor.h"

/* A contiguous tensor on `device` with src's shape and dtype and its values. */
static mien_tensor *move_contiguous(const mien_tensor *src, mien_device device) {
  const mien_backend *from = mien_backend_for(mien_tensor_device(src)), *to = mien_backend_for(device);
  if (!from || !to) return NULL;
  bool was = mien_set_grad_enabled(false);
  mien_tensor *c = mien_contiguous((mien_tensor *)src);
  mien_set_grad_enabled(was);
  mien_tensor *out = c ? mien_empty(c->ndim, c->shape, c->dtype, device) : NULL;
  const size_t nbytes = out ? (size_t)mien_numel(out) * mien_dtype_size(out->dtype) : 0;
  int rc = out ? 0 : -1;
  if (out && nbytes) {
    if (mien_tensor_device(c) == MIEN_HOST) {
      rc = to->copy_from_host(mien_data_ptr(out), mien_data_ptr(c), nbytes);
    } else if (device == MIEN_HOST) {
      rc = from->copy_to_host(mien_data_ptr(out), mien_data_ptr(c), nbytes);
    } else { /* device to device through host memory */
      void *host = malloc(nbytes);
      rc = host ? from->copy_to_host(host, mien_data_ptr(c), nbytes) : -1;
      if (rc == 0) rc = mien_backend_for(device)->copy_from_host(mien_data_ptr(out), host, nbytes);
      if (!host) mien_set_error("copy: out of memory staging %zu bytes", nbytes);
      free(host);
    }
  }
  mien_release(c);
  if (rc != 0) {
    mien_release(out);
    return NULL;
  }
  return out;
}

int mien_copy_(mien_tensor *dst, const mien_tensor *src) {
  mien_strided d = mien_strided_of(dst), s;
  if (mien_strided_broadcast(src, dst->ndim, dst->shape, &s) != 0) {
    char a[128], b[128];
    mien_set_error("copy: source shape %s does not broadcast to destination shape %s", mien_shape_str(src, a, sizeof a),
                   mien_shape_str(dst, b, sizeof b));
    return -1;
  }
  const mien_device device = mien_tensor_device(dst);
  const mien_backend *b = MIEN_BACKEND_NEED(device, copy_strided, "copy");
  if (!b) return -1;
  if (mien_tensor_device(src) == device) return b->copy_strided(&d, &s);
  mien_tensor *staged = move_contiguous(src, device);
  if (!staged) return -1;
  mien_strided_broadcast(staged, dst->ndim, dst->shape, &s);
  int rc = mien_backend_for(device)->copy_strided(&d, &s);
  mien_release(staged);
  return rc;
}

int mien_fill_(mien_tensor *t, double value) {
  const mien_backend *b = MIEN_BACKEND_NEED(mien_tensor_device(t), fill, "fill_");
  if (!b) return -1;
  mien_strided d = mien_strided_of(t);
  return b->fill(&d, value);
}

static int identity_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *r = mien_to_device(g, n->i[0]);
  gin[0] = r ? mien_to_dtype(r, n->in_dtype[0]) : NULL;
  mien_release(r);
  return gin[0] ? 0 : -1;
}

static mien_tensor *copy_as(mien_tensor *t, mien_dtype dtype, mien_device device, const char *name) {
  mien_tensor *out = mien_empty(t->ndim, t->shape, dtype, device); /* the copy writes it all */
  if (!out) return NULL;
  if (mien_copy_(out, t) != 0) {
    mien_release(out);
    return NULL;
  }
  if (mien_dtype_is_float(dtype) && mien_dtype_is_float(t->dtype)) {
    mien_node *n = mien_record(name, identity_backward, 1, &t, out);
    if (n) n->i[0] = mien_tensor_device(t);
  }
  return out;
}

mien_tensor *mien_clone(mien_tensor *t) { return copy_as(t, t->dtype, mien_tensor_device(t), "clone"); }

mien_tensor *mien_contiguous(mien_tensor *t) {
  if (mien_is_contiguous(t)) return mien_retain(t);
  return copy_as(t, t->dtype, mien_tensor_device(t), "contiguous");
}

mien_tensor *mien_to_dtype(mien_tensor *t, mien_dtype dtype) {
  if (t->dtype == dtype) return mien_retain(t);
  return copy_as(t, dtype, mien_tensor_device(t), "to_dtype");
}

mien_tensor *mien_to_device(mien_tensor *t, mien_device device) {
  if (mien_tensor_device(t) == device) return mien_retain(t);
  if (!mien_backend_for(device)) return NULL;
  return copy_as(t, t->dtype, device, "to_device");
}
