/* The augmentation kernel: inverse-affine bilinear sampling, photometric
 * gain/offset, normalisation and erasing, one image per OpenMP iteration.
 * The per-pixel formula is specified in augment.h; keep the two in step. */
#include "augment.h"

#include <limits.h>
#include <stddef.h>

#include "error.h"
#include "pixel.h"

typedef struct image_job {
  const uint8_t *src; /* [h,w,c] */
  int h, w, c;
  const mien_augment_draw *draw;
  const mien_augment_params *p;
  float *out; /* [out_channels, out_h, out_w] */
} image_job;

/* A row is done in chunks of CHUNK pixels and three passes (taps, samples,
 * normalisation), so the first and last vectorise; every pixel still gets
 * exactly the float operations listed in augment.h. */
#define CHUNK 64

typedef struct taps {
  int at[CHUNK];         /* offset of p00 in the source: (y0*w + x0)*c */
  int step_x[CHUNK];     /* offset of p01 from p00: c, or 0 on the last column */
  int step_y[CHUNK];     /* offset of p10 from p00: w*c, or 0 on the last row */
  float tx[CHUNK], ty[CHUNK];
  float inside[CHUNK];   /* 0 where the zero border applies, else 1 */
} taps;

static inline void compute_taps(const image_job *j, const mien_augment_draw *d, int c, float row_x, float row_y,
                                int x_begin, int n, taps *t) {
  const int w = j->w, h = j->h, ow = j->p->out_w, flip = d->flip;
  const int zero_border = j->p->border == MIEN_BORDER_ZERO;
  const float a0 = d->a[0], a3 = d->a[3];
  const float x_max = (float)(w - 1), y_max = (float)(h - 1);
  const float x_edge = (float)w - 0.5f, y_edge = (float)h - 0.5f;
  for (int i = 0; i < n; i++) {
    int ox = x_begin + i;
    float x = (float)(flip ? ow - 1 - ox : ox) + 0.5f;
    float xs = a0 * x + row_x, ys = a3 * x + row_y;
    int outside = xs < -0.5f || xs > x_edge || ys < -0.5f || ys > y_edge;
    t->inside[i] = zero_border && outside ? 0.0f : 1.0f;
    xs = mien_clampf(xs, 0.0f, x_max);
    ys = mien_clampf(ys, 0.0f, y_max);
    int x0 = (int)xs, y0 = (int)ys;
    t->tx[i] = xs - (float)x0;
    t->ty[i] = ys - (float)y0;
    t->at[i] = (y0 * w + x0) * c;
    t->step_x[i] = x0 < w - 1 ? c : 0;
    t->step_y[i] = y0 < h - 1 ? w * c : 0;
  }
}

/* v[i] = bilinear sample of source channel k, 0 outside a zero border
 * (v >= 0, so v * 0 is exactly 0 and v * 1 is v). */
static inline void sample_channel(const uint8_t *src, const taps *t, int k, int n, float *v) {
  for (int i = 0; i < n; i++) {
    const uint8_t *q = src + t->at[i] + k;
    int sx = t->step_x[i], sy = t->step_y[i];
    float p00 = q[0], p01 = q[sx], p10 = q[sy], p11 = q[sy + sx];
    float top = p00 + (p01 - p00) * t->tx[i], bottom = p10 + (p11 - p10) * t->tx[i];
    v[i] = (top + (bottom - top) * t->ty[i]) * t->inside[i];
  }
}

static inline void normalise(const float *v, int n, float gain, float offset, float mean, float inv_std, float *out) {
  for (int i = 0; i < n; i++) {
    float g = mien_clampf(v[i] * (1.0f / 255.0f) * gain + offset, 0.0f, 1.0f);
    out[i] = (g - mean) * inv_std;
  }
}

/* c and out_channels are passed as constants by the callers below so the
 * compiler specialises the channel loops. */
static inline void augment_image(const image_job *j, int c, int out_channels) {
  const mien_augment_draw *d = j->draw;
  const int oh = j->p->out_h, ow = j->p->out_w;
  const size_t plane = (size_t)oh * (size_t)ow;
  float mean[3], inv_std[3];
  for (int k = 0; k < out_channels; k++) {
    mean[k] = j->p->mean[k];
    inv_std[k] = 1.0f / j->p->std[k];
  }
  taps t;
  float v[3][CHUNK];
  for (int oy = 0; oy < oh; oy++) {
    float y = (float)oy + 0.5f;
    float row_x = d->a[1] * y + d->a[2], row_y = d->a[4] * y + d->a[5];
    for (int x_begin = 0; x_begin < ow; x_begin += CHUNK) {
      int n = ow - x_begin < CHUNK ? ow - x_begin : CHUNK;
      compute_taps(j, d, c, row_x, row_y, x_begin, n, &t);
      for (int k = 0; k < c; k++) sample_channel(j->src, &t, k, n, v[k]);
      if (c == 3 && out_channels == 1)
        for (int i = 0; i < n; i++) v[0][i] = 0.299f * v[0][i] + 0.587f * v[1][i] + 0.114f * v[2][i];
      float *out = j->out + (size_t)oy * ow + x_begin;
      for (int k = 0; k < out_channels; k++)
        normalise(v[c == 1 ? 0 : k], n, d->gain, d->offset, mean[k], inv_std[k], out + k * plane);
    }
  }
  /* Erasing as a second pass over the box: the same values as the per-pixel
   * test in augment.h, without a branch in the loops above. */
  for (int k = 0; k < out_channels; k++)
    for (int oy = d->erase_y; oy < d->erase_y + d->erase_h; oy++)
      for (int ox = d->erase_x; ox < d->erase_x + d->erase_w; ox++)
        j->out[k * plane + (size_t)oy * ow + ox] = 0.0f;
}

static void augment_dispatch(const image_job *j) {
  int oc = j->p->out_channels;
  if (j->c == 1 && oc == 1) augment_image(j, 1, 1);
  else if (j->c == 1) augment_image(j, 1, 3);
  else if (oc == 1) augment_image(j, 3, 1);
  else augment_image(j, 3, 3);
}

int mien_augment_batch(const mien_augment_params *p, const uint8_t *src, int64_t n_src, int h, int w, int c,
                       const int64_t *indices, int64_t batch, uint64_t seed, uint64_t base, float *out) {
  if (mien_augment_check(p) != 0) return -1;
  /* Tap offsets are int: one source image must stay under 2^31 bytes. */
  if (h <= 0 || w <= 0 || (c != 1 && c != 3) || n_src < 0 || batch < 0 || (int64_t)h * w * c > INT_MAX) {
    mien_set_error("augment: invalid source shape [%lld,%d,%d,%d] (channels must be 1 or 3) or batch %lld",
                   (long long)n_src, h, w, c, (long long)batch);
    return -1;
  }
  if (!indices && batch > n_src) {
    mien_set_error("augment: batch of %lld but only %lld source images", (long long)batch, (long long)n_src);
    return -1;
  }
  if (indices)
    for (int64_t i = 0; i < batch; i++)
      if (indices[i] < 0 || indices[i] >= n_src) {
        mien_set_error("augment: index %lld at batch position %lld is out of range [0, %lld)",
                       (long long)indices[i], (long long)i, (long long)n_src);
        return -1;
      }
  size_t image_bytes = (size_t)h * (size_t)w * (size_t)c;
  size_t out_floats = (size_t)p->out_channels * (size_t)p->out_h * (size_t)p->out_w;
  /* Dynamic scheduling copes better with a core shared with other work. */
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t i = 0; i < batch; i++) {
    mien_augment_draw draw;
    mien_augment_draw_image(p, h, w, seed, base, i, &draw);
    image_job job = {src + (size_t)(indices ? indices[i] : i) * image_bytes, h, w, c, &draw, p,
                     out + (size_t)i * out_floats};
    augment_dispatch(&job);
  }
  return 0;
}
