/* bfloat16 conversions and the guards of the arithmetic entries (see
 * bf16_storage.h). */
#include "cpu/bf16_storage.h"

#include "bf16.h"
#include "cpu/dtype_dispatch.h"
#include "cpu/iter.h"
#include "cpu/kernels.h"

#define CONVERT_LOOP(TD, TS, EXPR)                                                        \
  MIEN_ITER_FOR(it, off, j0, j1, {                                                        \
    TD *o = (TD *)dst->data + off[0];                                                     \
    const TS *s = (const TS *)src->data + off[1];                                         \
    const int64_t so = it.strides[0][it.ndim - 1], ss = it.strides[1][it.ndim - 1];       \
    if (so == 1 && ss == 1)                                                               \
      for (int64_t j = j0; j < j1; j++) { const TS v = s[j]; o[j] = (EXPR); }             \
    else                                                                                  \
      for (int64_t j = j0; j < j1; j++) { const TS v = s[j * ss]; o[j * so] = (EXPR); }   \
  })

int mien_cpu_copy_bf16(const mien_strided *dst, const mien_strided *src) {
  const int64_t *strides[2] = {dst->stride, src->stride};
  mien_iter it;
  mien_iter_init(&it, dst->ndim, dst->shape, 2, strides);
  if (dst->dtype == MIEN_BFLOAT16 && src->dtype == MIEN_BFLOAT16) {
    CONVERT_LOOP(mien_bf16, mien_bf16, v);
  } else if (dst->dtype == MIEN_BFLOAT16) {
    MIEN_DISPATCH(src->dtype, TS, { CONVERT_LOOP(mien_bf16, TS, mien_f32_to_bf16((float)v)); });
  } else {
    MIEN_DISPATCH(dst->dtype, TD, { CONVERT_LOOP(TD, mien_bf16, (TD)mien_bf16_to_f32(v)); });
  }
  return 0;
}

int mien_cpu_fill_bf16(const mien_strided *t, double value) {
  const int64_t *strides[1] = {t->stride};
  mien_iter it;
  mien_iter_init(&it, t->ndim, t->shape, 1, strides);
  const mien_bf16 v = mien_f32_to_bf16((float)value);
  MIEN_ITER_FOR(it, off, j0, j1, {
    mien_bf16 *o = (mien_bf16 *)t->data + off[0];
    const int64_t so = it.strides[0][it.ndim - 1];
    for (int64_t j = j0; j < j1; j++) o[j * so] = v;
  });
  return 0;
}

/* -1 with "<op>: the cpu kernel does not compute in bfloat16 ..." when t is bfloat16. */
static int refuse(mien_dtype dt, const char *op) {
  if (dt != MIEN_BFLOAT16) return 0;
  return mien_cpu_error("%s: the cpu kernel does not compute in bfloat16 (a storage type); convert with "
                        "t:to(\"float32\") first",
                        op);
}

#define BF(S) ((S)->dtype == MIEN_BFLOAT16)

int mien_cpu_binary_guarded(mien_binary_op op, const mien_strided *out, const mien_strided *a, const mien_strided *b) {
  if (BF(out) || BF(a) || BF(b)) return refuse(MIEN_BFLOAT16, "binary op");
  return mien_cpu_binary(op, out, a, b);
}
int mien_cpu_unary_guarded(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0, double p1) {
  if (BF(out) || BF(a)) return refuse(MIEN_BFLOAT16, "unary op");
  return mien_cpu_unary(op, out, a, p0, p1);
}
int mien_cpu_where_guarded(const mien_strided *out, const mien_strided *cond, const mien_strided *a,
                           const mien_strided *b) {
  if (BF(out) || BF(cond) || BF(a) || BF(b)) return refuse(MIEN_BFLOAT16, "where");
  return mien_cpu_where(out, cond, a, b);
}
int mien_cpu_masked_grad_guarded(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo,
                                 double hi, double outside) {
  if (BF(out) || BF(g) || BF(x)) return refuse(MIEN_BFLOAT16, "masked_grad");
  return mien_cpu_masked_grad(out, g, x, lo, hi, outside);
}
int mien_cpu_axpy_guarded(const mien_strided *out, const mien_strided *b, double alpha) {
  if (BF(out) || BF(b)) return refuse(MIEN_BFLOAT16, "add_");
  return mien_cpu_axpy(out, b, alpha);
}
int mien_cpu_arange_guarded(void *dst, mien_dtype dtype, int64_t n, double start, double step) {
  return refuse(dtype, "arange") ? -1 : mien_cpu_arange(dst, dtype, n, start, step);
}
int mien_cpu_reduce_guarded(mien_reduce_op op, const mien_strided *out, const mien_strided *in, const bool *reduced) {
  if (BF(out) || BF(in)) return refuse(MIEN_BFLOAT16, "reduction");
  return mien_cpu_reduce(op, out, in, reduced);
}
int mien_cpu_arg_reduce_guarded(bool want_max, const mien_strided *out, const mien_strided *in, int dim) {
  return refuse(in->dtype, want_max ? "argmax" : "argmin") ? -1 : mien_cpu_arg_reduce(want_max, out, in, dim);
}
int mien_cpu_sum_squares_guarded(const mien_strided *in, double *host_out) {
  return refuse(in->dtype, "sum_squares") ? -1 : mien_cpu_sum_squares(in, host_out);
}
int mien_cpu_uniform_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi) {
  return refuse(out->dtype, "rand") ? -1 : mien_cpu_uniform(out, seed, base, lo, hi);
}
int mien_cpu_normal_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std) {
  return refuse(out->dtype, "randn") ? -1 : mien_cpu_normal(out, seed, base, mean, std);
}
int mien_cpu_bernoulli_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double p) {
  return refuse(out->dtype, "bernoulli") ? -1 : mien_cpu_bernoulli(out, seed, base, p);
}
int mien_cpu_index_select_guarded(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index,
                                  int64_t nindex) {
  return refuse(in->dtype, "index_select") ? -1 : mien_cpu_index_select(out, in, dim, index, nindex);
}
int mien_cpu_index_add_guarded(const mien_strided *out, int dim, const int64_t *index, int64_t nindex,
                               const mien_strided *src) {
  if (BF(out) || BF(src)) return refuse(MIEN_BFLOAT16, "index_add");
  return mien_cpu_index_add(out, dim, index, nindex, src);
}
int mien_cpu_gather_guarded(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index) {
  return refuse(in->dtype, "gather") ? -1 : mien_cpu_gather(out, in, dim, index);
}
int mien_cpu_scatter_add_guarded(const mien_strided *out, int dim, const mien_strided *index, const mien_strided *src) {
  if (BF(out) || BF(src)) return refuse(MIEN_BFLOAT16, "scatter_add");
  return mien_cpu_scatter_add(out, dim, index, src);
}
int mien_cpu_cat_guarded(const mien_strided *out, int n, const mien_strided *ins, int dim) {
  return refuse(out->dtype, "cat") ? -1 : mien_cpu_cat(out, n, ins, dim);
}
