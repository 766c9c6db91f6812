/* Augmentation parameters: defaults, validation, and the per-image draw. */
#include <math.h>

#include "augment.h"
#include "error.h"
#include "rng.h"

mien_augment_params mien_augment_defaults(int out_h, int out_w, int out_channels) {
  mien_augment_params p = {0};
  p.zoom_lo = p.zoom_hi = 1.0f;
  p.contrast_lo = p.contrast_hi = 1.0f;
  p.erase_area_lo = 0.02f;
  p.erase_area_hi = 0.33f;
  p.erase_ratio_lo = 0.3f;
  p.erase_ratio_hi = 3.3f;
  p.border = MIEN_BORDER_REPLICATE;
  p.out_h = out_h;
  p.out_w = out_w;
  p.out_channels = out_channels;
  for (int k = 0; k < 3; k++) p.std[k] = 1.0f;
  return p;
}

static int bad(const char *what, double lo, double hi) {
  mien_set_error("augment: %s (got %g, %g)", what, lo, hi);
  return -1;
}

/* !(x >= 0) also catches NaN. */
int mien_augment_check(const mien_augment_params *p) {
  if (p->out_h <= 0 || p->out_w <= 0 || (p->out_channels != 1 && p->out_channels != 3)) {
    mien_set_error("augment: invalid output shape %dx%d with %d channels (want 1 or 3)", p->out_h, p->out_w,
                   p->out_channels);
    return -1;
  }
  if (!(p->rotate_deg >= 0 && p->rotate_deg <= 180)) return bad("rotate_deg must be in [0, 180]", p->rotate_deg, 0);
  if (!(p->shear_deg >= 0 && p->shear_deg < 90)) return bad("shear_deg must be in [0, 90)", p->shear_deg, 0);
  if (!(p->zoom_lo > 0 && p->zoom_lo <= p->zoom_hi && isfinite(p->zoom_hi)))
    return bad("zoom range must satisfy 0 < lo <= hi", p->zoom_lo, p->zoom_hi);
  if (!(p->translate_x >= 0 && p->translate_y >= 0 && isfinite(p->translate_x) && isfinite(p->translate_y)))
    return bad("translate fractions must be >= 0", p->translate_x, p->translate_y);
  if (!(p->flip_prob >= 0 && p->flip_prob <= 1)) return bad("flip_prob must be in [0, 1]", p->flip_prob, 0);
  if (p->border != MIEN_BORDER_REPLICATE && p->border != MIEN_BORDER_ZERO)
    return bad("border must be MIEN_BORDER_REPLICATE or MIEN_BORDER_ZERO", p->border, 0);
  if (!(p->brightness >= 0 && isfinite(p->brightness))) return bad("brightness must be >= 0", p->brightness, 0);
  if (!(p->contrast_lo >= 0 && p->contrast_lo <= p->contrast_hi && isfinite(p->contrast_hi)))
    return bad("contrast range must satisfy 0 <= lo <= hi", p->contrast_lo, p->contrast_hi);
  if (!(p->erase_prob >= 0 && p->erase_prob <= 1)) return bad("erase_prob must be in [0, 1]", p->erase_prob, 0);
  if (!(p->erase_area_lo > 0 && p->erase_area_lo <= p->erase_area_hi && p->erase_area_hi <= 1))
    return bad("erase area range must satisfy 0 < lo <= hi <= 1", p->erase_area_lo, p->erase_area_hi);
  if (!(p->erase_ratio_lo > 0 && p->erase_ratio_lo <= p->erase_ratio_hi && isfinite(p->erase_ratio_hi)))
    return bad("erase ratio range must satisfy 0 < lo <= hi", p->erase_ratio_lo, p->erase_ratio_hi);
  for (int k = 0; k < p->out_channels; k++)
    if (!(p->std[k] > 0 && isfinite(p->std[k]) && isfinite(p->mean[k])))
      return bad("each channel needs a finite mean and std > 0", p->mean[k], p->std[k]);
  return 0;
}

static double uniform(uint32_t word, double lo, double hi) { return lo + (hi - lo) * (double)mien_unit_float(word); }
static double symmetric(uint32_t word, double r) { return r * (2.0 * (double)mien_unit_float(word) - 1.0); }

/* Round a box side to the nearest integer in [1, limit], in double so a huge
 * aspect ratio can't overflow the int conversion. */
static int box_side(double side, int limit) { return (int)fmax(1.0, fmin(floor(side + 0.5), (double)limit)); }

void mien_augment_draw_image(const mien_augment_params *p, int src_h, int src_w, uint64_t seed, uint64_t base,
                             int64_t i, mien_augment_draw *draw) {
  const double deg = 3.14159265358979323846 / 180.0;
  uint64_t block = base + (uint64_t)i * MIEN_AUGMENT_BLOCKS_PER_IMAGE;
  uint32_t g[4], ph[4];
  mien_philox(seed, block, g);
  mien_philox(seed, block + 1, ph);

  draw->flip = mien_unit_float(g[0]) < p->flip_prob;
  double theta = symmetric(g[1], p->rotate_deg) * deg, phi = symmetric(g[2], p->shear_deg) * deg;
  double zoom = uniform(g[3], p->zoom_lo, p->zoom_hi);
  double shift_x = symmetric(ph[0], p->translate_x) * src_w, shift_y = symmetric(ph[1], p->translate_y) * src_h;

  /* Minv = (1/s) Sh^-1 R^T with Sh^-1 = [[1, -tan], [0, 1]], R^T = [[cos, sin], [-sin, cos]]. */
  double c = cos(theta), s = sin(theta), t = tan(phi);
  double m00 = (c + t * s) / zoom, m01 = (s - t * c) / zoom, m10 = -s / zoom, m11 = c / zoom;
  double kx = (float)src_w / (float)p->out_w, ky = (float)src_h / (float)p->out_h;
  double cx = src_w / 2.0 + shift_x, cy = src_h / 2.0 + shift_y;
  draw->a[0] = (float)(m00 * kx);
  draw->a[1] = (float)(m01 * ky);
  draw->a[2] = (float)(-(m00 * cx + m01 * cy) + src_w / 2.0 - 0.5);
  draw->a[3] = (float)(m10 * kx);
  draw->a[4] = (float)(m11 * ky);
  draw->a[5] = (float)(-(m10 * cx + m11 * cy) + src_h / 2.0 - 0.5);

  double gain = uniform(ph[3], p->contrast_lo, p->contrast_hi);
  draw->gain = (float)gain;
  draw->offset = (float)(0.5 * (1.0 - gain) + symmetric(ph[2], p->brightness));

  draw->erase_y = draw->erase_x = draw->erase_h = draw->erase_w = 0;
  if (p->erase_prob <= 0) return; /* the erase blocks would be drawn and ignored */
  uint32_t e[4], ex[4];
  mien_philox(seed, block + 2, e);
  mien_philox(seed, block + 3, ex);
  if (!(mien_unit_float(e[0]) < p->erase_prob)) return;
  double area = uniform(e[1], p->erase_area_lo, p->erase_area_hi) * p->out_h * p->out_w;
  double ratio = exp(uniform(e[2], log(p->erase_ratio_lo), log(p->erase_ratio_hi)));
  draw->erase_h = box_side(sqrt(area * ratio), p->out_h);
  draw->erase_w = box_side(sqrt(area / ratio), p->out_w);
  draw->erase_y = (int)floor(mien_unit_float(e[3]) * (double)(p->out_h - draw->erase_h + 1));
  draw->erase_x = (int)floor(mien_unit_float(ex[0]) * (double)(p->out_w - draw->erase_w + 1));
}
