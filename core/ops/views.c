/* Views share their input's storage; each records how to map a gradient
 * back to the input's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "checked_size.h"
#include "error.h"
#include "tensor.h"

static mien_tensor *view_of(mien_tensor *t) {
  mien_tensor *v = mien_detach(t);
  return v;
}

/* --- reshape / view --- */

static int reshape_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  gin[0] = mien_reshape(g, n->in_ndim[0], n->in_shape[0]);
  return gin[0] ? 0 : -1;
}

static int infer_shape(const mien_tensor *t, int ndim, const int64_t *shape, int64_t *out, const char *op) {
  int64_t numel = mien_numel(t), known = 1;
  int infer = -1;
  if (ndim < 0 || ndim > MIEN_MAX_DIMS) {
    mien_set_error("%s: at most %d dims", op, MIEN_MAX_DIMS);
    return -1;
  }
  for (int d = 0; d < ndim; d++) {
    out[d] = shape[d];
    if (shape[d] == -1 && infer < 0) infer = d;
    else if (shape[d] < 0) {
      mien_set_error("%s: invalid size %lld in the new shape", op, (long long)shape[d]);
      return -1;
    } else if (__builtin_mul_overflow(known, shape[d], &known)) { /* hardening: checked product */
      goto mismatch;
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) goto mismatch;
    out[infer] = numel / known;
  } else if (known != numel) goto mismatch;
  return 0;
mismatch : {
  char a[128], b[256];
  size_t len = (size_t)snprintf(b, sizeof b, "[");
  for (int d = 0; d < ndim; d++) len += (size_t)snprintf(b + len, sizeof b - len, d ? ",%lld" : "%lld", (long long)shape[d]);
  snprintf(b + len, sizeof b - len, "]");
  mien_set_error("%s: cannot reshape a tensor of shape %s (%lld elements) to %s", op, mien_shape_str(t, a, sizeof a),
                 (long long)numel, b);
  return -1;
}
}

/* Strides for viewing t as `shape` without copying, if possible. */
static bool view_strides(const mien_tensor *t, int ndim, const int64_t *shape, int64_t *stride) {
  if (mien_is_contiguous(t)) {
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
      stride[d] = s;
      s *= shape[d];
    }
    return true;
  }
  /* general case: match groups of old dims that are contiguous among themselves */
  int od = 0, nd = 0;
  while (nd < ndim || od < t->ndim) {
    int64_t ochunk = 1, nchunk = 1;
    int o0 = od, n0 = nd;
    if (od < t->ndim) ochunk = t->shape[od++];
    if (nd < ndim) nchunk = shape[nd++];
    while (ochunk != nchunk) {
      if (ochunk < nchunk) {
        if (od >= t->ndim) return false;
        ochunk *= t->shape[od++];
      } else {
        if (nd >= ndim) return false;
        nchunk *= shape[nd++];
      }
    }
    for (int d = o0; d < od - 1; d++)
      if (t->shape[d + 1] != 1 && t->stride[d] != t->stride[d + 1] * t->shape[d + 1]) return false;
    int64_t s = od > o0 ? t->stride[od - 1] : 1;
    for (int d = nd - 1; d >= n0; d--) {
      stride[d] = s;
      s *= shape[d];
    }
  }
  return true;
}

static mien_tensor *reshape_impl(mien_tensor *t, int ndim, const int64_t *shape, bool allow_copy, const char *op) {
  int64_t newshape[MIEN_MAX_DIMS], stride[MIEN_MAX_DIMS];
  if (infer_shape(t, ndim, shape, newshape, op) != 0) return NULL;
  mien_tensor *src = NULL, *v;
  if (view_strides(t, ndim, newshape, stride)) {
    v = view_of(t);
  } else {
    if (!allow_copy) {
      char a[128];
      mien_set_error("%s: a tensor of shape %s with these strides cannot be viewed without a copy; use reshape",
                     op, mien_shape_str(t, a, sizeof a));
      return NULL;
    }
    bool was = mien_set_grad_enabled(false);
    src = mien_contiguous(t);
    mien_set_grad_enabled(was);
    if (!src) return NULL;
    view_strides(src, ndim, newshape, stride);
    v = view_of(src);
  }
  mien_release(src);
  if (!v) return NULL;
  v->ndim = ndim;
  memcpy(v->shape, newshape, sizeof(int64_t) * ndim);
  memcpy(v->stride, stride, sizeof(int64_t) * ndim);
  mien_record(op, reshape_backward, 1, &t, v);
  return v;
}

mien_tensor *mien_reshape(mien_tensor *t, int ndim, const int64_t *shape) {
  return reshape_impl(t, ndim, shape, true, "reshape");
}

mien_tensor *mien_view(mien_tensor *t, int ndim, const int64_t *shape) {
  return reshape_impl(t, ndim, shape, false, "view");
}

mien_tensor *mien_flatten(mien_tensor *t, int start_dim, int end_dim) {
  if (t->ndim == 0) {
    int64_t one = 1;
    return mien_reshape(t, 1, &one);
  }
  int s = mien_normalize_dim(t, start_dim, "flatten"), e = mien_normalize_dim(t, end_dim, "flatten");
  if (s < 0 || e < 0) return NULL;
  if (e < s) {
    mien_set_error("flatten: start dim #%d comes after end dim #%d", s, e);
    return NULL;
  }
  int64_t shape[MIEN_MAX_DIMS];
  int n = 0;
  for (int d = 0; d < s; d++) shape[n++] = t->shape[d];
  int64_t m = 1;
  for (int d = s; d <= e; d++) m *= t->shape[d];
  shape[n++] = m;
  for (int d = e + 1; d < t->ndim; d++) shape[n++] = t->shape[d];
  return mien_reshape(t, n, shape);
}

mien_tensor *mien_unsqueeze(mien_tensor *t, int dim) {
  if (dim < 0) dim += t->ndim + 1;
  if (dim < 0 || dim > t->ndim || t->ndim >= MIEN_MAX_DIMS) {
    char a[128];
    mien_set_error("unsqueeze: dim #%d is out of range for shape %s", dim, mien_shape_str(t, a, sizeof a));
    return NULL;
  }
  int64_t shape[MIEN_MAX_DIMS];
  int n = 0;
  for (int d = 0; d <= t->ndim; d++) {
    if (d == dim) shape[n++] = 1;
    if (d < t->ndim) shape[n++] = t->shape[d];
  }
  return mien_reshape(t, n, shape);
}

mien_tensor *mien_squeeze(mien_tensor *t, int dim) {
  int d0 = mien_normalize_dim(t, dim, "squeeze");
  if (d0 < 0) return NULL;
  if (t->shape[d0] != 1) {
    char a[128];
    mien_set_error("squeeze: dim #%d of shape %s has size %lld, not 1", d0, mien_shape_str(t, a, sizeof a),
                   (long long)t->shape[d0]);
    return NULL;
  }
  int64_t shape[MIEN_MAX_DIMS];
  int n = 0;
  for (int d = 0; d < t->ndim; d++)
    if (d != d0) shape[n++] = t->shape[d];
  return mien_reshape(t, n, shape);
}

/* --- permute / transpose --- */

static int permute_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  int inv[MIEN_MAX_DIMS];
  for (int d = 0; d < n->in_ndim[0]; d++) inv[n->i[d]] = d;
  gin[0] = mien_permute(g, inv);
  return gin[0] ? 0 : -1;
}

mien_tensor *mien_permute(mien_tensor *t, const int *perm) {
  int seen[MIEN_MAX_DIMS] = {0};
  for (int d = 0; d < t->ndim; d++) {
    if (perm[d] < 0 || perm[d] >= t->ndim || seen[perm[d]]++) {
      mien_set_error("permute: the dims are not a permutation of 1..%d", t->ndim);
      return NULL;
    }
  }
  mien_tensor *v = view_of(t);
  if (!v) return NULL;
  for (int d = 0; d < t->ndim; d++) {
    v->shape[d] = t->shape[perm[d]];
    v->stride[d] = t->stride[perm[d]];
  }
  mien_node *n = mien_record("permute", permute_backward, 1, &t, v);
  if (n)
    for (int d = 0; d < t->ndim; d++) n->i[d] = perm[d];
  return v;
}

mien_tensor *mien_transpose(mien_tensor *t, int d0, int d1) {
  if (t->ndim < 2 && d0 == 0 && d1 == 1) return mien_retain(t);
  int a = mien_normalize_dim(t, d0, "transpose"), b;
  if (a < 0 || (b = mien_normalize_dim(t, d1, "transpose")) < 0) return NULL;
  int perm[MIEN_MAX_DIMS];
  for (int d = 0; d < t->ndim; d++) perm[d] = d;
  perm[a] = b;
  perm[b] = a;
  return mien_permute(t, perm);
}

/* --- narrow / select --- */

static int narrow_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *z = mien_zeros(n->in_ndim[0], n->in_shape[0], g->dtype, mien_tensor_device(g));
  if (!z) return -1;
  mien_tensor *region = mien_narrow(z, (int)n->i[0], n->i[1], n->i[2]);
  mien_tensor *src = n->i[3] ? mien_unsqueeze(g, (int)n->i[0]) : mien_retain(g);
  int rc = region && src ? mien_copy_(region, src) : -1;
  mien_release(region);
  mien_release(src);
  if (rc != 0) {
    mien_release(z);
    return -1;
  }
  gin[0] = z;
  return 0;
}

mien_tensor *mien_narrow(mien_tensor *t, int dim, int64_t start, int64_t length) {
  int d = mien_normalize_dim(t, dim, "narrow");
  if (d < 0) return NULL;
  if (start < 0 || length < 0 || start + length > t->shape[d]) {
    char a[128];
    mien_set_error("narrow: elements #%lld..#%lld are out of range for dim #%d of shape %s", (long long)start,
                   (long long)(start + length - 1), d, mien_shape_str(t, a, sizeof a));
    return NULL;
  }
  mien_tensor *v = view_of(t);
  if (!v) return NULL;
  v->offset += start * t->stride[d];
  v->shape[d] = length;
  mien_node *n = mien_record("narrow", narrow_backward, 1, &t, v);
  if (n) {
    n->i[0] = d;
    n->i[1] = start;
    n->i[2] = length;
    n->i[3] = 0;
  }
  return v;
}

mien_tensor *mien_select(mien_tensor *t, int dim, int64_t index) {
  int d = mien_normalize_dim(t, dim, "select");
  if (d < 0) return NULL;
  if (index < 0 || index >= t->shape[d]) {
    char a[128];
    mien_set_error("select: index #%lld is out of range for dim #%d of shape %s", (long long)index, d,
                   mien_shape_str(t, a, sizeof a));
    return NULL;
  }
  mien_tensor *v = view_of(t);
  if (!v) return NULL;
  v->offset += index * t->stride[d];
  for (int k = d; k < t->ndim - 1; k++) {
    v->shape[k] = t->shape[k + 1];
    v->stride[k] = t->stride[k + 1];
  }
  v->ndim = t->ndim - 1;
  mien_node *n = mien_record("select", narrow_backward, 1, &t, v);
  if (n) {
    n->i[0] = d;
    n->i[1] = index;
    n->i[2] = 1;
    n->i[3] = 1;
  }
  return v;
}

/* --- expand --- */

static int expand_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  gin[0] = mien_sum_to(g, n->in_ndim[0], n->in_shape[0]);
  return gin[0] ? 0 : -1;
}

mien_tensor *mien_expand(mien_tensor *t, int ndim, const int64_t *shape) {
  int64_t want[MIEN_MAX_DIMS], stride[MIEN_MAX_DIMS], numel;
  int lead = ndim - t->ndim;
  /* hardening: at most MIEN_MAX_DIMS dims and an element count that fits */
  if (ndim < 0 || ndim > MIEN_MAX_DIMS) {
    mien_set_error("expand: at most %d dims, got %d", MIEN_MAX_DIMS, ndim);
    return NULL;
  }
  for (int d = 0; d < ndim; d++) want[d] = (shape[d] == -1 && d >= lead) ? t->shape[d - lead] : shape[d];
  if (lead >= 0 && mien_checked_numel(ndim, want, "expand", &numel) != 0) return NULL;
  if (lead < 0 || mien_broadcast_strides(t, ndim, want, stride) != 0) {
    char a[128];
    mien_set_error("expand: a tensor of shape %s cannot be expanded to %d dims with these sizes",
                   mien_shape_str(t, a, sizeof a), ndim);
    return NULL;
  }
  mien_tensor *v = view_of(t);
  if (!v) return NULL;
  v->ndim = ndim;
  memcpy(v->shape, want, sizeof(int64_t) * ndim);
  memcpy(v->stride, stride, sizeof(int64_t) * ndim);
  mien_record("expand", expand_backward, 1, &t, v);
  return v;
}
