/* Softmax and log-softmax over the middle dim of [outer, n, inner], their
 * backward, and the fused cross entropy (log-softmax, label smoothing and
 * class weights in one pass per row). Rows with inner == 1 take one block
 * each (block reductions in double); strided rows take one thread each. */
#include "common.cuh"

#define ROW_THREADS 128

/* Element k of row r of [outer, n, inner]. */
MIEN_HD int64_t mien_k_row_at(int64_t r, int64_t k, int64_t n, int64_t inner) {
  return (r / inner) * n * inner + k * inner + r % inner;
}

template <class T>
__global__ void __launch_bounds__(ROW_THREADS) softmax_rows_kernel(bool log_out, int64_t rows, int64_t n, const T *x,
                                                                   T *y) {
  MIEN_ROW_LOOP(r, rows) {
    const T *xr = x + r * n;
    T *yr = y + r * n;
    double m = -HUGE_VAL, s = 0.0;
    MIEN_BLOCK_LOOP(k, n) m = mien_k_combine(MIEN_K_COMBINE_MAX, m, (double)xr[k]);
    m = mien_k_block_reduce(m, MIEN_K_COMBINE_MAX);
    MIEN_BLOCK_LOOP(k, n) s += exp((double)xr[k] - m);
    s = mien_k_block_reduce(s, MIEN_K_COMBINE_SUM);
    const double ls = log(s);
    MIEN_BLOCK_LOOP(k, n) yr[k] = (T)(log_out ? (double)xr[k] - m - ls : exp((double)xr[k] - m) / s);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) softmax_strided_kernel(bool log_out, int64_t rows, int64_t n,
                                                                         int64_t inner, const T *x, T *y) {
  MIEN_GRID_LOOP(r, rows) {
    double m = -HUGE_VAL, s = 0.0;
    for (int64_t k = 0; k < n; k++) m = mien_k_combine(MIEN_K_COMBINE_MAX, m, (double)x[mien_k_row_at(r, k, n, inner)]);
    for (int64_t k = 0; k < n; k++) s += exp((double)x[mien_k_row_at(r, k, n, inner)] - m);
    const double ls = log(s);
    for (int64_t k = 0; k < n; k++) {
      const int64_t at = mien_k_row_at(r, k, n, inner);
      y[at] = (T)(log_out ? (double)x[at] - m - ls : exp((double)x[at] - m) / s);
    }
  }
}

/* softmax: dx = y * (dy - sum(dy * y));  log: dx = dy - exp(y) * sum(dy) */
MIEN_HD double mien_k_softmax_grad(bool log_out, double y, double dy, double dot) {
  return log_out ? dy - exp(y) * dot : y * (dy - dot);
}

template <class T>
__global__ void __launch_bounds__(ROW_THREADS) softmax_backward_rows_kernel(bool log_out, int64_t rows, int64_t n,
                                                                            const T *y, const T *dy, T *dx) {
  MIEN_ROW_LOOP(r, rows) {
    double dot = 0.0;
    MIEN_BLOCK_LOOP(k, n) dot += log_out ? (double)dy[r * n + k] : (double)dy[r * n + k] * (double)y[r * n + k];
    dot = mien_k_block_reduce(dot, MIEN_K_COMBINE_SUM);
    MIEN_BLOCK_LOOP(k, n) dx[r * n + k] = (T)mien_k_softmax_grad(log_out, (double)y[r * n + k], (double)dy[r * n + k], dot);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) softmax_backward_strided_kernel(bool log_out, int64_t rows,
                                                                                  int64_t n, int64_t inner, const T *y,
                                                                                  const T *dy, T *dx) {
  MIEN_GRID_LOOP(r, rows) {
    double dot = 0.0;
    for (int64_t k = 0; k < n; k++) {
      const int64_t at = mien_k_row_at(r, k, n, inner);
      dot += log_out ? (double)dy[at] : (double)dy[at] * (double)y[at];
    }
    for (int64_t k = 0; k < n; k++) {
      const int64_t at = mien_k_row_at(r, k, n, inner);
      dx[at] = (T)mien_k_softmax_grad(log_out, (double)y[at], (double)dy[at], dot);
    }
  }
}

/* Class weight c (1 without weights). */
template <class T>
MIEN_HD double mien_k_class_weight(const T *w, int64_t c) { return w ? (double)w[c] : 1.0; }

template <class T>
__global__ void __launch_bounds__(ROW_THREADS) cross_entropy_kernel(int64_t N, int64_t C, const T *logits,
                                                                    const int64_t *labels, const T *w, double s,
                                                                    T *logp, T *loss) {
  MIEN_ROW_LOOP(i, N) {
    const T *x = logits + i * C;
    T *lp = logp + i * C;
    double m = -HUGE_VAL, sum = 0.0, smooth = 0.0;
    MIEN_BLOCK_LOOP(c, C) m = mien_k_combine(MIEN_K_COMBINE_MAX, m, (double)x[c]);
    m = mien_k_block_reduce(m, MIEN_K_COMBINE_MAX);
    MIEN_BLOCK_LOOP(c, C) sum += exp((double)x[c] - m);
    const double lse = m + log(mien_k_block_reduce(sum, MIEN_K_COMBINE_SUM));
    MIEN_BLOCK_LOOP(c, C) {
      const double v = (double)x[c] - lse;
      lp[c] = (T)v;
      smooth += mien_k_class_weight(w, c) * v;
    }
    smooth = mien_k_block_reduce(smooth, MIEN_K_COMBINE_SUM);
    if (threadIdx.x == 0) {
      const int64_t y = labels[i];
      loss[i] = (T)(-(1.0 - s) * mien_k_class_weight(w, y) * ((double)x[y] - lse) - s / (double)C * smooth);
    }
  }
}

template <class T>
__global__ void __launch_bounds__(ROW_THREADS) cross_entropy_backward_kernel(int64_t N, int64_t C, const T *logp,
                                                                             const int64_t *labels, const T *w,
                                                                             double s, const T *dloss, T *dlogits) {
  MIEN_ROW_LOOP(i, N) {
    double wsum = 0.0;
    MIEN_BLOCK_LOOP(c, C) wsum += mien_k_class_weight(w, c);
    wsum = mien_k_block_reduce(wsum, MIEN_K_COMBINE_SUM);
    const int64_t y = labels[i];
    const double wy = mien_k_class_weight(w, y), Wi = (1.0 - s) * wy + s / (double)C * wsum, g = (double)dloss[i];
    MIEN_BLOCK_LOOP(c, C) {
      const double v = exp((double)logp[i * C + c]) * Wi - (c == y ? (1.0 - s) * wy : 0.0) -
                       s / (double)C * mien_k_class_weight(w, c);
      dlogits[i * C + c] = (T)(g * v);
    }
  }
}

extern "C" int mien_cuda_softmax_forward(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner,
                                         const void *x, void *y) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    if (inner == 1)
      rc = MIEN_LAUNCH(softmax_rows_kernel<T>, mien_k_row_blocks(rows), mien_k_warps_for(n, ROW_THREADS), nullptr, log, rows, n,
                       (const T *)x, (T *)y);
    else
      rc = MIEN_LAUNCH(softmax_strided_kernel<T>, mien_k_blocks(rows), MIEN_K_THREADS, nullptr, log, rows, n, inner,
                       (const T *)x, (T *)y);
  });
  return rc;
}

extern "C" int mien_cuda_softmax_backward(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner,
                                          const void *y, const void *dy, void *dx) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    if (inner == 1)
      rc = MIEN_LAUNCH(softmax_backward_rows_kernel<T>, mien_k_row_blocks(rows), mien_k_warps_for(n, ROW_THREADS), nullptr, log, rows, n,
                       (const T *)y, (const T *)dy, (T *)dx);
    else
      rc = MIEN_LAUNCH(softmax_backward_strided_kernel<T>, mien_k_blocks(rows), MIEN_K_THREADS, nullptr, log, rows,
                       n, inner, (const T *)y, (const T *)dy, (T *)dx);
  });
  return rc;
}

extern "C" int mien_cuda_cross_entropy_forward(mien_dtype dtype, int64_t N, int64_t C, const void *logits,
                                               const int64_t *labels, const void *weight, double smoothing, void *logp,
                                               void *loss) {
  if (N == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(cross_entropy_kernel<T>, mien_k_row_blocks(N), mien_k_warps_for(C, ROW_THREADS), nullptr, N, C, (const T *)logits,
                     labels, (const T *)weight, smoothing, (T *)logp, (T *)loss);
  });
  return rc;
}

extern "C" int mien_cuda_cross_entropy_backward(mien_dtype dtype, int64_t N, int64_t C, const void *logp,
                                                const int64_t *labels, const void *weight, double smoothing,
                                                const void *dloss, void *dlogits) {
  if (N == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(cross_entropy_backward_kernel<T>, mien_k_row_blocks(N), mien_k_warps_for(C, ROW_THREADS), nullptr, N, C,
                     (const T *)logp, labels, (const T *)weight, smoothing, (const T *)dloss, (T *)dlogits);
  });
  return rc;
}
