/* Helpers shared by the pixel kernels of core/image (internal). */
#ifndef MIEN_IMAGE_PIXEL_H
#define MIEN_IMAGE_PIXEL_H

/* v clamped to [lo, hi] (lo <= hi). Ternaries rather than fminf/fmaxf, which
 * GCC turns into libm calls without -ffinite-math-only; the values are never
 * NaN. Two steps, so that the loops using it vectorise. */
static inline float mien_clampf(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

#endif
