/* Index ops over strided operands: index_select and gather read through an
 * index, index_add and scatter_add (their adjoints) add through one with
 * atomics, cat copies each input into its slice of the output. Indices are
 * int64 and 0-based, checked by the op layer. The position along `dim` is
 * found with a third "coordinate" operand whose stride is 1 along dim and 0
 * elsewhere, so the descriptor can still merge the other dims. */
#include "common.cuh"

/* Operand strides of s with dim's stride replaced by `along`. */
static void strides_without(const mien_strided *s, int dim, int64_t along, int64_t *out) {
  for (int d = 0; d < s->ndim; d++) out[d] = d == dim ? along : s->stride[d];
}
static void coordinate(int ndim, int dim, int64_t *out) {
  for (int d = 0; d < ndim; d++) out[d] = d == dim ? 1 : 0;
}

/* out[.., j, ..] = in[.., index[j], ..] */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) index_select_kernel(mien_kiter it, T *out, const T *in,
                                                                      int64_t in_step, const int64_t *index) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    out[off[0]] = in[off[1] + index[off[2]] * in_step];
  }
}

/* out[.., index[j], ..] += src[.., j, ..] */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) index_add_kernel(mien_kiter it, const T *src, T *out,
                                                                   int64_t out_step, const int64_t *index) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    atomicAdd(&out[off[1] + index[off[2]] * out_step], src[off[0]]);
  }
}

/* out[i] = in[i with dim = index[i]] */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) gather_kernel(mien_kiter it, T *out, const int64_t *index,
                                                                const T *in, int64_t in_step) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    out[off[0]] = in[off[2] + index[off[1]] * in_step];
  }
}

/* out[i with dim = index[i]] += src[i] */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) scatter_add_kernel(mien_kiter it, const T *src,
                                                                     const int64_t *index, T *out, int64_t out_step) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    atomicAdd(&out[off[2] + index[off[1]] * out_step], src[off[0]]);
  }
}

extern "C" int mien_cuda_index_select(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index,
                                      int64_t nindex) {
  (void)nindex; /* out's size along dim */
  int64_t in_s[MIEN_MAX_DIMS], coord[MIEN_MAX_DIMS];
  strides_without(in, dim, 0, in_s);
  coordinate(out->ndim, dim, coord);
  const int64_t *strides[3] = {out->stride, in_s, coord};
  const mien_kiter it = mien_kiter_make(out->ndim, out->shape, 3, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(out->dtype, T, {
    rc = MIEN_LAUNCH(index_select_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, it, (T *)out->data,
                     (const T *)in->data, in->stride[dim], index);
  });
  return rc;
}

extern "C" int mien_cuda_index_add(const mien_strided *out, int dim, const int64_t *index, int64_t nindex,
                                   const mien_strided *src) {
  (void)nindex; /* src's size along dim */
  int64_t out_s[MIEN_MAX_DIMS], coord[MIEN_MAX_DIMS];
  strides_without(out, dim, 0, out_s);
  coordinate(src->ndim, dim, coord);
  const int64_t *strides[3] = {src->stride, out_s, coord};
  const mien_kiter it = mien_kiter_make(src->ndim, src->shape, 3, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(out->dtype, T, {
    rc = MIEN_LAUNCH(index_add_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, it, (const T *)src->data,
                     (T *)out->data, out->stride[dim], index);
  });
  return rc;
}

extern "C" int mien_cuda_gather(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index) {
  int64_t in_s[MIEN_MAX_DIMS];
  strides_without(in, dim, 0, in_s);
  const int64_t *strides[3] = {out->stride, index->stride, in_s};
  const mien_kiter it = mien_kiter_make(out->ndim, out->shape, 3, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(out->dtype, T, {
    rc = MIEN_LAUNCH(gather_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, it, (T *)out->data,
                     (const int64_t *)index->data, (const T *)in->data, in->stride[dim]);
  });
  return rc;
}

extern "C" int mien_cuda_scatter_add(const mien_strided *out, int dim, const mien_strided *index,
                                     const mien_strided *src) {
  int64_t out_s[MIEN_MAX_DIMS];
  strides_without(out, dim, 0, out_s);
  const int64_t *strides[3] = {src->stride, index->stride, out_s};
  const mien_kiter it = mien_kiter_make(src->ndim, src->shape, 3, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(out->dtype, T, {
    rc = MIEN_LAUNCH(scatter_add_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, it,
                     (const T *)src->data, (const int64_t *)index->data, (T *)out->data, out->stride[dim]);
  });
  return rc;
}

extern "C" int mien_cuda_copy_strided(const mien_strided *dst, const mien_strided *src);

extern "C" int mien_cuda_cat(const mien_strided *out, int n, const mien_strided *ins, int dim) {
  int64_t start = 0;
  for (int k = 0; k < n; k++) {
    mien_strided slice = *out;
    slice.shape[dim] = ins[k].shape[dim];
    slice.data = (char *)out->data + start * out->stride[dim] * (int64_t)mien_k_dtype_size(out->dtype);
    if (mien_cuda_copy_strided(&slice, &ins[k]) != 0) return -1;
    start += ins[k].shape[dim];
  }
  return 0;
}
