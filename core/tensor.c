#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "checked_size.h"
#include "error.h"

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

static mien_tensor *new_tensor(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device, bool zero) {
  int64_t numel;
  size_t nbytes;
  if (check_shape(ndim, shape, dtype, &numel, &nbytes) != 0) return NULL;
  if (dtype == MIEN_BFLOAT16 && mien_device_type_of(device) != MIEN_DEVICE_CPU) { /* bf16: a CPU storage type */
    char dev[32];
    mien_set_error("bfloat16: not available on %s (bfloat16 tensors live on the cpu)",
                   mien_device_str(device, dev, sizeof dev));
    return NULL;
  }
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

mien_tensor *mien_empty(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device) {
  return new_tensor(ndim, shape, dtype, device, false);
}

mien_tensor *mien_zeros(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device) {
  return new_tensor(ndim, shape, dtype, device, true);
}

mien_tensor *mien_full(int ndim, const int64_t *shape, double value, mien_dtype dtype, mien_device device) {
  mien_tensor *t = mien_zeros(ndim, shape, dtype, device);
  if (t && value != 0.0 && mien_fill_(t, value) != 0) {
    mien_release(t);
    return NULL;
  }
  return t;
}

mien_tensor *mien_scalar(double value, mien_dtype dtype, mien_device device) { return mien_full(0, NULL, value, dtype, device); }

mien_tensor *mien_zeros_like(const mien_tensor *t) { return mien_zeros(t->ndim, t->shape, t->dtype, mien_tensor_device(t)); }

mien_tensor *mien_arange(double start, double stop, double step, mien_dtype dtype, mien_device device) {
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
  const mien_backend *b = MIEN_BACKEND_NEED(device, arange, "arange");
  mien_tensor *t = b ? mien_empty(1, &n, dtype, device) : NULL;
  if (t && b->arange(mien_data_ptr(t), dtype, n, start, step) != 0) {
    mien_release(t);
    return NULL;
  }
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

int mien_check_same_device(const mien_tensor *a, const mien_tensor *b, const char *op) {
  if (mien_tensor_device(a) == mien_tensor_device(b)) return 0;
  char da[32], db[32];
  mien_set_error("%s: tensors are on different devices (%s and %s)", op,
                 mien_device_str(mien_tensor_device(a), da, sizeof da), mien_device_str(mien_tensor_device(b), db, sizeof db));
  return -1;
}

int mien_normalize_dim(const mien_tensor *t, int dim, const char *op) {
  int n = t->ndim;
  if (dim < -n || dim >= n) {
    char buf[128];
    mien_set_error(dim >= 0 ? "%s: dim #%d is out of range for a tensor of shape %s"
                            : "%s: dim %d is out of range for a tensor of shape %s", op, dim,
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

/* One element moves through the backend's host copies, as 8 bytes at most. */
/* Element `index` of t read into *out as a double: 0, or -1 when the
 * device copy fails (its error set). */
static int read_element(const mien_tensor *t, const int64_t *index, double *out) {
  const size_t es = mien_dtype_size(t->dtype);
  const char *at = (const char *)t->storage->data + (size_t)element_offset(t, index) * es;
  union { float f; double d; int64_t i; uint8_t u; mien_bf16 h; } v;
  if (t->storage->backend->copy_to_host(&v, at, es) != 0) return -1;
  switch (t->dtype) {
    case MIEN_FLOAT32: *out = v.f; break;
    case MIEN_FLOAT64: *out = v.d; break;
    case MIEN_INT64: *out = (double)v.i; break;
    case MIEN_BFLOAT16: *out = mien_bf16_to_f32(v.h); break;
    default: *out = v.u; break;
  }
  return 0;
}

double mien_get(const mien_tensor *t, const int64_t *index) {
  double v;
  return read_element(t, index, &v) == 0 ? v : NAN;
}

void mien_set(mien_tensor *t, const int64_t *index, double value) {
  const size_t es = mien_dtype_size(t->dtype);
  char *at = (char *)t->storage->data + (size_t)element_offset(t, index) * es;
  union { float f; double d; int64_t i; uint8_t u; mien_bf16 h; } v;
  switch (t->dtype) {
    case MIEN_FLOAT32: v.f = (float)value; break;
    case MIEN_FLOAT64: v.d = value; break;
    case MIEN_INT64: v.i = (int64_t)value; break;
    case MIEN_BFLOAT16: v.h = mien_f32_to_bf16((float)value); break;
    default: v.u = (uint8_t)value; break;
  }
  t->storage->backend->copy_from_host(at, &v, es);
}

int mien_item(const mien_tensor *t, double *out) {
  if (mien_numel(t) != 1) {
    char buf[128];
    mien_set_error("item: only a one-element tensor converts to a number, this one has shape %s",
                   mien_shape_str(t, buf, sizeof buf));
    return -1;
  }
  int64_t zero[MIEN_MAX_DIMS] = {0};
  return read_element(t, zero, out); /* a NaN element is a value, not an error */
}

/* --- descriptors and broadcasting --- */

mien_strided mien_strided_of(const mien_tensor *t) {
  mien_strided d;
  d.data = mien_data_ptr(t);
  d.dtype = t->dtype;
  d.ndim = t->ndim;
  memcpy(d.shape, t->shape, sizeof d.shape);
  memcpy(d.stride, t->stride, sizeof d.stride);
  return d;
}

int mien_strided_broadcast(const mien_tensor *t, int ndim, const int64_t *shape, mien_strided *out) {
  if (mien_broadcast_strides(t, ndim, shape, out->stride) != 0) return -1;
  out->data = mien_data_ptr(t);
  out->dtype = t->dtype;
  out->ndim = ndim;
  memcpy(out->shape, shape, sizeof(int64_t) * (size_t)ndim);
  return 0;
}

int mien_broadcast_strides(const mien_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
  if (t->ndim > ndim) return -1;
  int lead = ndim - t->ndim;
  for (int d = 0; d < ndim; d++) {
    if (d < lead) {
      strides[d] = 0;
      continue;
    }
    int64_t s = t->shape[d - lead];
    if (s == shape[d]) strides[d] = s == 1 ? 0 : t->stride[d - lead];
    else if (s == 1) strides[d] = 0;
    else return -1;
  }
  return 0;
}

int mien_broadcast_shape(const mien_tensor *a, const mien_tensor *b, const char *op, int *ndim, int64_t *shape) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int d = 0; d < n; d++) {
    int da = d - (n - a->ndim), db = d - (n - b->ndim);
    int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char bufa[128], bufb[128];
      mien_set_error("%s: shapes %s and %s do not broadcast", op, mien_shape_str(a, bufa, sizeof bufa),
                     mien_shape_str(b, bufb, sizeof bufb));
      return -1;
    }
    shape[d] = sa == 1 ? sb : sa;
  }
  *ndim = n;
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
