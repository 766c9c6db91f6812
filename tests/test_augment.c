/* Augmentation: determinism per (seed, counter), identity = resize +
 * normalise bit for bit, exact mirroring, erasing, borders and errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/augment.h"
#include "image/transform.h"

enum { N = 6, H = 48, W = 48 };

static uint8_t grey[N * H * W], rgb[N * H * W * 3];

static void make_sources(void) {
  for (int i = 0; i < N * H * W; i++) grey[i] = (uint8_t)((i * 2654435761u) >> 24);
  for (int i = 0; i < N * H * W * 3; i++) rgb[i] = (uint8_t)((i * 40503u) >> 7);
}

static mien_augment_params busy_params(int oh, int ow, int oc) {
  mien_augment_params p = mien_augment_defaults(oh, ow, oc);
  p.rotate_deg = 15;
  p.shear_deg = 8;
  p.zoom_lo = 0.85f;
  p.zoom_hi = 1.15f;
  p.translate_x = p.translate_y = 0.1f;
  p.flip_prob = 0.5f;
  p.brightness = 0.2f;
  p.contrast_lo = 0.7f;
  p.contrast_hi = 1.3f;
  p.erase_prob = 0.5f;
  p.mean[0] = 0.5f;
  p.std[0] = 0.25f;
  return p;
}

static float *run(const mien_augment_params *p, const uint8_t *src, int c, const int64_t *idx, int64_t batch,
                  uint64_t seed, uint64_t base) {
  float *out = malloc(sizeof(float) * (size_t)batch * p->out_channels * p->out_h * p->out_w);
  if (mien_augment_batch(p, src, N, H, W, c, idx, batch, seed, base, out) != 0) {
    fprintf(stderr, "  augment failed: %s\n", mien_last_error());
    failures++;
  }
  return out;
}

/* The per-pixel recipe of augment.h, written out plainly as a GPU thread
 * would run it: the batch kernel must match it bit for bit. */
static float reference_pixel(const mien_augment_params *p, const mien_augment_draw *d, const uint8_t *src, int c,
                             int k, int oy, int ox) {
  const float *a = d->a;
  float X = (float)(d->flip ? p->out_w - 1 - ox : ox) + 0.5f, Y = (float)oy + 0.5f;
  float xs = a[0] * X + (a[1] * Y + a[2]), ys = a[3] * X + (a[4] * Y + a[5]);
  float v[3] = {0, 0, 0};
  if (!(p->border == MIEN_BORDER_ZERO &&
        (xs < -0.5f || xs > W - 0.5f || ys < -0.5f || ys > H - 0.5f))) {
    xs = xs < 0 ? 0 : xs > W - 1 ? W - 1 : xs;
    ys = ys < 0 ? 0 : ys > H - 1 ? H - 1 : ys;
    int x0 = (int)xs, y0 = (int)ys, x1 = x0 + (x0 < W - 1), y1 = y0 + (y0 < H - 1);
    float tx = xs - x0, ty = ys - y0;
    for (int ch = 0; ch < c; ch++) {
      float p00 = src[(y0 * W + x0) * c + ch], p01 = src[(y0 * W + x1) * c + ch];
      float p10 = src[(y1 * W + x0) * c + ch], p11 = src[(y1 * W + x1) * c + ch];
      float top = p00 + (p01 - p00) * tx, bot = p10 + (p11 - p10) * tx;
      v[ch] = top + (bot - top) * ty;
    }
  }
  float s = c == 3 && p->out_channels == 1 ? 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2] : v[c == 1 ? 0 : k];
  s = s * (1.0f / 255.0f);
  s = s * d->gain + d->offset;
  s = s < 0 ? 0 : s > 1 ? 1 : s;
  float out = (s - p->mean[k]) * (1.0f / p->std[k]);
  if (oy >= d->erase_y && oy < d->erase_y + d->erase_h && ox >= d->erase_x && ox < d->erase_x + d->erase_w) out = 0;
  return out;
}

static void check_against_reference(mien_augment_params p, const uint8_t *src, int c) {
  float *out = run(&p, src, c, NULL, N, 77, 1000);
  int exact = 1;
  for (int i = 0; i < N; i++) {
    mien_augment_draw d;
    mien_augment_draw_image(&p, H, W, 77, 1000, i, &d);
    for (int k = 0; k < p.out_channels; k++)
      for (int y = 0; y < p.out_h; y++)
        for (int x = 0; x < p.out_w; x++)
          exact &= out[((size_t)(i * p.out_channels + k) * p.out_h + y) * p.out_w + x] ==
                   reference_pixel(&p, &d, src + (size_t)i * H * W * c, c, k, y, x);
  }
  CHECK(exact);
  free(out);
}

static void test_documented_formula(void) {
  mien_augment_params p = busy_params(48, 48, 1);
  check_against_reference(p, grey, 1);
  p.border = MIEN_BORDER_ZERO;
  check_against_reference(p, grey, 1);
  p = busy_params(112, 100, 3);
  p.erase_prob = 1.0f;
  check_against_reference(p, grey, 1);
  p.border = MIEN_BORDER_ZERO;
  check_against_reference(p, rgb, 3);
  p = busy_params(50, 47, 1);
  check_against_reference(p, rgb, 3);
}

static void test_determinism(void) {
  mien_augment_params p = busy_params(40, 44, 1);
  size_t bytes = sizeof(float) * N * 40 * 44;
  float *a = run(&p, grey, 1, NULL, N, 7, 100), *b = run(&p, grey, 1, NULL, N, 7, 100);
  float *c = run(&p, grey, 1, NULL, N, 8, 100), *d = run(&p, grey, 1, NULL, N, 7, 104);
  CHECK(memcmp(a, b, bytes) == 0);
  CHECK(memcmp(a, c, bytes) != 0);
  CHECK(memcmp(a, d, bytes) != 0);
  /* Position i uses blocks base + 4i..: one image at base + 4i is the same. */
  size_t one = bytes / N;
  for (int i = 0; i < N; i++) {
    int64_t idx = i;
    float *single = run(&p, grey, 1, &idx, 1, 7, 100 + MIEN_AUGMENT_BLOCKS_PER_IMAGE * (uint64_t)i);
    CHECK(memcmp(single, (char *)a + i * one, one) == 0);
    free(single);
  }
  /* The index form equals copying the chosen images first. */
  const int64_t idx[3] = {4, 1, 4};
  uint8_t copies[3 * H * W];
  for (int i = 0; i < 3; i++) memcpy(copies + i * H * W, grey + idx[i] * H * W, H * W);
  float *via_idx = run(&p, grey, 1, idx, 3, 9, 0);
  float *via_copy = malloc(3 * one);
  CHECK(mien_augment_batch(&p, copies, 3, H, W, 1, NULL, 3, 9, 0, via_copy) == 0);
  CHECK(memcmp(via_idx, via_copy, 3 * one) == 0);
  free(a), free(b), free(c), free(d), free(via_idx), free(via_copy);
}

/* The reference: mien_resize_f32 of the [0,255] image, then v/255 and
 * (v - mean) * (1/std), in the order augment.h documents. */
static void check_identity(const uint8_t *src, int c, int oh, int ow, int oc, mien_border border) {
  mien_augment_params p = mien_augment_defaults(oh, ow, oc);
  p.border = border;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  memcpy(p.mean, mean, sizeof mean);
  memcpy(p.std, std, sizeof std);
  float *out = run(&p, src, c, NULL, 2, 123, 0);
  float *fsrc = malloc(sizeof(float) * H * W * c), *resized = malloc(sizeof(float) * oh * ow * c);
  int exact = 1;
  for (int i = 0; i < 2; i++) {
    for (int k = 0; k < H * W * c; k++) fsrc[k] = src[(size_t)i * H * W * c + k];
    mien_resize_f32(fsrc, H, W, c, resized, oh, ow, MIEN_RESIZE_BILINEAR);
    for (int k = 0; k < oc; k++)
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
          float v = resized[(y * ow + x) * c + (c == 1 ? 0 : k)] * (1.0f / 255.0f);
          float want = (v - mean[k]) * (1.0f / std[k]);
          exact &= out[((size_t)(i * oc + k) * oh + y) * ow + x] == want;
        }
  }
  CHECK(exact);
  free(out), free(fsrc), free(resized);
}

static void test_identity(void) {
  check_identity(grey, 1, 48, 48, 1, MIEN_BORDER_REPLICATE);
  check_identity(grey, 1, 112, 112, 3, MIEN_BORDER_REPLICATE);
  check_identity(grey, 1, 30, 70, 1, MIEN_BORDER_ZERO);
  check_identity(rgb, 3, 112, 96, 3, MIEN_BORDER_ZERO);
  check_identity(rgb, 3, 17, 48, 3, MIEN_BORDER_REPLICATE);
}

static void test_flip(void) {
  for (int size = 48; size <= 112; size += 64) {
    mien_augment_params p = busy_params(size, size, 3);
    p.flip_prob = 0.0f;
    p.erase_prob = 0.0f;
    float *plain = run(&p, rgb, 3, NULL, N, 5, 40);
    p.flip_prob = 1.0f;
    float *flipped = run(&p, rgb, 3, NULL, N, 5, 40);
    int mirrored = 1;
    for (int r = 0; r < N * 3 * size; r++)
      for (int x = 0; x < size; x++) mirrored &= flipped[r * size + x] == plain[r * size + size - 1 - x];
    CHECK(mirrored);
    free(plain), free(flipped);
  }
}

static void test_erase_and_border(void) {
  mien_augment_params p = mien_augment_defaults(48, 48, 1);
  p.mean[0] = 0.5f;
  p.erase_prob = 1.0f;
  float *out = run(&p, grey, 1, NULL, N, 3, 0);
  int ok = 1;
  for (int i = 0; i < N; i++) {
    mien_augment_draw d;
    mien_augment_draw_image(&p, H, W, 3, 0, i, &d);
    ok &= d.erase_h > 0 && d.erase_w > 0 && d.erase_y + d.erase_h <= 48 && d.erase_x + d.erase_w <= 48;
    double area = (double)d.erase_h * d.erase_w / (48.0 * 48.0);
    ok &= area > 0.01 && area < 0.4;
    for (int y = 0; y < 48; y++)
      for (int x = 0; x < 48; x++) {
        int inside = y >= d.erase_y && y < d.erase_y + d.erase_h && x >= d.erase_x && x < d.erase_x + d.erase_w;
        float v = out[(i * 48 + y) * 48 + x];
        if (inside) ok &= v == 0.0f;
      }
  }
  CHECK(ok);
  free(out);

  /* Shrinking the content far: the zero border shows black, normalised to
   * -mean/std; the replicate border never does on this bright image. */
  static uint8_t bright[N * H * W];
  memset(bright, 200, sizeof bright);
  p = mien_augment_defaults(48, 48, 1);
  p.zoom_lo = p.zoom_hi = 0.5f;
  p.mean[0] = 0.5f;
  p.std[0] = 0.5f;
  p.border = MIEN_BORDER_ZERO;
  out = malloc(sizeof(float) * N * 48 * 48);
  CHECK(mien_augment_batch(&p, bright, N, H, W, 1, NULL, 1, 1, 0, out) == 0);
  CHECK(out[0] == -1.0f && out[24 * 48 + 24] == (200.0f * (1.0f / 255.0f) - 0.5f) * 2.0f);
  p.border = MIEN_BORDER_REPLICATE;
  CHECK(mien_augment_batch(&p, bright, N, H, W, 1, NULL, 1, 1, 0, out) == 0);
  CHECK(out[0] == out[24 * 48 + 24]);
  free(out);
}

static void test_photometric_and_channels(void) {
  /* Grey -> 3 channels with equal mean/std gives three equal planes; with
   * brightness and contrast the values stay in the clamped range. */
  mien_augment_params p = busy_params(20, 20, 3);
  p.mean[1] = p.mean[2] = p.mean[0];
  p.std[1] = p.std[2] = p.std[0];
  float *out = run(&p, grey, 1, NULL, N, 11, 0);
  int equal = 1, in_range = 1;
  for (int i = 0; i < N; i++)
    for (int k = 0; k < 400; k++) {
      float *img = out + i * 1200;
      equal &= img[k] == img[400 + k] && img[k] == img[800 + k];
      in_range &= img[k] >= (0.0f - 0.5f) / 0.25f && img[k] <= (1.0f - 0.5f) / 0.25f;
    }
  CHECK(equal && in_range);
  free(out);

  /* RGB -> 1 channel is the 601 mix of the sampled channels. */
  mien_augment_params q = mien_augment_defaults(48, 48, 1);
  float *g = run(&q, rgb, 3, NULL, 1, 0, 0);
  int close = 1;
  for (int k = 0; k < 48 * 48; k++) {
    const uint8_t *px = rgb + 3 * k;
    float want = (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
    close &= fabsf(g[k] - want) < 1e-5f;
  }
  CHECK(close);
  free(g);
}

static void test_errors(void) {
  float out[48 * 48];
  mien_augment_params p = mien_augment_defaults(48, 48, 1);
  const int64_t bad_idx[2] = {0, N};
  CHECK(mien_augment_batch(&p, grey, N, H, W, 1, bad_idx, 2, 0, 0, out) == -1 &&
        strstr(mien_last_error(), "index 6 at batch position 1"));
  CHECK(mien_augment_batch(&p, grey, N, H, W, 1, NULL, N + 1, 0, 0, out) == -1);
  CHECK(mien_augment_batch(&p, grey, N, H, W, 2, NULL, 1, 0, 0, out) == -1 && strstr(mien_last_error(), "[6,48,48,2]"));
  p.zoom_lo = 2.0f;
  CHECK(mien_augment_check(&p) == -1 && strstr(mien_last_error(), "zoom"));
  p = mien_augment_defaults(48, 48, 2);
  CHECK(mien_augment_check(&p) == -1 && strstr(mien_last_error(), "2 channels"));
  p = mien_augment_defaults(48, 48, 3);
  p.std[2] = 0.0f;
  CHECK(mien_augment_check(&p) == -1 && strstr(mien_last_error(), "std"));
  p = mien_augment_defaults(48, 48, 1);
  p.flip_prob = NAN;
  CHECK(mien_augment_check(&p) == -1 && strstr(mien_last_error(), "flip_prob"));
}

int main(void) {
  make_sources();
  test_determinism();
  test_documented_formula();
  test_identity();
  test_flip();
  test_erase_and_border();
  test_photometric_and_channels();
  test_errors();
  return check_exit("test_augment");
}
