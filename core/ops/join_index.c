/* The op layer of cat, stack, index_select and gather, and their gradients;
 * the kernels are the backend's cat, index_select, index_add, gather and
 * scatter_add entries. */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
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
      mien_set_error("cat: tensor #%d (%s %s) does not match tensor #0 (%s %s) outside dim #%d", k,
                     mien_dtype_name(t->dtype), mien_shape_str(t, a, sizeof a), mien_dtype_name(ts[0]->dtype),
                     mien_shape_str(ts[0], b, sizeof b), d);
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
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(ts[0]), cat, "cat");
  mien_strided *ins = be ? malloc(sizeof *ins * (size_t)n) : NULL;
  mien_tensor *out = ins ? mien_empty(ts[0]->ndim, shape, ts[0]->dtype, mien_tensor_device(ts[0])) : NULL;
  if (be && !ins) mien_set_error("cat: out of memory");
  if (out) {
    for (int k = 0; k < n; k++) ins[k] = mien_strided_of(ts[k]);
    mien_strided so = mien_strided_of(out);
    if (be->cat(&so, n, ins, d) != 0) {
      mien_release(out);
      out = NULL;
    }
  }
  free(ins);
  if (!out) return NULL;
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
      mien_set_error("stack: tensor #%d has shape %s, tensor #0 has %s", k, mien_shape_str(ts[k], a, sizeof a),
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

/* index as a contiguous int64 host tensor with every entry in [0, size). */
static mien_tensor *checked_index(const mien_tensor *index, int64_t size, const char *op) {
  if (index->dtype != MIEN_INT64) {
    mien_set_error("%s: indices must be int64, got %s", op, mien_dtype_name(index->dtype));
    return NULL;
  }
  bool was = mien_set_grad_enabled(false);
  mien_tensor *h = mien_to_device((mien_tensor *)index, MIEN_HOST);
  mien_tensor *c = h ? mien_contiguous(h) : NULL;
  mien_set_grad_enabled(was);
  mien_release(h);
  if (!c) return NULL;
  const int64_t *p = mien_data_ptr(c);
  const int64_t n = mien_numel(c);
  for (int64_t i = 0; i < n; i++)
    if (p[i] < 0 || p[i] >= size) {
      mien_set_error("%s: index #%lld is out of range #0..#%lld", op, (long long)p[i], (long long)size - 1);
      mien_release(c);
      return NULL;
    }
  return c;
}

/* index (contiguous int64) on the device of `like` (a new reference). */
static mien_tensor *index_on(const mien_tensor *index, const mien_tensor *like) {
  bool was = mien_set_grad_enabled(false);
  mien_tensor *d = mien_to_device((mien_tensor *)index, mien_tensor_device(like));
  mien_tensor *c = d ? mien_contiguous(d) : NULL;
  mien_set_grad_enabled(was);
  mien_release(d);
  return c;
}

static int index_select_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  const mien_device dev = mien_tensor_device(g);
  const mien_backend *be = MIEN_BACKEND_NEED(dev, index_add, "index_select backward");
  mien_tensor *z = be ? mien_zeros(n->in_ndim[0], n->in_shape[0], g->dtype, dev) : NULL;
  if (!z) return -1;
  mien_tensor *idx = n->saved[0];
  mien_strided so = mien_strided_of(z), sg = mien_strided_of(g);
  if (be->index_add(&so, (int)n->i[0], mien_data_ptr(idx), mien_numel(idx), &sg) != 0) {
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
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), index_select, "index_select");
  mien_tensor *checked = be ? checked_index(index, t->shape[d], "index_select") : NULL;
  mien_tensor *idx = checked ? index_on(index, t) : NULL;
  mien_release(checked);
  if (!idx) return NULL;
  int64_t shape[MIEN_MAX_DIMS];
  memcpy(shape, t->shape, sizeof shape);
  shape[d] = idx->shape[0];
  mien_tensor *out = mien_empty(t->ndim, shape, t->dtype, mien_tensor_device(t));
  if (out) {
    mien_strided so = mien_strided_of(out), st = mien_strided_of(t);
    if (be->index_select(&so, &st, d, mien_data_ptr(idx), shape[d]) != 0) {
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

static int gather_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  const mien_device dev = mien_tensor_device(g);
  const mien_backend *be = MIEN_BACKEND_NEED(dev, scatter_add, "gather backward");
  mien_tensor *z = be ? mien_zeros(n->in_ndim[0], n->in_shape[0], g->dtype, dev) : NULL;
  if (!z) return -1;
  mien_strided so = mien_strided_of(z), si = mien_strided_of(n->saved[0]), sg = mien_strided_of(g);
  if (be->scatter_add(&so, (int)n->i[0], &si, &sg) != 0) {
    mien_release(z);
    return -1;
  }
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
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), gather, "gather");
  mien_tensor *checked = be ? checked_index(index, t->shape[d], "gather") : NULL;
  mien_tensor *idx = checked ? index_on(index, t) : NULL;
  mien_release(checked);
  if (!idx) return NULL;
  mien_tensor *out = mien_empty(idx->ndim, idx->shape, t->dtype, mien_tensor_device(t));
  if (out) {
    mien_strided so = mien_strided_of(out), st = mien_strided_of(t), si = mien_strided_of(idx);
    if (be->gather(&so, &st, d, &si) != 0) {
      mien_release(out);
      out = NULL;
    }
  }
  if (out) {
    mien_node *n = mien_record("gather", gather_backward, 1, &t, out);
    if (n) {
      n->i[0] = d;
      mien_node_save(n, 0, idx);
    }
  }
  mien_release(idx);
  return out;
}
