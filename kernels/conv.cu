/* Our own conv2d: im2col and col2im kernels around the tiled GEMM of
 * gemm.cu, following the plan of plan/im2col_plan.h (sizes, the column
 * buffer shared by a chunk of images, the GEMM of each pass), and the bias
 * passes through the elementwise and reduction kernels. It is the emulated
 * backend's convolution and the real backend's whenever cuDNN is not built
 * in or has no algorithm for a shape (device/conv_cudnn.cu). */
#include "common.cuh"
#include "plan/im2col_plan.h"

extern "C" int mien_cuda_binary(mien_binary_op, const mien_strided *, const mien_strided *, const mien_strided *);
extern "C" int mien_cuda_fill(const mien_strided *, double);
extern "C" int mien_cuda_reduce(mien_reduce_op, const mien_strided *, const mien_strided *, const bool *);
extern "C" int mien_cuda_gemm_batched(mien_dtype, bool, bool, int64_t, int64_t, int64_t, double, const void *, int64_t,
                                      int64_t, const void *, int64_t, int64_t, double, void *, int64_t, int64_t,
                                      int64_t);

/* The column buffer of a chunk of images stays under this (a variable, so
 * that a test can force several chunks). */
extern "C" size_t mien_cuda_conv_workspace_bytes;
size_t mien_cuda_conv_workspace_bytes = (size_t)256 << 20;

struct conv_geom {
  int64_t C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW;
};

/* col[n, (c*KH + kh)*KW + kw, oh*OW + ow] = x[n, c, ih, iw] or 0 off the image. */
template <class T>
MIEN_HD T conv_col_value(const conv_geom &g, const T *x_image, int64_t row, int64_t q) {
  const int64_t c = row / (g.KH * g.KW), kh = row / g.KW % g.KH, kw = row % g.KW;
  const int64_t ih = q / g.OW * g.sh - g.ph + kh * g.dh, iw = q % g.OW * g.sw - g.pw + kw * g.dw;
  return ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x_image[(c * g.H + ih) * g.W + iw] : T(0);
}

/* dx[n, c, ih, iw] = the sum of the columns that read it (a gather: no atomics). */
template <class T>
MIEN_HD T conv_col2im_value(const conv_geom &g, const T *dcol_image, int64_t c, int64_t ih, int64_t iw) {
  const int64_t ohw = g.OH * g.OW;
  double sum = 0;
  for (int64_t kh = 0; kh < g.KH; kh++) {
    const int64_t th = ih + g.ph - kh * g.dh;
    if (th < 0 || th % g.sh || th / g.sh >= g.OH) continue;
    for (int64_t kw = 0; kw < g.KW; kw++) {
      const int64_t tw = iw + g.pw - kw * g.dw;
      if (tw < 0 || tw % g.sw || tw / g.sw >= g.OW) continue;
      sum += (double)dcol_image[((c * g.KH + kh) * g.KW + kw) * ohw + th / g.sh * g.OW + tw / g.sw];
    }
  }
  return (T)sum;
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS)
    im2col_kernel(conv_geom g, int64_t images, const T *x, T *col) {
  const int64_t ohw = g.OH * g.OW, rows = g.C * g.KH * g.KW, x_image = g.C * g.H * g.W;
  MIEN_GRID_LOOP(e, images * rows * ohw) {
    const int64_t n = e / (rows * ohw), rest = e % (rows * ohw);
    col[e] = conv_col_value(g, x + n * x_image, rest / ohw, rest % ohw);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS)
    col2im_kernel(conv_geom g, int64_t images, const T *dcol, T *dx) {
  const int64_t plane = g.H * g.W, x_image = g.C * plane, col_image = g.C * g.KH * g.KW * g.OH * g.OW;
  MIEN_GRID_LOOP(e, images * x_image) {
    const int64_t n = e / x_image, c = e % x_image / plane, ih = e % plane / g.W, iw = e % g.W;
    dx[e] = conv_col2im_value(g, dcol + n * col_image, c, ih, iw);
  }
}

namespace {

/* One call of our convolution: the plan, its column buffer, the geometry. */
struct conv_job {
  mien_im2col_plan plan;
  conv_geom geom;
  mien_dtype dtype;
  size_t es;
  void *col = nullptr;
  ~conv_job() {
    if (col) mien_k_mem.free(col, plan.chunk_bytes);
  }
  int begin(const mien_conv2d_params *p, mien_dtype dt) {
    const int64_t prm[14] = {p->N,        p->C_in,     p->H,     p->W,     p->C_out, p->KH,    p->KW,
                             p->stride_h, p->stride_w, p->pad_h, p->pad_w, p->dil_h, p->dil_w, p->groups};
    char err[256];
    if (dt != MIEN_FLOAT32 && dt != MIEN_FLOAT64) return mien_k_fail("conv2d: dtype %d is not a float type", (int)dt);
    dtype = dt, es = mien_k_dtype_size(dt);
    if (mien_im2col_plan_make(prm, es, mien_cuda_conv_workspace_bytes, &plan, err, sizeof err) != 0)
      return mien_k_fail("%s", err);
    geom = {p->C_in, p->H, p->W, p->KH, p->KW, p->stride_h, p->stride_w, p->pad_h, p->pad_w, p->dil_h, p->dil_w,
            plan.OH, plan.OW};
    if (plan.chunk_bytes == 0) return 0; /* no image */
    col = mien_k_mem.alloc(plan.chunk_bytes);
    if (!col) return mien_k_fail("conv2d: out of device memory for %zu bytes of columns", plan.chunk_bytes);
    return 0;
  }
  const char *at(const void *base, int64_t elements) const { return (const char *)base + elements * (int64_t)es; }
  char *at(void *base, int64_t elements) const { return (char *)base + elements * (int64_t)es; }
  int im2col(const void *x, int64_t n0, int64_t images) {
    const int64_t n = images * plan.col_image;
    MIEN_K_DISPATCH_FLOAT(dtype, T, return MIEN_LAUNCH(im2col_kernel<T>, mien_k_blocks(n), MIEN_K_THREADS, nullptr,
                                                       geom, images, (const T *)at(x, n0 * plan.x_image), (T *)col));
    return 0;
  }
  int col2im(void *dx, int64_t n0, int64_t images) {
    const int64_t n = images * plan.x_image;
    MIEN_K_DISPATCH_FLOAT(dtype, T, return MIEN_LAUNCH(col2im_kernel<T>, mien_k_blocks(n), MIEN_K_THREADS, nullptr,
                                                       geom, images, (const T *)col, (T *)at(dx, n0 * plan.x_image)));
    return 0;
  }
  int gemm(mien_im2col_pass pass, int64_t images, const void *a, const void *b, double beta, void *c) {
    const mien_im2col_gemm g = mien_im2col_gemm_of(&plan, pass, images);
    return mien_cuda_gemm_batched(dtype, g.trans_a, g.trans_b, g.M, g.N, g.K, 1.0, a, g.lda, g.stride_a, b, g.ldb,
                                  g.stride_b, beta, c, g.ldc, g.stride_c, g.batch);
  }
  /* The images of one GEMM call within a chunk: all of them, or one at a time. */
  int64_t per_call(mien_im2col_pass pass, int64_t images) const {
    return plan.groups == 1 && pass != MIEN_IM2COL_FILTER ? images : 1;
  }
};

/* y [N,C,OH,OW] as a strided operand, and the bias [C] broadcast over it. */
void y_and_bias(const mien_conv2d_params *p, mien_dtype dtype, void *y, const void *bias, mien_strided *sy,
                mien_strided *sb) {
  const int64_t oh = (p->H + 2 * p->pad_h - p->dil_h * (p->KH - 1) - 1) / p->stride_h + 1;
  const int64_t ow = (p->W + 2 * p->pad_w - p->dil_w * (p->KW - 1) - 1) / p->stride_w + 1;
  const int64_t shape[4] = {p->N, p->C_out, oh, ow};
  *sy = mien_strided{};
  sy->data = y, sy->dtype = dtype, sy->ndim = 4;
  for (int d = 0; d < 4; d++) sy->shape[d] = shape[d];
  sy->stride[3] = 1, sy->stride[2] = ow, sy->stride[1] = oh * ow, sy->stride[0] = p->C_out * oh * ow;
  *sb = *sy;
  sb->data = (void *)bias;
  sb->stride[0] = 0, sb->stride[1] = 1, sb->stride[2] = 0, sb->stride[3] = 0;
}

}  // namespace

/* y += bias over [N, C_out, OH, OW] (the cuDNN path's bias too). */
extern "C" int mien_cuda_conv2d_add_bias(const mien_conv2d_params *p, mien_dtype dtype, const void *bias, void *y) {
  mien_strided sy, sb;
  y_and_bias(p, dtype, y, bias, &sy, &sb);
  return mien_cuda_binary(MIEN_ADD, &sy, &sy, &sb);
}

extern "C" int mien_cuda_conv2d_forward(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *w,
                                        const void *bias, void *y) {
  conv_job j;
  if (j.begin(p, dtype) != 0) return -1;
  const int64_t chunk = j.plan.images_per_chunk;
  for (int64_t n0 = 0; n0 < p->N; n0 += chunk) {
    const int64_t nb = p->N - n0 < chunk ? p->N - n0 : chunk, step = j.per_call(MIEN_IM2COL_FORWARD, nb);
    if (j.im2col(x, n0, nb) != 0) return -1;
    for (int64_t i = 0; i < nb; i += step)
      if (j.gemm(MIEN_IM2COL_FORWARD, step, w, j.at(j.col, i * j.plan.col_image), 0.0,
                 j.at(y, (n0 + i) * j.plan.y_image)) != 0)
        return -1;
  }
  return bias ? mien_cuda_conv2d_add_bias(p, dtype, bias, y) : 0;
}

extern "C" int mien_cuda_conv2d_backward_input(const mien_conv2d_params *p, mien_dtype dtype, const void *dy,
                                               const void *w, void *dx) {
  conv_job j;
  if (j.begin(p, dtype) != 0) return -1;
  const int64_t chunk = j.plan.images_per_chunk;
  for (int64_t n0 = 0; n0 < p->N; n0 += chunk) {
    const int64_t nb = p->N - n0 < chunk ? p->N - n0 : chunk, step = j.per_call(MIEN_IM2COL_DATA, nb);
    for (int64_t i = 0; i < nb; i += step)
      if (j.gemm(MIEN_IM2COL_DATA, step, w, j.at(dy, (n0 + i) * j.plan.y_image), 0.0,
                 j.at(j.col, i * j.plan.col_image)) != 0)
        return -1;
    if (j.col2im(dx, n0, nb) != 0) return -1;
  }
  return 0;
}

extern "C" int mien_cuda_conv2d_backward_weight(const mien_conv2d_params *p, mien_dtype dtype, const void *x,
                                                const void *dy, void *dw) {
  conv_job j;
  if (j.begin(p, dtype) != 0) return -1;
  if (p->N == 0) { /* no image: the gradient is 0 */
    const int64_t n = p->C_out * j.plan.kg;
    mien_strided s = mien_strided{};
    s.data = dw, s.dtype = dtype, s.ndim = 1, s.shape[0] = n, s.stride[0] = 1;
    return mien_cuda_fill(&s, 0.0);
  }
  const int64_t chunk = j.plan.images_per_chunk;
  for (int64_t n0 = 0; n0 < p->N; n0 += chunk) {
    const int64_t nb = p->N - n0 < chunk ? p->N - n0 : chunk;
    if (j.im2col(x, n0, nb) != 0) return -1;
    for (int64_t i = 0; i < nb; i++) /* the first image overwrites dw, the rest add to it */
      if (j.gemm(MIEN_IM2COL_FILTER, 1, j.at(dy, (n0 + i) * j.plan.y_image), j.at(j.col, i * j.plan.col_image),
                 n0 + i == 0 ? 0.0 : 1.0, dw) != 0)
        return -1;
  }
  return 0;
}

extern "C" int mien_cuda_conv2d_backward_bias(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, void *db) {
  mien_strided sdy, sdb;
  y_and_bias(p, dtype, (void *)dy, db, &sdy, &sdb);
  sdb.shape[0] = sdb.shape[2] = sdb.shape[3] = 1; /* [1,C,1,1] */
  const bool reduced[4] = {true, false, true, true};
  return mien_cuda_reduce(MIEN_SUM, &sdb, &sdy, reduced);
}
