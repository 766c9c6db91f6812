#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "checked_size.h"
#include "dtype_dispatch.h"
#include "error.h"
#include "iter.h"

static int64_t live_tensors;

int64_t mien_live_tensors(void) { return live_tensors; }

static void set_contiguous_strides(mien_tensor *t) {
  int64_t s = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    t->stride[d] = s;
    s *= t->shape[d];
  }
}

/* A tensor header over an existing storage (retained). */
static mien_tensor *new_header(mien_storage *s, mien_dtype dtype) {
  mien_tensor *t = calloc(1, sizeof *t);
  if (!t) {
    mien_set_error("out of memory allocating a tensor header");
    return NULL;
  }
  t->refcount = 1;
  t->storage = s;
  mien_storage_retain(s);
  t->dtype = dtype;
  __atomic_fetch_add(&live_tensors, 1, __ATOMIC_RELAXED);
  return t;
}

/* hardening: shape products and byte counts go through core/checked_size.h */
static int check_shape(int ndim, const int64_t *shape, mien_dtype dtype, int64_t *numel, size_t *nbytes) {
  if (ndim < 0 || ndim > MIEN_MAX_DIMS) {
    mien_set_error("tensors have at most %d dims, got %d", MIEN_MAX_DIMS, ndim);
    return -1;
  }
  return mien_checked_shape_bytes(ndim, shape, mien_dtype_size(dtype), "new tensor", numel, nbytes);
}

static mien_tensor *new_tensor(int ndim, const int64_t *shape, mien_dtype dtype, int device, bool zero) {
  int64_t numel;
  size_t nbytes;
  if (check_shape(ndim, shape, dtype, &numel, &nbytes) != 0) return NULL;
  mien_storage *s = zero ? mien_storage_new(nbytes, device) : mien_storage_new_uninit(nbytes, device);
  if (!s) return NULL;
  mien_tensor *t = new_header(s, dtype);
  mien_storage_release(s);
  if (!t) return NULL;
  t->ndim = ndim;
  if (ndim > 0) memcpy(t->shape, shape, sizeof(int64_t) * ndim); /* shape may be NULL for a scalar */
  set_contiguous_strides(t);
  return t;
}

mien_tensor *mien_empty(int ndim, const int64_t *shape, mien_dtype dtype, int device) {
  return new_tensor(ndim, shape, dtype, device, true);
}

mien_tensor *mien_empty_uninit(int ndim, const int64_t *shape, mien_dtype dtype, int device) {
  return new_tensor(ndim, shape, dtype, device, false);
}

mien_tensor *mien_zeros(int ndim, const int64_t *shape, mien_dtype dtype, int device) {
  return mien_empty(ndim, shape, dtype, device); /* storages start zeroed */
}

mien_tensor *mien_full(int ndim, const int64_t *shape, double value, mien_dtype dtype, int device) {
  mien_tensor *t = mien_empty(ndim, shape, dtype, device);
  if (t && value != 0.0 && mien_fill_(t, value) != 0) {
    mien_release(t);
    return NULL;
  }
  return t;
}

mien_tensor *mien_scalar(double value, mien_dtype dtype, int device) { return mien_full(0, NULL, value, dtype, device); }

mien_tensor *mien_empty_like(const mien_tensor *t) { return mien_empty(t->ndim, t->shape, t->dtype, mien_device(t)); }

mien_tensor *mien_zeros_like(const mien_tensor *t) { return mien_zeros(t->ndim, t->shape, t->dtype, mien_device(t)); }

mien_tensor *mien_arange(double start, double stop, double step, mien_dtype dtype, int device) {
  if (step == 0 || (stop - start) / step < 0) {
    mien_set_error("arange: step %g does not go from %g towards %g", step, start, stop);
    return NULL;
  }
  /* hardening: the count is checked as a double before it becomes an int64 */
  const double count = ceil((stop - start) / step);
  if (!(count >= 0 && count < 9223372036854775808.0)) {
    mien_set_error("arange: %g values from %g to %g in steps of %g do not fit a 64-bit size", count, start, stop, step);
    return NULL;
  }
  int64_t n = (int64_t)count;
  mien_tensor *t = mien_empty(1, &n, dtype, device);
  if (!t) return NULL;
  MIEN_DISPATCH(dtype, T, {
    T *p = t->storage->data;
    for (int64_t i = 0; i < n; i++) p[i] = (T)(start + (double)i * step);
  });
  return t;
}

mien_tensor *mien_retain(mien_tensor *t) {
  if (t) __atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
  return t;
}

void mien_release(mien_tensor *t) {
  if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  mien_release(t->grad);
  mien_node_release(t->grad_fn);
  mien_storage_release(t->storage);
  __atomic_fetch_sub(&live_tensors, 1, __ATOMIC_RELAXED);
  free(t);
}

int64_t mien_numel(const mien_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

bool mien_is_contiguous(const mien_tensor *t) {
  int64_t s = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->shape[d] != 1 && t->stride[d] != s) return false;
    s *= t->shape[d];
  }
  return true;
}

bool mien_same_shape(const mien_tensor *a, const mien_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return false;
  return true;
}

void *mien_data_ptr(const mien_tensor *t) {
  return (char *)t->storage->data + (size_t)t->offset * mien_dtype_size(t->dtype);
}

int mien_normalize_dim(const mien_tensor *t, int dim, const char *op) {
  int n = t->ndim;
  if (dim < -n || dim >= n) {
    char buf[128];
    mien_set_error("%s: dim %d is out of range for a tensor of shape %s", op, dim + (dim >= 0 ? 1 : 0),
                   mien_shape_str(t, buf, sizeof buf));
    return -1;
  }
  return dim < 0 ? dim + n : dim;
}

const char *mien_shape_str(const mien_tensor *t, char *buf, size_t n) {
  size_t len = 0;
  len += (size_t)snprintf(buf + len, n - len, "[");
  for (int d = 0; d < t->ndim && len < n; d++)
    len += (size_t)snprintf(buf + len, n - len, d ? ",%lld" : "%lld", (long long)t->shape[d]);
  if (len < n) snprintf(buf + len, n - len, "]");
  return buf;
}

static int64_t element_offset(const mien_tensor *t, const int64_t *index) {
  int64_t off = t->offset;
  for (int d = 0; d < t->ndim; d++) off += index[d] * t->stride[d];
  return off;
}

double mien_get(const mien_tensor *t, const int64_t *index) {
  int64_t off = element_offset(t, index);
  double v = 0;
  MIEN_DISPATCH(t->dtype, T, { v = (double)((const T *)t->storage->data)[off]; });
  return v;
}

void mien_set(mien_tensor *t, const int64_t *index, double v) {
  int64_t off = element_offset(t, index);
  MIEN_DISPATCH(t->dtype, T, { ((T *)t->storage->data)[off] = (T)v; });
}

int mien_item(const mien_tensor *t, double *out) {
  if (mien_numel(t) != 1) {
    char buf[128];
    mien_set_error("item: only a one-element tensor converts to a number, this one has shape %s",
                   mien_shape_str(t, buf, sizeof buf));
    return -1;
  }
  int64_t zero[MIEN_MAX_DIMS] = {0};
  *out = mien_get(t, zero);
  return 0;
}

/* --- copy, fill, conversion --- */

#define COPY_LOOP(TD, TS)                                                                 \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                        \
    TD *o = (TD *)dst->storage->data + dst->offset + off[0];                              \
    const TS *s = (const TS *)src->storage->data + src->offset + off[1];                  \
    int64_t so = it.strides[0][it.ndim - 1], ss = it.strides[1][it.ndim - 1];             \
    if (so == 1 && ss == 1)                                                               \
      for (int64_t j = j0; j < j1; j++) o[j] = (TD)s[j];                                  \
    else                                                                                  \
      for (int64_t j = j0; j < j1; j++) o[j * so] = (TD)s[j * ss];                        \
  })

int mien_copy_(mien_tensor *dst, const mien_tensor *src) {
  int64_t sstr[MIEN_MAX_DIMS];
  if (mien_broadcast_strides(src, dst->ndim, dst->shape, sstr) != 0) {
    char a[128], b[128];
    mien_set_error("copy: source shape %s does not broadcast to destination shape %s", mien_shape_str(src, a, sizeof a),
                   mien_shape_str(dst, b, sizeof b));
    return -1;
  }
  if (mien_device(dst) != MIEN_CPU || mien_device(src) != MIEN_CPU) {
    mien_set_error("copy: tensors on %s and %s; this build copies on the CPU only", mien_device_name(mien_device(dst)),
                   mien_device_name(mien_device(src)));
    return -1;
  }
  const int64_t *strides[2] = {dst->stride, sstr};
  mien_iter it;
  mien_iter_init(&it, dst->ndim, dst->shape, 2, strides);
  MIEN_DISPATCH(dst->dtype, TD, { MIEN_DISPATCH(src->dtype, TS, { COPY_LOOP(TD, TS); }); });
  return 0;
}

int mien_fill_(mien_tensor *t, double value) {
  const int64_t *strides[1] = {t->stride};
  mien_iter it;
  mien_iter_init(&it, t->ndim, t->shape, 1, strides);
  MIEN_DISPATCH(t->dtype, T, {
    T v = (T)value;
    MIEN_ITER_FOR(it, off, j0, j1, {
      T *o = (T *)t->storage->data + t->offset + off[0];
      int64_t so = it.strides[0][it.ndim - 1];
      for (int64_t j = j0; j < j1; j++) o[j * so] = v;
    });
  });
  return 0;
}

mien_tensor *mien_detach(mien_tensor *t) {
  mien_tensor *v = new_header(t->storage, t->dtype);
  if (!v) return NULL;
  v->offset = t->offset;
  v->ndim = t->ndim;
  memcpy(v->shape, t->shape, sizeof t->shape);
  memcpy(v->stride, t->stride, sizeof t->stride);
  return v;
}

static int identity_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  gin[0] = mien_to_dtype(g, n->in_dtype[0]);
  return gin[0] ? 0 : -1;
}

static mien_tensor *copy_as(mien_tensor *t, mien_dtype dtype, int device, const char *name) {
  mien_tensor *out = mien_empty_uninit(t->ndim, t->shape, dtype, device); /* the copy writes it all */
  if (!out) return NULL;
  if (mien_copy_(out, t) != 0) {
    mien_release(out);
    return NULL;
  }
  if (mien_dtype_is_float(dtype) && mien_dtype_is_float(t->dtype)) mien_record(name, identity_backward, 1, &t, out);
  return out;
}

mien_tensor *mien_clone(mien_tensor *t) { return copy_as(t, t->dtype, mien_device(t), "clone"); }

mien_tensor *mien_contiguous(mien_tensor *t) {
  if (mien_is_contiguous(t)) return mien_retain(t);
  return copy_as(t, t->dtype, mien_device(t), "contiguous");
}

mien_tensor *mien_to_dtype(mien_tensor *t, mien_dtype dtype) {
  if (t->dtype == dtype) return mien_retain(t);
  return copy_as(t, dtype, mien_device(t), "to_dtype");
}

mien_tensor *mien_to_device(mien_tensor *t, int device) {
  if (mien_device(t) == device) return mien_retain(t);
  return copy_as(t, t->dtype, device, "to_device");
}
