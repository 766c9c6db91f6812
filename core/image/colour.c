/* Grey <-> RGB conversion of uint8 pixels. */
#include "transform.h"

void mien_grey_to_rgb_u8(const uint8_t *grey, int64_t npix, uint8_t *rgb) {
  for (int64_t i = 0; i < npix; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
}

void mien_rgb_to_grey_u8(const uint8_t *rgb, int64_t npix, uint8_t *grey) {
  for (int64_t i = 0; i < npix; i++) {
    const uint8_t *p = rgb + 3 * i;
    grey[i] = (uint8_t)((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768u) >> 16);
  }
}
