/* Batch data augmentation: uint8 [B,H,W,C] images (C = 1 or 3) -> float32
 * NCHW [B,out_channels,OH,OW], resize included. Every output pixel is a pure
 * function of its coordinates, its image's draw (below) and the source, so a
 * GPU kernel with one thread per output pixel reproduces it.
 *
 * Random numbers: the image at batch position i (0..B-1) draws from the
 * Philox blocks base + MIEN_AUGMENT_BLOCKS_PER_IMAGE*i + k, k = 0..3, so a
 * batch uses MIEN_AUGMENT_BLOCKS_PER_IMAGE*B blocks. A word w becomes
 * u = mien_unit_float(w) in [0,1); "U(lo,hi)" below means lo + (hi-lo)*u and
 * "U(+-r)" means r*(2u-1), both evaluated in double. Words:
 *   block 0: w0 flip (flip iff u < flip_prob), w1 rotation angle U(+-rotate_deg),
 *            w2 shear angle U(+-shear_deg), w3 zoom U(zoom_lo,zoom_hi)
 *   block 1: w0 shift x U(+-translate_x)*W, w1 shift y U(+-translate_y)*H,
 *            w2 brightness b U(+-brightness), w3 contrast g U(contrast_lo,contrast_hi)
 *   block 2: w0 erase (iff u < erase_prob), w1 area fraction U(erase_area_lo,hi),
 *            w2 aspect r = exp(U(log erase_ratio_lo, log erase_ratio_hi)), w3 erase y
 *   block 3: w0 erase x; w1..w3 unused
 *
 * Geometry (mien_augment_draw, in double, each a[k] rounded to float once).
 * In source pixel units centred on the image, the content moves by the
 * forward map p = s R(theta) Sh(phi) q + t (the flip then mirrors the output), with
 * R = [[cos, -sin], [sin, cos]] (y points down, so positive angles turn
 * clockwise on screen), Sh = [[1, tan phi], [0, 1]], s the zoom (> 1 enlarges),
 * t the shift. Inverting it, with Minv = (1/s) Sh^-1 R^T, kx = (float)W/(float)OW,
 * ky = (float)H/(float)OH (float divisions), cx = W/2 + t.x, cy = H/2 + t.y:
 *   a0 = Minv00*kx, a1 = Minv01*ky, a2 = -(Minv00*cx + Minv01*cy) + W/2 - 0.5
 *   a3 = Minv10*kx, a4 = Minv11*ky, a5 = -(Minv10*cx + Minv11*cy) + H/2 - 0.5
 * gain = g, offset = 0.5*(1-g) + b (contrast about mid-grey, then brightness).
 * Erase box: A = area*OH*OW, eh = clamp(floor(sqrt(A*r)+0.5), 1, OH),
 * ew = clamp(floor(sqrt(A/r)+0.5), 1, OW), ey = floor(u_y*(OH-eh+1)),
 * ex = floor(u_x*(OW-ew+1)).
 *
 * Per output pixel (oy, ox), all float, in this order:
 *   X = (flip ? OW-1-ox : ox) + 0.5f,  Y = oy + 0.5f
 *   xs = a0*X + (a1*Y + a2),  ys = a3*X + (a4*Y + a5)
 *   border ZERO: if xs < -0.5f || xs > W-0.5f || ys < -0.5f || ys > H-0.5f,
 *     every source channel samples as 0 (black; the image's own footprint
 *     keeps replicate edges, so an identity map never sees the border)
 *   else xs = min(max(xs, 0), W-1), ys likewise (clamping = edge replication)
 *   x0 = (int)xs, x1 = x0 + (x0 < W-1), tx = xs - x0 (y alike), and per
 *   source channel: top = p00 + (p01-p00)*tx, bot = p10 + (p11-p10)*tx,
 *   v = top + (bot-top)*ty  (p in 0..255; the mien_resize_f32 formula)
 *   RGB source, 1 output channel: v = 0.299f*R + 0.587f*G + 0.114f*B
 *   grey source, 3 output channels: the one v serves all three
 *   v = v * (1.0f/255.0f);  v = min(max(v*gain + offset, 0), 1)
 *   out[k] = (v - mean[k]) * (1.0f/std[k])
 *   inside the erase box (ey <= oy < ey+eh, ex <= ox < ex+ew): out[k] = 0,
 *   i.e. the channel mean.
 * With everything off (mien_augment_defaults) the draw is exactly a0 = kx,
 * a4 = ky, a2 = a5 = -0.5, a1 = a3 = 0, gain 1, offset 0, and the output
 * equals mien_resize_f32 (bilinear) of the image followed by v/255 and
 * (v - mean) / std as written above, bit for bit. */
#ifndef MIEN_IMAGE_AUGMENT_H
#define MIEN_IMAGE_AUGMENT_H

#include <stdint.h>

#define MIEN_AUGMENT_BLOCKS_PER_IMAGE 4

typedef enum mien_border {
  MIEN_BORDER_REPLICATE = 0, /* points outside the source take the nearest edge pixel */
  MIEN_BORDER_ZERO = 1       /* points outside the source are black (0 before normalising) */
} mien_border;

typedef struct mien_augment_params {
  float rotate_deg;               /* rotation angle U(+-rotate_deg) */
  float shear_deg;                /* horizontal shear angle U(+-shear_deg), < 90 */
  float zoom_lo, zoom_hi;         /* scale U(zoom_lo, zoom_hi), > 0 */
  float translate_x, translate_y; /* shift U(+-t) as a fraction of the width / height */
  float flip_prob;                /* horizontal flip */
  mien_border border;
  float brightness;               /* added to v in [0,1]: U(+-brightness) */
  float contrast_lo, contrast_hi; /* gain about 0.5: U(lo, hi), >= 0 */
  float erase_prob;               /* random erasing of one box per image */
  float erase_area_lo, erase_area_hi;   /* box area / output area, in (0,1] */
  float erase_ratio_lo, erase_ratio_hi; /* box height / width, > 0 */
  int out_h, out_w;
  int out_channels;               /* 1 or 3 */
  float mean[3], std[3];          /* per output channel; std > 0 */
} mien_augment_params;

/* Everything off (zoom and contrast 1, no flip, erase, shift...), replicate
 * border, mean 0, std 1, erase area [0.02, 0.33], ratio [0.3, 3.3]. */
mien_augment_params mien_augment_defaults(int out_h, int out_w, int out_channels);

/* Returns -1 with an error naming the bad field, else 0. */
int mien_augment_check(const mien_augment_params *p);

/* One image's random draw, as documented above. */
typedef struct mien_augment_draw {
  float a[6];
  int flip;
  float gain, offset;
  int erase_y, erase_x, erase_h, erase_w; /* erase_h = erase_w = 0: no box */
} mien_augment_draw;

/* The draw of batch position i for a src_h x src_w source; p must pass
 * mien_augment_check. */
void mien_augment_draw_image(const mien_augment_params *p, int src_h, int src_w, uint64_t seed, uint64_t base,
                             int64_t i, mien_augment_draw *draw);

/* Augment a batch into out [batch, out_channels, out_h, out_w]. Image i is
 * src[indices[i]] of the n_src images [n_src,h,w,c] in src, or src[i] when
 * indices is NULL (then batch <= n_src). OpenMP over images. Returns -1 for
 * bad params, shapes or an index out of range, else 0. */
int mien_augment_batch(const mien_augment_params *p, const uint8_t *src, int64_t n_src, int h, int w, int c,
                       const int64_t *indices, int64_t batch, uint64_t seed, uint64_t base, float *out);

#endif
