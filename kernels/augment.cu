/* The augmentation kernel: core/image/augment.h specifies every output pixel
 * as a function of its coordinates, its image's draw and the source; this is
 * that specification with one thread per image for the draw and one thread
 * per output pixel (all its channels) for the rest. The float operations are
 * the CPU's, in its order, and the build passes --fmad=false, so no multiply
 * and add are fused: the same seed gives the same batch on either device. */
#include "common.cuh"
#include "philox.cuh"

MIEN_HD double mien_k_aug_uniform(uint32_t w, double lo, double hi) { return lo + (hi - lo) * (double)mien_k_unit_float(w); }
MIEN_HD double mien_k_aug_symmetric(uint32_t w, double r) { return r * (2.0 * (double)mien_k_unit_float(w) - 1.0); }
MIEN_HD int mien_k_aug_box_side(double side, int limit) { return (int)fmax(1.0, fmin(floor(side + 0.5), (double)limit)); }
MIEN_HD float mien_k_clampf(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* mien_augment_draw_image, from the words listed in augment.h. */
MIEN_HD void mien_k_augment_draw(const mien_augment_params &p, int src_h, int src_w, uint64_t seed, uint64_t base,
                                 int64_t i, mien_augment_draw *d) {
  const double deg = 3.14159265358979323846 / 180.0;
  const uint64_t block = base + (uint64_t)i * MIEN_AUGMENT_BLOCKS_PER_IMAGE;
  const mien_philox_words g = mien_k_philox(seed, block), ph = mien_k_philox(seed, block + 1);
  d->flip = mien_k_unit_float(g.w[0]) < p.flip_prob;
  const double theta = mien_k_aug_symmetric(g.w[1], p.rotate_deg) * deg;
  const double phi = mien_k_aug_symmetric(g.w[2], p.shear_deg) * deg;
  const double zoom = mien_k_aug_uniform(g.w[3], p.zoom_lo, p.zoom_hi);
  const double shift_x = mien_k_aug_symmetric(ph.w[0], p.translate_x) * src_w;
  const double shift_y = mien_k_aug_symmetric(ph.w[1], p.translate_y) * src_h;
  const double c = cos(theta), s = sin(theta), t = tan(phi);
  const double m00 = (c + t * s) / zoom, m01 = (s - t * c) / zoom, m10 = -s / zoom, m11 = c / zoom;
  const double kx = (float)src_w / (float)p.out_w, ky = (float)src_h / (float)p.out_h;
  const double cx = src_w / 2.0 + shift_x, cy = src_h / 2.0 + shift_y;
  d->a[0] = (float)(m00 * kx);
  d->a[1] = (float)(m01 * ky);
  d->a[2] = (float)(-(m00 * cx + m01 * cy) + src_w / 2.0 - 0.5);
  d->a[3] = (float)(m10 * kx);
  d->a[4] = (float)(m11 * ky);
  d->a[5] = (float)(-(m10 * cx + m11 * cy) + src_h / 2.0 - 0.5);
  const double gain = mien_k_aug_uniform(ph.w[3], p.contrast_lo, p.contrast_hi);
  d->gain = (float)gain;
  d->offset = (float)(0.5 * (1.0 - gain) + mien_k_aug_symmetric(ph.w[2], p.brightness));
  d->erase_y = d->erase_x = d->erase_h = d->erase_w = 0;
  if (p.erase_prob <= 0) return;
  const mien_philox_words e = mien_k_philox(seed, block + 2), ex = mien_k_philox(seed, block + 3);
  if (!(mien_k_unit_float(e.w[0]) < p.erase_prob)) return;
  const double area = mien_k_aug_uniform(e.w[1], p.erase_area_lo, p.erase_area_hi) * p.out_h * p.out_w;
  const double ratio = exp(mien_k_aug_uniform(e.w[2], log(p.erase_ratio_lo), log(p.erase_ratio_hi)));
  d->erase_h = mien_k_aug_box_side(sqrt(area * ratio), p.out_h);
  d->erase_w = mien_k_aug_box_side(sqrt(area / ratio), p.out_w);
  d->erase_y = (int)floor(mien_k_unit_float(e.w[3]) * (double)(p.out_h - d->erase_h + 1));
  d->erase_x = (int)floor(mien_k_unit_float(ex.w[0]) * (double)(p.out_w - d->erase_w + 1));
}

/* Output pixel (oy, ox) of one image, every output channel, into out[k * plane]. */
MIEN_HD void mien_k_augment_pixel(const mien_augment_params &p, const mien_augment_draw &d, const uint8_t *src, int h,
                                  int w, int c, int oy, int ox, float *out, int64_t plane) {
  const float X = (float)(d.flip ? p.out_w - 1 - ox : ox) + 0.5f, Y = (float)oy + 0.5f;
  float xs = d.a[0] * X + (d.a[1] * Y + d.a[2]), ys = d.a[3] * X + (d.a[4] * Y + d.a[5]);
  const bool outside = xs < -0.5f || xs > (float)w - 0.5f || ys < -0.5f || ys > (float)h - 0.5f;
  const float inside = p.border == MIEN_BORDER_ZERO && outside ? 0.0f : 1.0f;
  xs = mien_k_clampf(xs, 0.0f, (float)(w - 1));
  ys = mien_k_clampf(ys, 0.0f, (float)(h - 1));
  const int x0 = (int)xs, y0 = (int)ys;
  const float tx = xs - (float)x0, ty = ys - (float)y0;
  const int sx = x0 < w - 1 ? c : 0, sy = y0 < h - 1 ? w * c : 0;
  const uint8_t *q = src + ((int64_t)y0 * w + x0) * c;
  float v[3];
  for (int k = 0; k < c; k++) {
    const float p00 = q[k], p01 = q[k + sx], p10 = q[k + sy], p11 = q[k + sy + sx];
    const float top = p00 + (p01 - p00) * tx, bottom = p10 + (p11 - p10) * tx;
    v[k] = (top + (bottom - top) * ty) * inside;
  }
  if (c == 3 && p.out_channels == 1) v[0] = 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
  const bool erased = oy >= d.erase_y && oy < d.erase_y + d.erase_h && ox >= d.erase_x && ox < d.erase_x + d.erase_w;
  for (int k = 0; k < p.out_channels; k++) {
    const float g = mien_k_clampf(v[c == 1 ? 0 : k] * (1.0f / 255.0f) * d.gain + d.offset, 0.0f, 1.0f);
    out[k * plane] = erased ? 0.0f : (g - p.mean[k]) * (1.0f / p.std[k]);
  }
}

__global__ void __launch_bounds__(MIEN_K_THREADS) augment_draw_kernel(mien_augment_params p, int h, int w,
                                                                      uint64_t seed, uint64_t base, int64_t batch,
                                                                      mien_augment_draw *draws) {
  MIEN_GRID_LOOP(i, batch) mien_k_augment_draw(p, h, w, seed, base, i, &draws[i]);
}

__global__ void __launch_bounds__(MIEN_K_THREADS) augment_pixel_kernel(mien_augment_params p, const uint8_t *src,
                                                                       int h, int w, int c, const int64_t *indices,
                                                                       int64_t batch, const mien_augment_draw *draws,
                                                                       float *out) {
  const int64_t plane = (int64_t)p.out_h * p.out_w;
  MIEN_GRID_LOOP(i, batch * plane) {
    const int64_t b = i / plane, at = i % plane, image = indices ? indices[b] : b;
    mien_k_augment_pixel(p, draws[b], src + image * h * w * c, h, w, c, (int)(at / p.out_w), (int)(at % p.out_w),
                         out + b * p.out_channels * plane + at, plane);
  }
}

/* Shapes and params are checked by the op layer (mien_augment_check). */
extern "C" int mien_cuda_augment_batch(const mien_augment_params *p, const uint8_t *src, int64_t n_src, int h, int w,
                                       int c, const int64_t *indices, int64_t batch, uint64_t seed, uint64_t base,
                                       float *out) {
  (void)n_src;
  if (batch == 0) return 0;
  const size_t bytes = sizeof(mien_augment_draw) * (size_t)batch;
  mien_augment_draw *draws = (mien_augment_draw *)mien_k_mem.alloc(bytes);
  if (!draws) return mien_k_fail("augment: out of device memory for %lld draws", (long long)batch);
  int rc = MIEN_LAUNCH(augment_draw_kernel, mien_k_blocks(batch), MIEN_K_THREADS, nullptr, *p, h, w, seed, base,
                       batch, draws);
  if (rc == 0)
    rc = MIEN_LAUNCH(augment_pixel_kernel, mien_k_blocks(batch * p->out_h * p->out_w), MIEN_K_THREADS, nullptr, *p,
                     src, h, w, c, indices, batch, draws, out);
  mien_k_mem.free(draws, bytes);
  return rc;
}
