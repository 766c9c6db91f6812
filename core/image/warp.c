/* Affine warping of HWC uint8 images (face alignment and cropping). */
#include <math.h>
#include <stdint.h>

#include "error.h"
#include "pixel.h"
#include "transform.h"

int mien_warp_affine_u8(const uint8_t *src, int sh, int sw, int c, const double m[6], uint8_t *dst, int dh, int dw,
                        int zero_border) {
  if (sh <= 0 || sw <= 0 || c <= 0 || dh <= 0 || dw <= 0) {
    mien_set_error("warp_affine: sizes must be positive, got source %dx%dx%d and output %dx%d", sh, sw, c, dh, dw);
    return -1;
  }
  for (int k = 0; k < 6; k++) {
    if (!isfinite(m[k])) {
      mien_set_error("warp_affine: matrix entry #%d is not finite", k);
      return -1;
    }
  }
  for (int dy = 0; dy < dh; dy++) {
    double Y = dy + 0.5;
    for (int dx = 0; dx < dw; dx++) {
      double X = dx + 0.5;
      float xs = (float)(m[0] * X + m[1] * Y + m[2]), ys = (float)(m[3] * X + m[4] * Y + m[5]);
      uint8_t *out = dst + ((int64_t)dy * dw + dx) * c;
      if (zero_border && (xs < 0.0f || xs > (float)sw || ys < 0.0f || ys > (float)sh)) {
        for (int k = 0; k < c; k++) out[k] = 0;
        continue;
      }
      xs = mien_clampf(xs - 0.5f, 0.0f, (float)(sw - 1));
      ys = mien_clampf(ys - 0.5f, 0.0f, (float)(sh - 1));
      int x0 = (int)xs, y0 = (int)ys;
      int x1 = x0 + (x0 < sw - 1), y1 = y0 + (y0 < sh - 1);
      float tx = xs - (float)x0, ty = ys - (float)y0;
      const uint8_t *r0 = src + (int64_t)y0 * sw * c, *r1 = src + (int64_t)y1 * sw * c;
      for (int k = 0; k < c; k++) {
        float p00 = r0[x0 * c + k], p01 = r0[x1 * c + k], p10 = r1[x0 * c + k], p11 = r1[x1 * c + k];
        float top = p00 + (p01 - p00) * tx, bottom = p10 + (p11 - p10) * tx;
        out[k] = (uint8_t)(top + (bottom - top) * ty + 0.5f);
      }
    }
  }
  return 0;
}
