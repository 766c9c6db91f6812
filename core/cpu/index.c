/* CPU kernels of the index ops: index_select and its adjoint index_add,
 * gather and its adjoint scatter_add, and cat. Indices are 0-based and
 * checked by the op layer. The adjoints accumulate, so they run serially. */
#include "cpu/kernels.h"
#include "cpu/dtype_dispatch.h"

/* Calls BODY for every element of shape (ndim dims) with idx[] its
 * multi-index and e its row-major number. */
#define FOR_EACH_INDEX(NDIM, SHAPE, N, BODY)                   \
  do {                                                         \
    int64_t idx[MIEN_MAX_DIMS] = {0};                          \
    for (int64_t e = 0; e < (N); e++) {                        \
      BODY;                                                    \
      for (int d_ = (NDIM) - 1; d_ >= 0; d_--) {               \
        if (++idx[d_] < (SHAPE)[d_]) break;                    \
        idx[d_] = 0;                                           \
      }                                                        \
    }                                                          \
  } while (0)

static int64_t offset(const mien_strided *t, const int64_t *idx, int dim, int64_t at) {
  int64_t off = 0;
  for (int d = 0; d < t->ndim; d++) off += (d == dim ? at : idx[d]) * t->stride[d];
  return off;
}

int mien_cpu_index_select(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index,
                          int64_t nindex) {
  (void)nindex;
  const int64_t n = mien_cpu_numel(out);
  MIEN_DISPATCH(out->dtype, T, {
    T *o = out->data;
    const T *s = in->data;
    FOR_EACH_INDEX(out->ndim, out->shape, n,
                   o[offset(out, idx, -1, 0)] = s[offset(in, idx, dim, index[idx[dim]])]);
  });
  return 0;
}

int mien_cpu_index_add(const mien_strided *out, int dim, const int64_t *index, int64_t nindex, const mien_strided *src) {
  (void)nindex;
  const int64_t n = mien_cpu_numel(src);
  MIEN_DISPATCH(out->dtype, T, {
    T *o = out->data;
    const T *s = src->data;
    FOR_EACH_INDEX(src->ndim, src->shape, n,
                   o[offset(out, idx, dim, index[idx[dim]])] += s[offset(src, idx, -1, 0)]);
  });
  return 0;
}

int mien_cpu_gather(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index) {
  const int64_t n = mien_cpu_numel(out);
  const int64_t *ip = index->data;
  MIEN_DISPATCH(out->dtype, T, {
    T *o = out->data;
    const T *s = in->data;
    FOR_EACH_INDEX(out->ndim, out->shape, n,
                   o[offset(out, idx, -1, 0)] = s[offset(in, idx, dim, ip[offset(index, idx, -1, 0)])]);
  });
  return 0;
}

int mien_cpu_scatter_add(const mien_strided *out, int dim, const mien_strided *index, const mien_strided *src) {
  const int64_t n = mien_cpu_numel(src);
  const int64_t *ip = index->data;
  MIEN_DISPATCH(out->dtype, T, {
    T *o = out->data;
    const T *s = src->data;
    FOR_EACH_INDEX(src->ndim, src->shape, n,
                   o[offset(out, idx, dim, ip[offset(index, idx, -1, 0)])] += s[offset(src, idx, -1, 0)]);
  });
  return 0;
}

int mien_cpu_cat(const mien_strided *out, int n, const mien_strided *ins, int dim) {
  int64_t at = 0;
  for (int k = 0; k < n; k++) {
    mien_strided part = *out;
    part.shape[dim] = ins[k].shape[dim];
    part.data = (char *)out->data + (size_t)(at * out->stride[dim]) * mien_dtype_size(out->dtype);
    if (part.shape[dim] > 0 && mien_cpu_copy_strided(&part, &ins[k]) != 0) return -1;
    at += part.shape[dim];
  }
  return 0;
}
