/* Pixel transforms on row-major HWC images: colour conversion, resizing
 * and affine warping. */
#ifndef MIEN_IMAGE_TRANSFORM_H
#define MIEN_IMAGE_TRANSFORM_H

#include <stdint.h>

/* npix pixels. Grey -> RGB replicates; RGB -> grey uses the ITU-R BT.601
 * weights in 16-bit fixed point, rounded:
 *   Y = (19595 R + 38470 G + 7471 B + 32768) >> 16   (0.299, 0.587, 0.114). */
void mien_grey_to_rgb_u8(const uint8_t *grey, int64_t npix, uint8_t *rgb);
void mien_rgb_to_grey_u8(const uint8_t *rgb, int64_t npix, uint8_t *grey);

typedef enum mien_resize_mode {
  /* Half-pixel centres (align_corners=false, as OpenCV INTER_LINEAR and
   * PyTorch): source x = (dx + 0.5) * (sw / dw) - 0.5, clamped to
   * [0, sw-1] (edge replication); then x0 = floor(x), x1 = min(x0+1, sw-1),
   * t = x - x0 and, with the same along y,
   *   top = p(y0,x0) + (p(y0,x1) - p(y0,x0)) * tx, bottom likewise on row y1,
   *   value = top + (bottom - top) * ty            (all in float). */
  MIEN_RESIZE_BILINEAR = 0,
  /* Box filter: each output pixel is the mean of the source area it covers,
   * fractional pixels weighted by overlap. Meant for downscaling; upscaling
   * with it gives near-nearest-neighbour results. */
  MIEN_RESIZE_AREA = 1
} mien_resize_mode;

/* Resize src [sh,sw,c] into dst [dh,dw,c]. The uint8 form computes in float
 * and rounds to nearest. Returns -1 (error names the shapes) for non-positive
 * sizes or an unknown mode, or if scratch memory can't be had. */
int mien_resize_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, mien_resize_mode mode);
int mien_resize_f32(const float *src, int sh, int sw, int c, float *dst, int dh, int dw, mien_resize_mode mode);

/* Affine warp of src [sh,sw,c] into dst [dh,dw,c]. m maps output pixel
 * centres to source coordinates (both in pixel units with the origin at the
 * top-left corner of the first pixel, so a pixel's centre is at x + 0.5):
 *   xs = m[0]*X + m[1]*Y + m[2],  ys = m[3]*X + m[4]*Y + m[5],
 *   X = dx + 0.5, Y = dy + 0.5.
 * The point is sampled bilinearly at (xs - 0.5, ys - 0.5) as in
 * mien_resize_u8 (edge replication inside the source); a point outside the
 * source's footprint is black when zero_border is set, else takes the
 * nearest edge pixel. Values round to nearest. Returns -1 (error names the
 * shapes) for non-positive sizes. */
int mien_warp_affine_u8(const uint8_t *src, int sh, int sw, int c, const double m[6], uint8_t *dst, int dh, int dw,
                        int zero_border);

#endif
