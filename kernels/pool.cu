/* Max and average pooling over contiguous NCHW, PyTorch semantics as in
 * core/cpu/pool2d.h: one thread per output in the forward passes; the
 * backward passes zero dx and scatter each output's gradient with atomics. */
#include "common.cuh"

/* The window of output o along one axis: input [start, end), and its length
 * counting padding but not what lies beyond it. */
struct mien_k_span {
  int64_t start, end, padded;
};
MIEN_HD mien_k_span mien_k_pool_span(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  const int64_t start = o * stride - pad, end = start + kernel < size + pad ? start + kernel : size + pad;
  mien_k_span s = {start < 0 ? 0 : start, end < size ? end : size, end - start};
  return s;
}
MIEN_HD int64_t mien_k_pool_out(int64_t size, int64_t kernel, int64_t stride, int64_t pad, int ceil_mode) {
  const int64_t span = size + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0);
  if (span < 0) return 0;
  int64_t out = span / stride + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad) out--;
  return out;
}
MIEN_HD int64_t mien_k_avg_divisor(const mien_pool2d_params &p, mien_k_span hs, mien_k_span ws) {
  return p.count_include_pad ? hs.padded * ws.padded : (hs.end - hs.start) * (ws.end - ws.start);
}

struct pool_geom {
  mien_pool2d_params p;
  int64_t OH, OW, total; /* total outputs N*C*OH*OW */
};

static pool_geom geometry(const mien_pool2d_params *p) {
  pool_geom g;
  g.p = *p;
  g.OH = mien_k_pool_out(p->H, p->KH, p->stride_h, p->pad_h, p->ceil_mode);
  g.OW = mien_k_pool_out(p->W, p->KW, p->stride_w, p->pad_w, p->ceil_mode);
  g.total = p->N * p->C * g.OH * g.OW;
  return g;
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) max_pool_kernel(pool_geom g, const T *x, T *y, int64_t *indices) {
  const mien_pool2d_params &p = g.p;
  MIEN_GRID_LOOP(i, g.total) {
    const int64_t ow = i % g.OW, oh = i / g.OW % g.OH, plane = i / (g.OW * g.OH);
    const mien_k_span hs = mien_k_pool_span(oh, p.stride_h, p.pad_h, p.KH, p.H);
    const mien_k_span ws = mien_k_pool_span(ow, p.stride_w, p.pad_w, p.KW, p.W);
    const T *in = x + plane * p.H * p.W;
    T best = (T)-HUGE_VAL;
    int64_t best_at = hs.start * p.W + ws.start;
    for (int64_t ih = hs.start; ih < hs.end; ih++)
      for (int64_t iw = ws.start; iw < ws.end; iw++) {
        const T v = in[ih * p.W + iw];
        if (v > best || v != v) best = v, best_at = ih * p.W + iw;
      }
    y[i] = best;
    if (indices) indices[i] = best_at;
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) max_pool_backward_kernel(pool_geom g, const T *dy,
                                                                           const int64_t *indices, T *dx) {
  const int64_t plane_out = g.OH * g.OW, plane_in = g.p.H * g.p.W;
  MIEN_GRID_LOOP(i, g.total) atomicAdd(&dx[i / plane_out * plane_in + indices[i]], dy[i]);
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) avg_pool_kernel(pool_geom g, const T *x, T *y) {
  const mien_pool2d_params &p = g.p;
  MIEN_GRID_LOOP(i, g.total) {
    const int64_t ow = i % g.OW, oh = i / g.OW % g.OH, plane = i / (g.OW * g.OH);
    const mien_k_span hs = mien_k_pool_span(oh, p.stride_h, p.pad_h, p.KH, p.H);
    const mien_k_span ws = mien_k_pool_span(ow, p.stride_w, p.pad_w, p.KW, p.W);
    const T *in = x + plane * p.H * p.W;
    T sum = 0;
    for (int64_t ih = hs.start; ih < hs.end; ih++)
      for (int64_t iw = ws.start; iw < ws.end; iw++) sum += in[ih * p.W + iw];
    y[i] = sum / (T)mien_k_avg_divisor(p, hs, ws);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) avg_pool_backward_kernel(pool_geom g, const T *dy, T *dx) {
  const mien_pool2d_params &p = g.p;
  MIEN_GRID_LOOP(i, g.total) {
    const int64_t ow = i % g.OW, oh = i / g.OW % g.OH, plane = i / (g.OW * g.OH);
    const mien_k_span hs = mien_k_pool_span(oh, p.stride_h, p.pad_h, p.KH, p.H);
    const mien_k_span ws = mien_k_pool_span(ow, p.stride_w, p.pad_w, p.KW, p.W);
    const T share = dy[i] / (T)mien_k_avg_divisor(p, hs, ws);
    T *din = dx + plane * p.H * p.W;
    for (int64_t ih = hs.start; ih < hs.end; ih++)
      for (int64_t iw = ws.start; iw < ws.end; iw++) atomicAdd(&din[ih * p.W + iw], share);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) zero_kernel(T *x, int64_t n) {
  MIEN_GRID_LOOP(i, n) x[i] = T(0);
}

extern "C" int mien_cuda_max_pool2d_forward(const mien_pool2d_params *p, mien_dtype dtype, const void *x, void *y,
                                            int64_t *indices) {
  const pool_geom g = geometry(p);
  if (g.total == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(max_pool_kernel<T>, mien_k_blocks(g.total), MIEN_K_THREADS, nullptr, g, (const T *)x, (T *)y,
                     indices);
  });
  return rc;
}

extern "C" int mien_cuda_avg_pool2d_forward(const mien_pool2d_params *p, mien_dtype dtype, const void *x, void *y) {
  const pool_geom g = geometry(p);
  if (g.total == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(avg_pool_kernel<T>, mien_k_blocks(g.total), MIEN_K_THREADS, nullptr, g, (const T *)x, (T *)y);
  });
  return rc;
}

extern "C" int mien_cuda_max_pool2d_backward(const mien_pool2d_params *p, mien_dtype dtype, const void *dy,
                                             const int64_t *indices, void *dx) {
  const pool_geom g = geometry(p);
  const int64_t nin = p->N * p->C * p->H * p->W;
  if (nin == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(zero_kernel<T>, mien_k_blocks(nin), MIEN_K_THREADS, nullptr, (T *)dx, nin);
    if (rc == 0 && g.total > 0)
      rc = MIEN_LAUNCH(max_pool_backward_kernel<T>, mien_k_blocks(g.total), MIEN_K_THREADS, nullptr, g, (const T *)dy,
                       indices, (T *)dx);
  });
  return rc;
}

extern "C" int mien_cuda_avg_pool2d_backward(const mien_pool2d_params *p, mien_dtype dtype, const void *dy, void *dx) {
  const pool_geom g = geometry(p);
  const int64_t nin = p->N * p->C * p->H * p->W;
  if (nin == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(zero_kernel<T>, mien_k_blocks(nin), MIEN_K_THREADS, nullptr, (T *)dx, nin);
    if (rc == 0 && g.total > 0)
      rc = MIEN_LAUNCH(avg_pool_backward_kernel<T>, mien_k_blocks(g.total), MIEN_K_THREADS, nullptr, g, (const T *)dy,
                       (T *)dx);
  });
  return rc;
}
