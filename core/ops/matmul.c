/* matmul: 1-d, 2-d and batched (broadcast batch dims), through the
 * backend's GEMM entry. */
#include <stdlib.h>
#include <string.h>

#include "autocast.h"
#include "autograd.h"
#include "error.h"
#include "tensor.h"

/* A 2-d matrix as GEMM wants it: row-major with leading dim, or transposed. */
static bool as_gemm_operand(const mien_tensor *m, int *trans, int64_t *ld) {
  int64_t r = m->shape[m->ndim - 2], c = m->shape[m->ndim - 1];
  int64_t sr = m->stride[m->ndim - 2], sc = m->stride[m->ndim - 1];
  if ((sc == 1 || c == 1) && sr >= (c > 1 ? c : 1)) {
    *trans = 0;
    *ld = sr > 0 ? sr : 1;
    if (r == 1) *ld = c > 0 ? c : 1;
    return true;
  }
  if ((sr == 1 || r == 1) && sc >= (r > 1 ? r : 1)) {
    *trans = 1;
    *ld = sc > 0 ? sc : 1;
    if (c == 1) *ld = r > 0 ? r : 1;
    return true;
  }
  return false;
}

static int matmul_backward_products(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  mien_tensor *a = n->saved[0], *b = n->saved[1];
  if (mien_node_needs_grad(n, 0)) {
    mien_tensor *bt = mien_transpose(b, -1, -2);
    mien_tensor *r = bt ? mien_matmul(g, bt) : NULL;
    gin[0] = r ? mien_sum_to(r, a->ndim, a->shape) : NULL;
    mien_release(bt);
    mien_release(r);
    if (!gin[0]) return -1;
  }
  if (mien_node_needs_grad(n, 1)) {
    mien_tensor *at = mien_transpose(a, -1, -2);
    mien_tensor *r = at ? mien_matmul(at, g) : NULL;
    gin[1] = r ? mien_sum_to(r, b->ndim, b->shape) : NULL;
    mien_release(at);
    mien_release(r);
    if (!gin[1]) return -1;
  }
  return 0;
}

/* The gradients' products run in the forward's precision (n->i[0]). */
static int matmul_backward(mien_node *n, mien_tensor *g, mien_tensor **gin) {
  const mien_precision outer = mien_autocast_set(n->i[0] ? MIEN_PRECISION_BF16 : MIEN_PRECISION_FLOAT32);
  const int rc = matmul_backward_products(n, g, gin);
  mien_autocast_set(outer);
  return rc;
}

static mien_tensor *matmul_nd(mien_tensor *a, mien_tensor *b) {
  char sa[128], sb[128];
  int64_t M = a->shape[a->ndim - 2], K = a->shape[a->ndim - 1], N = b->shape[b->ndim - 1];
  if (b->shape[b->ndim - 2] != K) {
    mien_set_error("matmul: shapes %s and %s do not match", mien_shape_str(a, sa, sizeof sa), mien_shape_str(b, sb, sizeof sb));
    return NULL;
  }
  /* broadcast batch dims */
  int bn = (a->ndim > b->ndim ? a->ndim : b->ndim) - 2;
  int64_t batch[MIEN_MAX_DIMS], nbatch = 1;
  for (int d = 0; d < bn; d++) {
    int da = d - (bn - (a->ndim - 2)), db = d - (bn - (b->ndim - 2));
    int64_t x = da >= 0 ? a->shape[da] : 1, y = db >= 0 ? b->shape[db] : 1;
    if (x != y && x != 1 && y != 1) {
      mien_set_error("matmul: batch dims of %s and %s do not broadcast", mien_shape_str(a, sa, sizeof sa),
                     mien_shape_str(b, sb, sizeof sb));
      return NULL;
    }
    batch[d] = x == 1 ? y : x;
    nbatch *= batch[d];
  }
  int64_t oshape[MIEN_MAX_DIMS];
  memcpy(oshape, batch, sizeof(int64_t) * bn);
  oshape[bn] = M;
  oshape[bn + 1] = N;
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(a), gemm, "matmul");
  /* gemm with beta 0 writes every element of out, K == 0 included (C = 0): no zero-fill first */
  mien_tensor *out = be ? mien_empty(bn + 2, oshape, a->dtype, mien_tensor_device(a)) : NULL;
  if (!out) return NULL;
  int ta = 0, tb = 0;
  int64_t lda = 1, ldb = 1;
  mien_tensor *ca = as_gemm_operand(a, &ta, &lda) ? mien_retain(a) : mien_contiguous(a);
  mien_tensor *cb = as_gemm_operand(b, &tb, &ldb) ? mien_retain(b) : mien_contiguous(b);
  if (!ca || !cb) {
    mien_release(ca);
    mien_release(cb);
    mien_release(out);
    return NULL;
  }
  as_gemm_operand(ca, &ta, &lda);
  as_gemm_operand(cb, &tb, &ldb);
  const bool bf16 = mien_autocast_get() == MIEN_PRECISION_BF16 && a->dtype == MIEN_FLOAT32 && be->gemm_bf16;
  for (int64_t i = 0; i < nbatch; i++) {
    int64_t rem = i, offa = 0, offb = 0;
    for (int d = bn - 1; d >= 0; d--) {
      int64_t idx = rem % batch[d];
      rem /= batch[d];
      int da = d - (bn - (ca->ndim - 2)), db = d - (bn - (cb->ndim - 2));
      if (da >= 0 && ca->shape[da] != 1) offa += idx * ca->stride[da];
      if (db >= 0 && cb->shape[db] != 1) offb += idx * cb->stride[db];
    }
    const size_t es = mien_dtype_size(a->dtype);
    const void *pa = (const char *)mien_data_ptr(ca) + (size_t)offa * es;
    const void *pb = (const char *)mien_data_ptr(cb) + (size_t)offb * es;
    void *pc = (char *)mien_data_ptr(out) + (size_t)(i * M * N) * es;
    if ((bf16 ? be->gemm_bf16(ta, tb, M, N, K, 1.0, pa, lda, pb, ldb, 0.0, pc, N > 0 ? N : 1)
              : be->gemm(a->dtype, ta, tb, M, N, K, 1.0, pa, lda, pb, ldb, 0.0, pc, N > 0 ? N : 1)) != 0) {
      mien_release(ca);
      mien_release(cb);
      mien_release(out);
      return NULL;
    }
  }
  mien_release(ca);
  mien_release(cb);
  mien_tensor *ins[2] = {a, b};
  mien_node *n = mien_record("matmul", matmul_backward, 2, ins, out);
  if (n) {
    mien_node_save(n, 0, a);
    mien_node_save(n, 1, b);
    n->i[0] = bf16;
  }
  return out;
}

mien_tensor *mien_matmul(mien_tensor *a, mien_tensor *b) {
  char sa[128], sb[128];
  if (a->ndim == 0 || b->ndim == 0) {
    mien_set_error("matmul: needs tensors with at least 1 dim, got %s and %s", mien_shape_str(a, sa, sizeof sa),
                   mien_shape_str(b, sb, sizeof sb));
    return NULL;
  }
  if (mien_check_same_device(a, b, "matmul") != 0) return NULL;
  if (!mien_dtype_is_float(a->dtype) || a->dtype != b->dtype) {
    mien_set_error("matmul: needs two float32 or two float64 tensors, got %s and %s", mien_dtype_name(a->dtype),
                   mien_dtype_name(b->dtype));
    return NULL;
  }
  /* 1-d operands: a vector is a row (left) or a column (right), then squeezed */
  mien_tensor *a2 = a->ndim == 1 ? mien_unsqueeze(a, 0) : mien_retain(a);
  mien_tensor *b2 = b->ndim == 1 ? mien_unsqueeze(b, 1) : mien_retain(b);
  mien_tensor *out = a2 && b2 ? matmul_nd(a2, b2) : NULL;
  mien_release(a2);
  mien_release(b2);
  if (out && (a->ndim == 1 || b->ndim == 1)) {
    mien_tensor *s = out;
    if (b->ndim == 1) {
      s = mien_squeeze(out, -1);
      mien_release(out);
      out = s;
    }
    if (out && a->ndim == 1) {
      s = mien_squeeze(out, -2 + (b->ndim == 1 ? 1 : 0));
      mien_release(out);
      out = s;
    }
  }
  if (!out && strncmp(mien_last_error(), "matmul", 6) == 0 && a->ndim <= 2 && b->ndim <= 2)
    mien_set_error("matmul: shapes %s and %s do not match", mien_shape_str(a, sa, sizeof sa), mien_shape_str(b, sb, sizeof sb));
  return out;
}
