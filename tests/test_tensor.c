/* The tensor core in C: storage refcounts, views and strides, broadcasting,
 * contiguous, copies between dtypes, the iterator's dim coalescing, errors
 * through mien_last_error, and no leaks (live tensors and bytes back to 0). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "cpu/iter.h"
#include "storage.h"
#include "tensor.h"

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static bool shape_is(const mien_tensor *t, int ndim, const int64_t *shape) {
  if (t->ndim != ndim) return false;
  for (int d = 0; d < ndim; d++)
    if (t->shape[d] != shape[d]) return false;
  return true;
}

static bool stride_is(const mien_tensor *t, const int64_t *stride) {
  for (int d = 0; d < t->ndim; d++)
    if (t->stride[d] != stride[d]) return false;
  return true;
}

/* 0, 1, 2, ... in a new float32 tensor */
static mien_tensor *iota(int ndim, const int64_t *shape) {
  mien_tensor *t = mien_zeros(ndim, shape, MIEN_FLOAT32, MIEN_HOST);
  float *p = mien_data_ptr(t);
  for (int64_t i = 0; i < mien_numel(t); i++) p[i] = (float)i;
  return t;
}

static double at(const mien_tensor *t, int64_t i0, int64_t i1, int64_t i2) {
  int64_t idx[3] = {i0, i1, i2};
  return mien_get(t, idx);
}

static void test_storage_refcounts(void) {
  size_t bytes0 = mien_storage_bytes_in_use(MIEN_HOST);
  mien_tensor *t = mien_zeros(2, SHAPE(3, 4), MIEN_FLOAT64, MIEN_HOST);
  EXPECT(t->refcount == 1 && t->storage->refcount == 1, "fresh tensor refcounts %d/%d", t->refcount,
         t->storage->refcount);
  EXPECT(mien_storage_bytes_in_use(MIEN_HOST) == bytes0 + 96, "bytes in use %zu", mien_storage_bytes_in_use(MIEN_HOST));
  mien_tensor *v = mien_transpose(t, 0, 1);
  EXPECT(v->storage == t->storage && t->storage->refcount == 2, "a view shares and retains the storage");
  mien_tensor *r = mien_retain(t);
  EXPECT(r == t && t->refcount == 2 && t->storage->refcount == 2, "retain counts the tensor, not the storage");
  mien_release(r);
  mien_tensor *c = mien_clone(t);
  EXPECT(c->storage != t->storage && t->storage->refcount == 2, "clone has its own storage");
  mien_release(t); /* the view keeps the storage */
  EXPECT(v->storage->refcount == 1, "storage refcount after the base is released: %d", v->storage->refcount);
  EXPECT(mien_storage_bytes_in_use(MIEN_HOST) == bytes0 + 192, "bytes with view + clone %zu",
         mien_storage_bytes_in_use(MIEN_HOST));
  mien_release(v);
  mien_release(c);
  EXPECT(mien_storage_bytes_in_use(MIEN_HOST) == bytes0, "bytes back to %zu, got %zu", bytes0,
         mien_storage_bytes_in_use(MIEN_HOST));
  mien_release(NULL); /* harmless */
}

static void test_creation(void) {
  mien_tensor *f = mien_full(2, SHAPE(2, 3), 2.5, MIEN_FLOAT32, MIEN_HOST);
  EXPECT(shape_is(f, 2, SHAPE(2, 3)) && stride_is(f, SHAPE(3, 1)) && mien_is_contiguous(f), "full shape/stride");
  EXPECT(at(f, 1, 2, 0) == 2.5, "full value");
  mien_tensor *s = mien_scalar(7, MIEN_INT64, MIEN_HOST);
  double v = 0;
  EXPECT(s->ndim == 0 && mien_numel(s) == 1 && mien_item(s, &v) == 0 && v == 7, "scalar");
  mien_tensor *a = mien_arange(1, 2, 0.25, MIEN_FLOAT64, MIEN_HOST);
  EXPECT(shape_is(a, 1, SHAPE(4)) && at(a, 3, 0, 0) == 1.75, "arange");
  mien_tensor *e = mien_zeros(2, SHAPE(0, 5), MIEN_FLOAT32, MIEN_HOST);
  EXPECT(e && mien_numel(e) == 0, "empty tensor");
  mien_tensor *z = mien_zeros_like(f);
  EXPECT(z->dtype == MIEN_FLOAT32 && shape_is(z, 2, SHAPE(2, 3)) && at(z, 1, 1, 0) == 0, "zeros_like");
  mien_release(f);
  mien_release(s);
  mien_release(a);
  mien_release(e);
  mien_release(z);
}

static void test_views(void) {
  mien_tensor *t = iota(3, SHAPE(2, 3, 4));
  EXPECT(stride_is(t, SHAPE(12, 4, 1)), "contiguous strides");

  mien_tensor *p = mien_permute(t, (const int[]){2, 0, 1});
  EXPECT(shape_is(p, 3, SHAPE(4, 2, 3)) && stride_is(p, SHAPE(1, 12, 4)), "permute shape/strides");
  EXPECT(!mien_is_contiguous(p), "a permuted tensor is not contiguous");
  EXPECT(at(p, 3, 1, 2) == at(t, 1, 2, 3), "permute element");

  mien_tensor *tr = mien_transpose(t, -1, 0);
  EXPECT(shape_is(tr, 3, SHAPE(4, 3, 2)) && stride_is(tr, SHAPE(1, 4, 12)), "transpose with a negative dim");

  mien_tensor *n = mien_narrow(t, 2, 1, 2);
  EXPECT(shape_is(n, 3, SHAPE(2, 3, 2)) && n->offset == 1 && stride_is(n, SHAPE(12, 4, 1)), "narrow offset %lld",
         (long long)n->offset);
  EXPECT(at(n, 1, 2, 1) == 22, "narrow element %g", at(n, 1, 2, 1));

  mien_tensor *s = mien_select(t, 1, 2);
  EXPECT(shape_is(s, 2, SHAPE(2, 4)) && s->offset == 8 && stride_is(s, SHAPE(12, 1)), "select");
  int64_t i2[2] = {1, 3};
  EXPECT(mien_get(s, i2) == 23, "select element");
  mien_set(s, i2, -1);
  EXPECT(at(t, 1, 2, 3) == -1, "a view writes through to its base");

  mien_tensor *col = mien_narrow(t, 0, 1, 1);
  mien_tensor *e = mien_expand(col, 4, SHAPE(5, 1, 3, 4));
  EXPECT(e && shape_is(e, 4, SHAPE(5, 1, 3, 4)) && stride_is(e, SHAPE(0, 0, 4, 1)) && e->offset == 12,
         "expand adds stride-0 dims");

  mien_tensor *u = mien_unsqueeze(t, -1);
  EXPECT(shape_is(u, 4, SHAPE(2, 3, 4, 1)) && u->storage == t->storage, "unsqueeze(-1)");
  mien_tensor *sq = mien_squeeze(u, 3);
  EXPECT(shape_is(sq, 3, SHAPE(2, 3, 4)), "squeeze");
  mien_tensor *f = mien_flatten(t, 1, 2);
  EXPECT(shape_is(f, 2, SHAPE(2, 12)) && f->storage == t->storage, "flatten is a view of a contiguous tensor");

  /* view of a narrowed tensor: the merged dims keep the outer stride */
  mien_tensor *v = mien_view(n, 2, SHAPE(6, 2));
  EXPECT(v && stride_is(v, SHAPE(4, 1)) && v->offset == 1, "view of a narrowed tensor");
  /* reshape that needs a copy */
  mien_tensor *rc = mien_reshape(p, 1, SHAPE(-1));
  EXPECT(rc && rc->storage != t->storage && mien_is_contiguous(rc), "reshape of a permuted tensor copies");
  int64_t k = 1;
  EXPECT(rc && mien_get(rc, &k) == at(t, 0, 1, 0), "reshape copy order"); /* p[0][0][1] = t[0][1][0] */
  mien_tensor *bad = mien_view(p, 1, SHAPE(24));
  EXPECT(!bad && strstr(mien_last_error(), "view"), "view of a permuted tensor fails: %s", mien_last_error());

  mien_release(t);
  mien_release(p);
  mien_release(tr);
  mien_release(n);
  mien_release(s);
  mien_release(col);
  mien_release(e);
  mien_release(u);
  mien_release(sq);
  mien_release(f);
  mien_release(v);
  mien_release(rc);
}

static void test_broadcasting(void) {
  mien_tensor *a = mien_zeros(3, SHAPE(4, 1, 3), MIEN_FLOAT32, MIEN_HOST);
  mien_tensor *b = mien_zeros(2, SHAPE(2, 1), MIEN_FLOAT32, MIEN_HOST);
  int ndim = 0;
  int64_t shape[MIEN_MAX_DIMS];
  EXPECT(mien_broadcast_shape(a, b, "test", &ndim, shape) == 0 && ndim == 3 && shape[0] == 4 && shape[1] == 2 &&
             shape[2] == 3,
         "broadcast shape [4,1,3] with [2,1]");
  int64_t st[MIEN_MAX_DIMS];
  EXPECT(mien_broadcast_strides(a, 3, shape, st) == 0 && st[0] == 3 && st[1] == 0 && st[2] == 1,
         "strides of [4,1,3] in [4,2,3]: %lld %lld %lld", (long long)st[0], (long long)st[1], (long long)st[2]);
  EXPECT(mien_broadcast_strides(b, 3, shape, st) == 0 && st[0] == 0 && st[1] == 1 && st[2] == 0,
         "strides of [2,1] in [4,2,3]: %lld %lld %lld", (long long)st[0], (long long)st[1], (long long)st[2]);
  mien_tensor *c = mien_zeros(1, SHAPE(5), MIEN_FLOAT32, MIEN_HOST);
  mien_clear_error();
  EXPECT(mien_broadcast_shape(a, c, "myop", &ndim, shape) == -1, "[4,1,3] and [5] do not broadcast");
  EXPECT(strstr(mien_last_error(), "myop") && strstr(mien_last_error(), "[4,1,3]") && strstr(mien_last_error(), "[5]"),
         "broadcast error names op and shapes: %s", mien_last_error());
  EXPECT(mien_broadcast_strides(a, 2, SHAPE(1, 3), st) == -1, "cannot broadcast to fewer dims");

  /* a binary op on broadcast operands */
  mien_tensor *x = iota(2, SHAPE(3, 1)), *y = iota(1, SHAPE(4));
  mien_tensor *s = mien_binary(MIEN_ADD, x, y);
  EXPECT(s && shape_is(s, 2, SHAPE(3, 4)), "broadcast add shape");
  bool ok = true;
  for (int64_t i = 0; i < 3; i++)
    for (int64_t j = 0; j < 4; j++) ok &= at(s, i, j, 0) == (double)(i + j);
  EXPECT(ok, "broadcast add values");
  mien_release(a);
  mien_release(b);
  mien_release(c);
  mien_release(x);
  mien_release(y);
  mien_release(s);
}

static void test_contiguous(void) {
  mien_tensor *t = iota(2, SHAPE(3, 4));
  mien_tensor *same = mien_contiguous(t);
  EXPECT(same == t && t->refcount == 2, "contiguous of a contiguous tensor is the tensor itself");
  mien_tensor *tr = mien_transpose(t, 0, 1);
  mien_tensor *c = mien_contiguous(tr);
  EXPECT(c != tr && mien_is_contiguous(c) && stride_is(c, SHAPE(3, 1)), "contiguous copy strides");
  bool ok = true;
  for (int64_t i = 0; i < 4; i++)
    for (int64_t j = 0; j < 3; j++) ok &= at(c, i, j, 0) == at(t, j, i, 0);
  EXPECT(ok, "contiguous copy values");
  /* size-1 dims with any stride are still contiguous */
  mien_tensor *row = mien_narrow(t, 0, 1, 1);
  EXPECT(mien_is_contiguous(row), "a one-row slice of a contiguous matrix is contiguous");
  mien_tensor *colv = mien_narrow(t, 1, 1, 1);
  EXPECT(!mien_is_contiguous(colv), "a column slice is not contiguous");
  mien_release(t);
  mien_release(same);
  mien_release(tr);
  mien_release(c);
  mien_release(row);
  mien_release(colv);
}

static void test_copy_dtypes(void) {
  const double vals[4] = {0, 1, 7, 200};
  for (int from = 0; from < MIEN_NUM_DTYPES; from++) {
    for (int to = 0; to < MIEN_NUM_DTYPES; to++) {
      mien_tensor *src = mien_zeros(2, SHAPE(2, 2), (mien_dtype)from, MIEN_HOST);
      for (int64_t i = 0; i < 4; i++) {
        int64_t idx[2] = {i / 2, i % 2};
        mien_set(src, idx, vals[i]);
      }
      mien_tensor *srct = mien_transpose(src, 0, 1); /* a strided source */
      mien_tensor *dst = mien_zeros(2, SHAPE(2, 2), (mien_dtype)to, MIEN_HOST);
      EXPECT(mien_copy_(dst, srct) == 0, "copy %s -> %s", mien_dtype_name(from), mien_dtype_name(to));
      bool ok = true;
      for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 2; j++) ok &= at(dst, i, j, 0) == vals[j * 2 + i];
      EXPECT(ok, "copy values %s -> %s", mien_dtype_name(from), mien_dtype_name(to));
      mien_tensor *conv = mien_to_dtype(src, (mien_dtype)to);
      EXPECT(conv->dtype == (mien_dtype)to && at(conv, 1, 1, 0) == 200, "to_dtype %s -> %s", mien_dtype_name(from),
             mien_dtype_name(to));
      EXPECT((from == to) == (conv == src), "to_dtype returns the tensor itself only for the same dtype");
      mien_release(src);
      mien_release(srct);
      mien_release(dst);
      mien_release(conv);
    }
  }
  /* float -> int truncates toward zero; broadcast copy */
  mien_tensor *f = mien_arange(-1.5, 2, 1, MIEN_FLOAT64, MIEN_HOST); /* -1.5 -0.5 0.5 1.5 */
  mien_tensor *i = mien_zeros(2, SHAPE(2, 4), MIEN_INT64, MIEN_HOST);
  EXPECT(mien_copy_(i, f) == 0, "broadcast copy");
  EXPECT(at(i, 1, 0, 0) == -1 && at(i, 1, 1, 0) == 0 && at(i, 0, 3, 0) == 1, "float to int64 truncation");
  mien_tensor *bad = mien_zeros(1, SHAPE(3), MIEN_INT64, MIEN_HOST);
  EXPECT(mien_copy_(bad, f) == -1 && strstr(mien_last_error(), "copy") && strstr(mien_last_error(), "[4]"),
         "copy error: %s", mien_last_error());
  EXPECT(mien_fill_(i, 3) == 0 && at(i, 1, 3, 0) == 3, "fill_");
  mien_release(f);
  mien_release(i);
  mien_release(bad);
}

static void test_iter_coalescing(void) {
  mien_iter it;
  /* one contiguous operand: everything merges into one inner dim */
  {
    const int64_t st[3] = {12, 4, 1};
    const int64_t *s[1] = {st};
    mien_iter_init(&it, 3, SHAPE(2, 3, 4), 1, s);
    EXPECT(it.ndim == 1 && it.inner == 24 && it.rows == 1 && it.numel == 24, "contiguous coalesces to 1 dim (%d, %lld)",
           it.ndim, (long long)it.inner);
  }
  /* contiguous output with a transposed input: nothing merges */
  {
    const int64_t so[2] = {3, 1}, si[2] = {1, 4};
    const int64_t *s[2] = {so, si};
    mien_iter_init(&it, 2, SHAPE(4, 3), 2, s);
    EXPECT(it.ndim == 2 && it.inner == 3 && it.rows == 4 && it.strides[1][1] == 4 && it.strides[1][0] == 1,
           "transposed operand keeps 2 dims");
  }
  /* size-1 dims are dropped */
  {
    const int64_t st[4] = {3, 3, 1, 1};
    const int64_t *s[1] = {st};
    mien_iter_init(&it, 4, SHAPE(2, 1, 3, 1), 1, s);
    EXPECT(it.ndim == 1 && it.inner == 6, "size-1 dims dropped, rest merged (%d dims)", it.ndim);
  }
  /* a broadcast operand merges only where its zero strides line up */
  {
    const int64_t so[3] = {12, 4, 1}, sb[3] = {0, 0, 1};
    const int64_t *s[2] = {so, sb};
    mien_iter_init(&it, 3, SHAPE(2, 3, 4), 2, s);
    EXPECT(it.ndim == 2 && it.inner == 4 && it.rows == 6 && it.strides[1][0] == 0 && it.strides[0][0] == 4,
           "broadcast row: outer dims merge with stride 0 (%d dims, inner %lld)", it.ndim, (long long)it.inner);
    int64_t off[MIEN_ITER_MAX_OPS];
    mien_iter_row_offsets(&it, 5, off);
    EXPECT(off[0] == 20 && off[1] == 0, "row offsets %lld %lld", (long long)off[0], (long long)off[1]);
  }
  /* a column broadcast breaks merging at the inner dim */
  {
    const int64_t so[2] = {5, 1}, sb[2] = {1, 0};
    const int64_t *s[2] = {so, sb};
    mien_iter_init(&it, 2, SHAPE(3, 5), 2, s);
    EXPECT(it.ndim == 2 && it.inner == 5 && it.strides[1][1] == 0 && it.strides[1][0] == 1, "column broadcast");
    int64_t off[MIEN_ITER_MAX_OPS];
    mien_iter_row_offsets(&it, 2, off);
    EXPECT(off[0] == 10 && off[1] == 2, "column broadcast row offsets %lld %lld", (long long)off[0], (long long)off[1]);
  }
  /* long inner dims are cut into chunks */
  {
    const int64_t st[2] = {40000, 1};
    const int64_t *s[1] = {st};
    mien_iter_init(&it, 2, SHAPE(3, 40000), 1, s);
    EXPECT(it.ndim == 1 && it.inner == 120000 && it.rows == 1 &&
               it.chunks == (120000 + MIEN_ITER_CHUNK - 1) / MIEN_ITER_CHUNK,
           "chunks %lld", (long long)it.chunks);
  }
  /* 0-d and empty */
  {
    const int64_t *s[1] = {NULL};
    mien_iter_init(&it, 0, NULL, 1, s);
    EXPECT(it.ndim == 1 && it.inner == 1 && it.rows == 1 && it.numel == 1, "0-d iterates once");
    const int64_t st[2] = {3, 1};
    const int64_t *s2[1] = {st};
    mien_iter_init(&it, 2, SHAPE(0, 3), 1, s2);
    EXPECT(it.numel == 0 && it.rows * it.chunks * (it.inner > 0) == 0, "empty iterates never");
  }
  /* and the kernels agree with element-wise reads over a big strided case */
  {
    mien_tensor *a = iota(2, SHAPE(300, 200));
    mien_tensor *at_ = mien_transpose(a, 0, 1);
    mien_tensor *c = mien_contiguous(at_);
    mien_tensor *col = mien_narrow(a, 1, 7, 1);
    mien_tensor *colt = mien_transpose(col, 0, 1);
    mien_tensor *sum = mien_binary(MIEN_ADD, at_, colt); /* [200,300] + [1,300] */
    bool ok = true;
    for (int64_t i = 0; i < 200 && ok; i += 13)
      for (int64_t j = 0; j < 300 && ok; j += 7) {
        ok &= at(c, i, j, 0) == at(a, j, i, 0);
        ok &= at(sum, i, j, 0) == at(a, j, i, 0) + at(a, j, 7, 0);
      }
    EXPECT(ok, "strided kernels agree with element reads");
    mien_release(a);
    mien_release(at_);
    mien_release(c);
    mien_release(col);
    mien_release(colt);
    mien_release(sum);
  }
}

static void test_errors(void) {
  mien_tensor *a = mien_zeros(2, SHAPE(64, 4608), MIEN_FLOAT32, MIEN_HOST);
  mien_tensor *b = mien_zeros(2, SHAPE(256, 4608), MIEN_FLOAT32, MIEN_HOST);
  mien_clear_error();
  EXPECT(mien_matmul(a, b) == NULL, "matmul mismatch fails");
  EXPECT(strcmp(mien_last_error(), "matmul: shapes [64,4608] and [256,4608] do not match") == 0, "matmul error: %s",
         mien_last_error());
  EXPECT(mien_normalize_dim(a, 2, "sum") == -1 && strstr(mien_last_error(), "sum") &&
             strstr(mien_last_error(), "[64,4608]"),
         "dim error: %s", mien_last_error());
  EXPECT(mien_normalize_dim(a, -1, "sum") == 1 && mien_normalize_dim(a, -2, "sum") == 0, "negative dims");
  EXPECT(mien_reshape(a, 2, SHAPE(5, -1)) == NULL && strstr(mien_last_error(), "reshape"), "reshape error: %s",
         mien_last_error());
  EXPECT(mien_narrow(a, 0, 60, 5) == NULL && strstr(mien_last_error(), "narrow"), "narrow error: %s",
         mien_last_error());
  EXPECT(mien_select(a, 1, 4608) == NULL && strstr(mien_last_error(), "select"), "select error: %s",
         mien_last_error());
  mien_tensor *parts[2] = {a, b};
  EXPECT(mien_cat(2, parts, 1) == NULL && strstr(mien_last_error(), "cat"), "cat error: %s", mien_last_error());
  mien_tensor *idx = mien_full(1, SHAPE(1), 64, MIEN_INT64, MIEN_HOST);
  EXPECT(mien_index_select(a, 0, idx) == NULL && strstr(mien_last_error(), "index_select") &&
             strstr(mien_last_error(), "#64") && strstr(mien_last_error(), "#0..#63"),
         "index error (0-based #N positions in the core's message): %s", mien_last_error());
  double v;
  EXPECT(mien_item(a, &v) == -1 && strstr(mien_last_error(), "item"), "item error: %s", mien_last_error());
  EXPECT(mien_zeros(1, SHAPE(-2), MIEN_FLOAT32, MIEN_HOST) == NULL && strstr(mien_last_error(), "-2"),
         "negative size: %s", mien_last_error());
  EXPECT(mien_zeros(9, SHAPE(1, 1, 1, 1, 1, 1, 1, 1, 1), MIEN_FLOAT32, MIEN_HOST) == NULL, "too many dims");
  EXPECT(mien_arange(0, 1, 0, MIEN_FLOAT32, MIEN_HOST) == NULL && strstr(mien_last_error(), "arange"), "arange step 0");
  mien_release(a);
  mien_release(b);
  mien_release(idx);
}

static void test_ops_values(void) {
  /* cat, stack, gather and a reduction over strided input */
  mien_tensor *t = iota(2, SHAPE(2, 3));
  mien_tensor *tt = mien_transpose(t, 0, 1);
  mien_tensor *parts[3] = {tt, tt, tt};
  mien_tensor *c = mien_cat(3, parts, 1); /* [3,6] */
  EXPECT(c && shape_is(c, 2, SHAPE(3, 6)) && at(c, 2, 5, 0) == at(t, 1, 2, 0), "cat of transposed parts");
  mien_tensor *st = mien_stack(3, parts, -1); /* [3,2,3] */
  EXPECT(st && shape_is(st, 3, SHAPE(3, 2, 3)) && at(st, 2, 1, 0) == at(t, 1, 2, 0), "stack at -1");
  mien_tensor *idx = mien_zeros(2, SHAPE(2, 2), MIEN_INT64, MIEN_HOST);
  int64_t i01[2] = {0, 1};
  mien_set(idx, i01, 2);
  mien_tensor *g = mien_gather(t, 1, idx);
  EXPECT(g && at(g, 0, 1, 0) == 2 && at(g, 1, 0, 0) == 3, "gather");
  int dims[1] = {0};
  mien_tensor *s = mien_reduce(MIEN_SUM, tt, 1, dims, true);
  EXPECT(s && shape_is(s, 2, SHAPE(1, 2)) && at(s, 0, 0, 0) == 3 && at(s, 0, 1, 0) == 12, "sum of a transposed tensor");
  mien_tensor *am = mien_argmax(tt, 0, false);
  EXPECT(am && am->dtype == MIEN_INT64 && at(am, 0, 0, 0) == 2, "argmax is 0-based in C");
  mien_release(t);
  mien_release(tt);
  mien_release(c);
  mien_release(st);
  mien_release(idx);
  mien_release(g);
  mien_release(s);
  mien_release(am);
}

int main(void) {
  test_storage_refcounts();
  test_creation();
  test_views();
  test_broadcasting();
  test_contiguous();
  test_copy_dtypes();
  test_iter_coalescing();
  test_errors();
  test_ops_values();
  EXPECT(mien_live_tensors() == 0, "%lld tensors leaked", (long long)mien_live_tensors());
  EXPECT(mien_storage_bytes_in_use(MIEN_HOST) == 0, "%zu bytes leaked", mien_storage_bytes_in_use(MIEN_HOST));
  return check_exit("test_tensor");
}
