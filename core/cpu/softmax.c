/* CPU kernels of softmax / log-softmax over the middle dim of a contiguous
 * [outer, n, inner] array, and of the per-sample cross entropy. Sums are in
 * double; the maximum is subtracted before exponentiating. */
#include <math.h>

#include "cpu/kernels.h"
#include "cpu/dtype_dispatch.h"

#define AT(p, o, j, i) (p)[((o) * n + (j)) * inner + (i)]

int mien_cpu_softmax_forward(mien_dtype dtype, bool log_, int64_t outer, int64_t n, int64_t inner, const void *x,
                             void *y) {
  MIEN_DISPATCH_FLOAT(dtype, T, {
    const T *px = x;
    T *py = y;
    _Pragma("omp parallel for schedule(static) if (outer * n * inner > 32768)")
    for (int64_t r = 0; r < outer * inner; r++) {
      const int64_t o = r / inner, i = r % inner;
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j < n; j++) mx = (double)AT(px, o, j, i) > mx ? (double)AT(px, o, j, i) : mx;
      for (int64_t j = 0; j < n; j++) sum += exp((double)AT(px, o, j, i) - mx);
      const double lse = log(sum);
      for (int64_t j = 0; j < n; j++) {
        const double v = (double)AT(px, o, j, i) - mx;
        AT(py, o, j, i) = (T)(log_ ? v - lse : exp(v) / sum);
      }
    }
  });
  return 0;
}

int mien_cpu_softmax_backward(mien_dtype dtype, bool log_, int64_t outer, int64_t n, int64_t inner, const void *y,
                              const void *dy, void *dx) {
  MIEN_DISPATCH_FLOAT(dtype, T, {
    const T *py = y, *pg = dy;
    T *pd = dx;
    _Pragma("omp parallel for schedule(static) if (outer * n * inner > 32768)")
    for (int64_t r = 0; r < outer * inner; r++) {
      const int64_t o = r / inner, i = r % inner;
      double s = 0;
      for (int64_t j = 0; j < n; j++) s += log_ ? (double)AT(pg, o, j, i) : (double)AT(pg, o, j, i) * AT(py, o, j, i);
      for (int64_t j = 0; j < n; j++) {
        const double yv = AT(py, o, j, i), g = AT(pg, o, j, i);
        AT(pd, o, j, i) = (T)(log_ ? g - exp(yv) * s : yv * (g - s));
      }
    }
  });
  return 0;
}

int mien_cpu_cross_entropy_forward(mien_dtype dtype, int64_t N, int64_t C, const void *logits, const int64_t *labels,
                                   const void *weight, double smoothing, void *logp, void *loss) {
  if (mien_cpu_softmax_forward(dtype, true, N, C, 1, logits, logp) != 0) return -1;
  MIEN_DISPATCH_FLOAT(dtype, T, {
    const T *lp = logp, *w = weight;
    T *out = loss;
    for (int64_t i = 0; i < N; i++) {
      const int64_t y = labels[i];
      double all = 0;
      for (int64_t c = 0; c < C; c++) all += (w ? (double)w[c] : 1.0) * lp[i * C + c];
      out[i] = (T)(-(1 - smoothing) * (w ? (double)w[y] : 1.0) * lp[i * C + y] - smoothing / (double)C * all);
    }
  });
  return 0;
}

int mien_cpu_cross_entropy_backward(mien_dtype dtype, int64_t N, int64_t C, const void *logp, const int64_t *labels,
                                    const void *weight, double smoothing, const void *dloss, void *dlogits) {
  MIEN_DISPATCH_FLOAT(dtype, T, {
    const T *lp = logp, *w = weight, *dl = dloss;
    T *out = dlogits;
    double wsum = 0;
    for (int64_t c = 0; c < C; c++) wsum += w ? (double)w[c] : 1.0;
    for (int64_t i = 0; i < N; i++) {
      const int64_t y = labels[i];
      const double wy = w ? (double)w[y] : 1.0, total = (1 - smoothing) * wy + smoothing / (double)C * wsum;
      for (int64_t c = 0; c < C; c++) {
        double g = exp((double)lp[i * C + c]) * total - smoothing / (double)C * (w ? (double)w[c] : 1.0);
        if (c == y) g -= (1 - smoothing) * wy;
        out[i * C + c] = (T)(dl[i] * g);
      }
    }
  });
  return 0;
}
