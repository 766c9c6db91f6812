/* cat, stack, index_select, gather, and their gradients. */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "dtype_dispatch.h"
#include "error.h"
#include "tensor.h"

/* --- cat / stack --- */

typedef struct cat_ctx {
  int dim, n;
  int64_t sizes[];
} cat_ctx;

static int cat_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  cat_ctx *c = n->ctx;
  int64_t start = 0;
  for (int k = 0; k < c->n; k++) {
    if (k < MIEN_NODE_MAX_INPUTS && mien_node_needs_grad(n, k)) {
      gin[k] = mien_narrow(g, c->dim, start, c->sizes[k]);
      if (!gin[k]) return -1;
    }
    start += c->sizes[k];
  }
  return 0;
}

mien_tensor *mien_cat(int n, mien_tensor *const *ts, int dim) {
  if (n <= 0) {
    mien_set_error("cat: needs at least one tensor");
    return NULL;
  }
  int d = mien_normalize_dim(ts[0], dim, "cat");
  if (d < 0) return NULL;
  int64_t shape[MIEN_MAX_DIMS];
  memcpy(shape, ts[0]->shape, sizeof shape);
  shape[d] = 0;
  bool any_grad = false;
  for (int k = 0; k < n; k++) {
    const mien_tensor *t = ts[k];
    bool ok = t->ndim == ts[0]->ndim && t->dtype == ts[0]->dtype && mien_tensor_device(t) == mien_tensor_device(ts[0]);
    for (int j = 0; ok && j < t->ndim; j++)
      if (j != d && t->shape[j] != ts[0]->shape[j]) ok = false;
    if (!ok) {
      char a[128], b[128];
      mien_set_error("cat: tensor %d (%s %s) does not match tensor 1 (%s %s) outside dim %d", k + 1,
                     mien_dtype_name(t->dtype), mien_shape_str(t, a, sizeof a), mien_dtype_name(ts[0]->dtype),
                     mien_shape_str(ts[0], b, sizeof b), d + 1);
      return NULL;
    }
    shape[d] += t->shape[d];
    any_grad |= t->requires_grad;
  }
  if (any_grad && n > MIEN_NODE_MAX_INPUTS && mien_grad_enabled()) {
    /* the node holds at most MIEN_NODE_MAX_INPUTS edges: join in groups */
    int half = n / 2;
    mien_tensor *left = mien_cat(half, ts, d), *right = mien_cat(n - half, ts + half, d);
    mien_tensor *parts[2] = {left, right};
    mien_tensor *out = left && right ? mien_cat(2, parts, d) : NULL;
    mien_release(left);
    mien_release(right);
    return out;
  }
  mien_tensor *out = mien_empty(ts[0]->ndim, shape, ts[0]->dtype, mien_tensor_device(ts[0]));
  if (!out) return NULL;
  int64_t start = 0;
  for (int k = 0; k < n; k++) {
    mien_tensor *region = mien_narrow(out, d, start, ts[k]->shape[d]);
    int rc = region ? mien_copy_(region, ts[k]) : -1;
    mien_release(region);
    if (rc != 0) {
      mien_release(out);
      return NULL;
    }
    start += ts[k]->shape[d];
  }
  mien_node *node = mien_record("cat", cat_backward, n, ts, out);
  if (node) {
    cat_ctx *c = malloc(sizeof *c + sizeof(int64_t) * (size_t)n);
    if (!c) {
      mien_release(out);
      mien_set_error("cat: out of memory");
      return NULL;
    }
    c->dim = d;
    c->n = n;
    for (int k = 0; k < n; k++) c->sizes[k] = ts[k]->shape[d];
    node->ctx = c;
    node->free_ctx = free;
  }
  return out;
}

mien_tensor *mien_stack(int n, mien_tensor *const *ts, int dim) {
  if (n <= 0) {
    mien_set_error("stack: needs at least one tensor");
    return NULL;
  }
  mien_tensor **u = calloc((size_t)n, sizeof *u);
  if (!u) return NULL;
  for (int k = 0; k < n; k++) {
    if (!mien_same_shape(ts[k], ts[0])) {
      char a[128], b[128];
      mien_set_error("stack: tensor %d has shape %s, tensor 1 has %s", k + 1, mien_shape_str(ts[k], a, sizeof a),
                     mien_shape_str(ts[0], b, sizeof b));
      goto fail;
    }
    if (!(u[k] = mien_unsqueeze(ts[k], dim))) goto fail;
  }
  mien_tensor *out = mien_cat(n, u, dim < 0 ? dim : dim);
  for (int k = 0; k < n; k++) mien_release(u[k]);
  free(u);
  return out;
fail:
  for (int k = 0; k < n; k++) mien_release(u[k]);
  free(u);
  return NULL;
}

/* --- index_select / gather --- */

static int check_index(const mien_tensor *index, int64_t size, const char *op) {
  if (index->dtype != MIEN_INT64) {
    mien_set_error("%s: indices must be int64, got %s", op, mien_dtype_name(index->dtype));
    return -1;
  }
  mien_tensor *c = mien_contiguous((mien_tensor *)index);
  const int64_t *p = c->storage->data;
  p += c->offset;
  int64_t n = mien_numel(c);
  for (int64_t i = 0; i < n; i++)
    if (p[i] < 0 || p[i] >= size) {
      mien_set_error("%s: index %lld is out of range 1..%lld", op, (long long)p[i] + 1, (long long)size);
      mien_release(c);
      return -1;
    }
  mien_release(c);
  return 0;
}

/* dst[..., index[i], ...] += src[..., i, ...] along dim (the adjoint of index_select). */
static int index_add(mien_tensor *dst, int dim, const mien_tensor *index, const mien_tensor *src) {
  int64_t n = index->shape[0];
  const int64_t *idx = mien_data_ptr(index);
  for (int64_t i = 0; i < n; i++) {
    mien_tensor *to = mien_select(dst, dim, idx[i]), *from = mien_select((mien_tensor *)src, dim, i);
    int rc = to && from ? mien_add_(to, from, 1.0) : -1;
    mien_release(to);
    mien_release(from);
    if (rc != 0) return -1;
  }
  return 0;
}

static int index_select_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *z = mien_zeros(n->in_ndim[0], n->in_shape[0], g->dtype, mien_tensor_device(g));
  if (!z || index_add(z, (int)n->i[0], n->saved[0], g) != 0) {
    mien_release(z);
    return -1;
  }
  gin[0] = z;
  return 0;
}

mien_tensor *mien_index_select(mien_tensor *t, int dim, const mien_tensor *index) {
  int d = mien_normalize_dim(t, dim, "index_select");
  if (d < 0) return NULL;
  if (index->ndim != 1) {
    mien_set_error("index_select: indices must be 1-d, got %d dims", index->ndim);
    return NULL;
  }
  if (check_index(index, t->shape[d], "index_select") != 0) return NULL;
  mien_tensor *idx = mien_contiguous((mien_tensor *)index);
  int64_t shape[MIEN_MAX_DIMS];
  memcpy(shape, t->shape, sizeof shape);
  shape[d] = idx->shape[0];
  mien_tensor *out = mien_empty(t->ndim, shape, t->dtype, mien_tensor_device(t));
  const int64_t *p = mien_data_ptr(idx);
  for (int64_t i = 0; out && i < shape[d]; i++) {
    mien_tensor *to = mien_select(out, d, i), *from = mien_select(t, d, p[i]);
    bool was = mien_set_grad_enabled(false);
    int rc = to && from ? mien_copy_(to, from) : -1;
    mien_set_grad_enabled(was);
    mien_release(to);
    mien_release(from);
    if (rc != 0) {
      mien_release(out);
      out = NULL;
    }
  }
  if (out) {
    mien_node *n = mien_record("index_select", index_select_backward, 1, &t, out);
    if (n) {
      n->i[0] = d;
      mien_node_save(n, 0, idx);
    }
  }
  mien_release(idx);
  return out;
}

/* out[i][j][k] = t[index[i][j][k]][j][k] for dim 0, and so on. */
static int gather_scatter(mien_tensor *t, int d, const mien_tensor *index, mien_tensor *out, bool scatter_add) {
  int64_t n = mien_numel(index);
  const int64_t *ip = mien_data_ptr(index);
  MIEN_DISPATCH(t->dtype, T, {
    T *tp = mien_data_ptr(t), *op = mien_data_ptr(out);
    for (int64_t e = 0; e < n; e++) {
      int64_t rem = e, toff = 0, ooff = 0, j = ip[e];
      for (int k = index->ndim - 1; k >= 0; k--) {
        int64_t i = rem % index->shape[k];
        rem /= index->shape[k];
        toff += (k == d ? j : i) * t->stride[k];
        ooff += i * out->stride[k];
      }
      if (scatter_add) tp[toff] += op[ooff];
      else op[ooff] = tp[toff];
    }
  });
  return 0;
}

static int gather_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *z = mien_zeros(n->in_ndim[0], n->in_shape[0], g->dtype, mien_tensor_device(g));
  mien_tensor *gc = mien_contiguous(g);
  if (!z || !gc) {
    mien_release(z);
    mien_release(gc);
    return -1;
  }
  gather_scatter(z, (int)n->i[0], n->saved[0], gc, true);
  mien_release(gc);
  gin[0] = z;
  return 0;
}

mien_tensor *mien_gather(mien_tensor *t, int dim, const mien_tensor *index) {
  int d = mien_normalize_dim(t, dim, "gather");
  if (d < 0) return NULL;
  bool ok = index->ndim == t->ndim;
  for (int k = 0; ok && k < t->ndim; k++)
    if (k != d && index->shape[k] > t->shape[k]) ok = false;
  if (!ok) {
    char a[128], b[128];
    mien_set_error("gather: index shape %s does not fit input shape %s", mien_shape_str(index, a, sizeof a),
                   mien_shape_str(t, b, sizeof b));
    return NULL;
  }
  if (check_index(index, t->shape[d], "gather") != 0) return NULL;
  mien_tensor *idx = mien_contiguous((mien_tensor *)index);
  mien_tensor *out = mien_empty(idx->ndim, idx->shape, t->dtype, mien_tensor_device(t));
  if (out) {
    gather_scatter(t, d, idx, out, false);
    mien_node *n = mien_record("gather", gather_backward, 1, &t, out);
    if (n) {
      n->i[0] = d;
      mien_node_save(n, 0, idx);
    }
  }
  mien_release(idx);
  return out;
}
