/* Reductions over any set of dims (one block per output element, partial
 * results in double, combined with warp shuffles), argmax/argmin along one
 * dim (one thread per output), and the sum of squares for gradient clipping. */
#include "common.cuh"

#define REDUCE_THREADS 128

/* The reduction kind and the final division of a mien_reduce_op. */
MIEN_HD int mien_k_reduce_kind(int op) {
  return op == MIEN_PROD ? MIEN_K_COMBINE_PROD : op == MIEN_MAX ? MIEN_K_COMBINE_MAX
         : op == MIEN_MIN ? MIEN_K_COMBINE_MIN : MIEN_K_COMBINE_SUM;
}
MIEN_HD double mien_k_reduce_finish(int op, double acc, int64_t count) {
  if (count == 0 && (op == MIEN_MAX || op == MIEN_MIN)) return NAN;
  return op == MIEN_MEAN ? acc / (double)count : acc;
}

/* outer: kept dims (stride 0 = out, 1 = in); inner: reduced dims (stride 0 = in). */
/* out may have another dtype than in (the mean of int64 is float32). */
template <class T>
__global__ void __launch_bounds__(REDUCE_THREADS) reduce_kernel(int op, mien_kiter outer, mien_kiter inner, void *out,
                                                                mien_dtype out_dtype, const T *in) {
  const int kind = mien_k_reduce_kind(op);
  MIEN_ROW_LOOP(o, outer.numel) {
    int64_t base[2];
    mien_kiter_offsets<2>(outer, o, base);
    double acc = mien_k_identity(kind);
    MIEN_BLOCK_LOOP(r, inner.numel) {
      int64_t off[1];
      mien_kiter_offsets<1>(inner, r, off);
      acc = mien_k_combine(kind, acc, (double)in[base[1] + off[0]]);
    }
    acc = mien_k_block_reduce(acc, kind);
    if (threadIdx.x == 0) mien_k_store(out, base[0], out_dtype, mien_k_reduce_finish(op, acc, inner.numel));
  }
}

/* out[o] = position of the first max (min) along the dim of size n and
 * stride step, compared as in C (a NaN never wins, except in first place). */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) arg_reduce_kernel(bool want_max, mien_kiter outer, int64_t n,
                                                                    int64_t step, int64_t *out, const T *in) {
  MIEN_GRID_LOOP(o, outer.numel) {
    int64_t base[2];
    mien_kiter_offsets<2>(outer, o, base);
    int64_t best_at = 0;
    T best = in[base[1]];
    for (int64_t k = 1; k < n; k++) {
      const T v = in[base[1] + k * step];
      if (want_max ? v > best : v < best) best = v, best_at = k;
    }
    out[base[0]] = best_at;
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) sum_squares_kernel(mien_kiter it, const T *in, double *total) {
  double acc = 0.0;
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[1];
    mien_kiter_offsets<1>(it, i, off);
    acc += (double)in[off[0]] * (double)in[off[0]];
  }
  acc = mien_k_block_reduce(acc, MIEN_K_COMBINE_SUM);
  if (threadIdx.x == 0) atomicAdd(total, acc);
}

/* Splits in's dims into kept (with out's strides) and reduced ones. */
static void split_dims(const mien_strided *out, const mien_strided *in, const bool *reduced, mien_kiter *outer,
                       mien_kiter *inner) {
  int64_t kshape[MIEN_MAX_DIMS], kout[MIEN_MAX_DIMS], kin[MIEN_MAX_DIMS], rshape[MIEN_MAX_DIMS], rin[MIEN_MAX_DIMS];
  int nk = 0, nr = 0;
  for (int d = 0; d < in->ndim; d++) {
    if (reduced[d]) {
      rshape[nr] = in->shape[d], rin[nr++] = in->stride[d];
    } else {
      kshape[nk] = in->shape[d], kout[nk] = out->stride[d], kin[nk++] = in->stride[d];
    }
  }
  const int64_t *ks[2] = {kout, kin}, *rs[1] = {rin};
  *outer = mien_kiter_make(nk, kshape, 2, ks);
  *inner = mien_kiter_make(nr, rshape, 1, rs);
}

extern "C" int mien_cuda_reduce(mien_reduce_op op, const mien_strided *out, const mien_strided *in,
                                const bool *reduced) {
  mien_kiter outer, inner;
  split_dims(out, in, reduced, &outer, &inner);
  if (outer.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(in->dtype, T, {
    rc = MIEN_LAUNCH(reduce_kernel<T>, mien_k_row_blocks(outer.numel), mien_k_warps_for(inner.numel, REDUCE_THREADS),
                     nullptr, (int)op, outer, inner, out->data, out->dtype, (const T *)in->data);
  });
  return rc;
}

extern "C" int mien_cuda_arg_reduce(bool want_max, const mien_strided *out, const mien_strided *in, int dim) {
  bool reduced[MIEN_MAX_DIMS] = {false};
  reduced[dim] = true;
  mien_kiter outer, inner;
  split_dims(out, in, reduced, &outer, &inner);
  if (outer.numel == 0) return 0;
  if (in->shape[dim] == 0) return mien_k_fail("arg_reduce: dim %d is empty", dim);
  int rc = 0;
  MIEN_K_DISPATCH(in->dtype, T, {
    rc = MIEN_LAUNCH(arg_reduce_kernel<T>, mien_k_blocks(outer.numel), MIEN_K_THREADS, nullptr, want_max, outer,
                     in->shape[dim], in->stride[dim], (int64_t *)out->data, (const T *)in->data);
  });
  return rc;
}

extern "C" int mien_cuda_sum_squares(const mien_strided *in, double *host_out) {
  const mien_strided *ops[1] = {in};
  const mien_kiter it = mien_kiter_of(1, ops);
  *host_out = 0.0;
  if (it.numel == 0) return 0;
  double *total = (double *)mien_k_mem.alloc(sizeof(double));
  if (!total) return mien_k_fail("sum_squares: out of device memory for the result");
  int rc = mien_k_mem.from_host(total, host_out, sizeof(double));
  const unsigned blocks = mien_k_blocks(it.numel) < 1024 ? mien_k_blocks(it.numel) : 1024;
  if (rc == 0) MIEN_K_DISPATCH_FLOAT(in->dtype, T, {
    rc = MIEN_LAUNCH(sum_squares_kernel<T>, blocks, MIEN_K_THREADS, nullptr, it, (const T *)in->data, total);
  });
  if (rc == 0) rc = mien_k_mem.to_host(host_out, total, sizeof(double));
  mien_k_mem.free(total, sizeof(double));
  return rc;
}
