/* Resize (bilinear and area) and affine warp of HWC images, one thread per
 * output pixel (all its channels). Each pixel body is the formula of
 * core/image/transform.h with the CPU's float operations in the CPU's order
 * (core/image/resize.c, warp.c), and the build passes --fmad=false, so the
 * results are the CPU's bit for bit (tests/cuda/emu_kernels.cpp checks it).
 * uint8 sources are read as float and results rounded as the CPU does. */
#include "common.cuh"

MIEN_HD float mien_k_img_clamp(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}
template <class T>
MIEN_HD float mien_k_img_load(const T *p, int64_t i) { return (float)p[i]; }
/* The CPU's uint8 rounding: v + 0.5f clamped to [0, 255], truncated. */
MIEN_HD void mien_k_img_store(uint8_t *p, int64_t i, float v) {
  v = v + 0.5f;
  p[i] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
}
MIEN_HD void mien_k_img_store(float *p, int64_t i, float v) { p[i] = v; }

/* Bilinear, half-pixel centres: output pixel (dy, dx), every channel. */
template <class T>
MIEN_HD void mien_k_resize_bilinear_pixel(const T *src, int sh, int sw, int c, T *dst, int dh, int dw, int dy, int dx) {
  const float scale_x = (float)sw / (float)dw, scale_y = (float)sh / (float)dh;
  const float sy = mien_k_img_clamp(((float)dy + 0.5f) * scale_y - 0.5f, 0.0f, (float)(sh - 1));
  const float sx = mien_k_img_clamp(((float)dx + 0.5f) * scale_x - 0.5f, 0.0f, (float)(sw - 1));
  const int y0 = (int)sy, y1 = y0 + (y0 < sh - 1), x0 = (int)sx, x1 = x0 + (x0 < sw - 1);
  const float ty = sy - (float)y0, tx = sx - (float)x0;
  const int64_t r0 = (int64_t)y0 * sw * c, r1 = (int64_t)y1 * sw * c, out = ((int64_t)dy * dw + dx) * c;
  for (int k = 0; k < c; k++) {
    const float p00 = mien_k_img_load(src, r0 + x0 * c + k), p01 = mien_k_img_load(src, r0 + x1 * c + k);
    const float p10 = mien_k_img_load(src, r1 + x0 * c + k), p11 = mien_k_img_load(src, r1 + x1 * c + k);
    const float top = p00 + (p01 - p00) * tx, bottom = p10 + (p11 - p10) * tx;
    mien_k_img_store(dst, out + k, top + (bottom - top) * ty);
  }
}

/* Area taps along one axis (resize.c's area_taps_build, one output at a
 * time): output d covers source [d*n_src, (d+1)*n_src) in units of 1/n_dst
 * pixels; tap j weighs its overlap / n_src. */
MIEN_HD int mien_k_area_first(int d, int n_src, int n_dst) { return (int)((int64_t)d * n_src / n_dst); }
MIEN_HD int mien_k_area_end(int d, int n_src, int n_dst) {
  return (int)(((int64_t)d * n_src + n_src + n_dst - 1) / n_dst);
}
MIEN_HD float mien_k_area_weight(int d, int j, int n_src, int n_dst) {
  const int64_t lo = (int64_t)d * n_src, hi = lo + n_src, start = (int64_t)j * n_dst, end = start + n_dst;
  const int64_t overlap = (hi < end ? hi : end) - (lo > start ? lo : start);
  return (float)((double)overlap / n_src);
}

/* Area (box filter): rows first, then columns, as the CPU's separable pass. */
template <class T>
MIEN_HD void mien_k_resize_area_pixel(const T *src, int sh, int sw, int c, T *dst, int dh, int dw, int dy, int dx) {
  const int fx = mien_k_area_first(dx, sw, dw), ex = mien_k_area_end(dx, sw, dw);
  const int fy = mien_k_area_first(dy, sh, dh), ey = mien_k_area_end(dy, sh, dh);
  for (int k = 0; k < c; k++) {
    float acc = 0.0f;
    for (int y = fy; y < ey; y++) {
      float row = 0.0f;
      for (int x = fx; x < ex; x++)
        row += mien_k_area_weight(dx, x, sw, dw) * mien_k_img_load(src, ((int64_t)y * sw + x) * c + k);
      acc += mien_k_area_weight(dy, y, sh, dh) * row;
    }
    mien_k_img_store(dst, ((int64_t)dy * dw + dx) * c + k, acc);
  }
}

/* Affine warp of output pixel (dy, dx), every channel (warp.c). */
MIEN_HD void mien_k_warp_affine_pixel(const uint8_t *src, int sh, int sw, int c, const double *m, uint8_t *dst, int dw,
                                      int zero_border, int dy, int dx) {
  const double X = dx + 0.5, Y = dy + 0.5;
  float xs = (float)(m[0] * X + m[1] * Y + m[2]), ys = (float)(m[3] * X + m[4] * Y + m[5]);
  uint8_t *out = dst + ((int64_t)dy * dw + dx) * c;
  if (zero_border && (xs < 0.0f || xs > (float)sw || ys < 0.0f || ys > (float)sh)) {
    for (int k = 0; k < c; k++) out[k] = 0;
    return;
  }
  xs = mien_k_img_clamp(xs - 0.5f, 0.0f, (float)(sw - 1));
  ys = mien_k_img_clamp(ys - 0.5f, 0.0f, (float)(sh - 1));
  const int x0 = (int)xs, y0 = (int)ys, x1 = x0 + (x0 < sw - 1), y1 = y0 + (y0 < sh - 1);
  const float tx = xs - (float)x0, ty = ys - (float)y0;
  const uint8_t *r0 = src + (int64_t)y0 * sw * c, *r1 = src + (int64_t)y1 * sw * c;
  for (int k = 0; k < c; k++) {
    const float p00 = r0[x0 * c + k], p01 = r0[x1 * c + k], p10 = r1[x0 * c + k], p11 = r1[x1 * c + k];
    const float top = p00 + (p01 - p00) * tx, bottom = p10 + (p11 - p10) * tx;
    out[k] = (uint8_t)(top + (bottom - top) * ty + 0.5f);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS)
    resize_bilinear_kernel(const T *src, int sh, int sw, int c, T *dst, int dh, int dw) {
  MIEN_GRID_LOOP(i, (int64_t)dh * dw) mien_k_resize_bilinear_pixel(src, sh, sw, c, dst, dh, dw, (int)(i / dw), (int)(i % dw));
}
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS)
    resize_area_kernel(const T *src, int sh, int sw, int c, T *dst, int dh, int dw) {
  MIEN_GRID_LOOP(i, (int64_t)dh * dw) mien_k_resize_area_pixel(src, sh, sw, c, dst, dh, dw, (int)(i / dw), (int)(i % dw));
}

struct warp_matrix {
  double m[6];
};

__global__ void __launch_bounds__(MIEN_K_THREADS) warp_affine_kernel(const uint8_t *src, int sh, int sw, int c,
                                                                     warp_matrix m, uint8_t *dst, int dh, int dw,
                                                                     int zero_border) {
  MIEN_GRID_LOOP(i, (int64_t)dh * dw) {
    mien_k_warp_affine_pixel(src, sh, sw, c, m.m, dst, dw, zero_border, (int)(i / dw), (int)(i % dw));
  }
}

extern "C" int mien_cuda_resize(mien_dtype dtype, const void *src, int sh, int sw, int c, void *dst, int dh, int dw,
                                mien_resize_mode mode) {
  if (sh <= 0 || sw <= 0 || c <= 0 || dh <= 0 || dw <= 0)
    return mien_k_fail("resize: invalid shape %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
  if (mode != MIEN_RESIZE_BILINEAR && mode != MIEN_RESIZE_AREA) return mien_k_fail("resize: unknown mode %d", (int)mode);
  const unsigned blocks = mien_k_blocks((int64_t)dh * dw);
  const bool area = mode == MIEN_RESIZE_AREA;
  if (dtype == MIEN_UINT8) {
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst;
    return area ? MIEN_LAUNCH(resize_area_kernel<uint8_t>, blocks, MIEN_K_THREADS, nullptr, s, sh, sw, c, d, dh, dw)
                : MIEN_LAUNCH(resize_bilinear_kernel<uint8_t>, blocks, MIEN_K_THREADS, nullptr, s, sh, sw, c, d, dh, dw);
  }
  if (dtype == MIEN_FLOAT32) {
    const float *s = (const float *)src;
    float *d = (float *)dst;
    return area ? MIEN_LAUNCH(resize_area_kernel<float>, blocks, MIEN_K_THREADS, nullptr, s, sh, sw, c, d, dh, dw)
                : MIEN_LAUNCH(resize_bilinear_kernel<float>, blocks, MIEN_K_THREADS, nullptr, s, sh, sw, c, d, dh, dw);
  }
  return mien_k_fail("resize: the cuda kernel takes uint8 or float32, not dtype %d", (int)dtype);
}

extern "C" int mien_cuda_warp_affine(const uint8_t *src, int sh, int sw, int c, const double m[6], uint8_t *dst, int dh,
                                     int dw, int zero_border) {
  if (sh <= 0 || sw <= 0 || c <= 0 || dh <= 0 || dw <= 0)
    return mien_k_fail("warp_affine: sizes must be positive, got source %dx%dx%d and output %dx%d", sh, sw, c, dh, dw);
  warp_matrix wm;
  for (int k = 0; k < 6; k++) {
    if (!isfinite(m[k])) return mien_k_fail("warp_affine: matrix entry #%d is not finite", k);
    wm.m[k] = m[k]; /* m is a host array: it travels by value */
  }
  return MIEN_LAUNCH(warp_affine_kernel, mien_k_blocks((int64_t)dh * dw), MIEN_K_THREADS, nullptr, src, sh, sw, c, wm,
                     dst, dh, dw, zero_border);
}
