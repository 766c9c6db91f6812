/* Bilinear (half-pixel centres) and area resizing of HWC images. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "pixel.h"
#include "transform.h"

static void bilinear_f32(const float *src, int sh, int sw, int c, float *dst, int dh, int dw) {
  float scale_x = (float)sw / (float)dw, scale_y = (float)sh / (float)dh;
  for (int dy = 0; dy < dh; dy++) {
    float sy = mien_clampf(((float)dy + 0.5f) * scale_y - 0.5f, 0.0f, (float)(sh - 1));
    int y0 = (int)sy, y1 = y0 + (y0 < sh - 1);
    float ty = sy - (float)y0;
    const float *row0 = src + (int64_t)y0 * sw * c, *row1 = src + (int64_t)y1 * sw * c;
    for (int dx = 0; dx < dw; dx++) {
      float sx = mien_clampf(((float)dx + 0.5f) * scale_x - 0.5f, 0.0f, (float)(sw - 1));
      int x0 = (int)sx, x1 = x0 + (x0 < sw - 1);
      float tx = sx - (float)x0;
      float *out = dst + ((int64_t)dy * dw + dx) * c;
      for (int k = 0; k < c; k++) {
        float p00 = row0[x0 * c + k], p01 = row0[x1 * c + k];
        float p10 = row1[x0 * c + k], p11 = row1[x1 * c + k];
        float top = p00 + (p01 - p00) * tx, bottom = p10 + (p11 - p10) * tx;
        out[k] = top + (bottom - top) * ty;
      }
    }
  }
}

/* Area weights along one axis: output d averages source [d*s, (d+1)*s),
 * s = n_src / n_dst, each source pixel weighted by its overlap / s. Taps of output d are first[d] .. first[d]+count[d]-1. */
typedef struct area_taps {
  int *first, *count;
  float *weight; /* [n_dst * max_taps] */
  int max_taps;
} area_taps;

static int area_taps_build(area_taps *t, int n_src, int n_dst) {
  t->max_taps = (n_src + n_dst - 1) / n_dst + 1;
  t->first = malloc(sizeof(int) * (size_t)n_dst);
  t->count = malloc(sizeof(int) * (size_t)n_dst);
  t->weight = malloc(sizeof(float) * (size_t)n_dst * (size_t)t->max_taps);
  if (!t->first || !t->count || !t->weight) return -1;
  /* Exact integer arithmetic in units of 1/n_dst source pixels. */
  for (int d = 0; d < n_dst; d++) {
    int64_t lo = (int64_t)d * n_src, hi = lo + n_src;
    int j0 = (int)(lo / n_dst), j1 = (int)((hi + n_dst - 1) / n_dst);
    t->first[d] = j0;
    t->count[d] = j1 - j0;
    for (int j = j0; j < j1; j++) {
      int64_t start = (int64_t)j * n_dst, end = start + n_dst;
      int64_t overlap = (hi < end ? hi : end) - (lo > start ? lo : start);
      t->weight[d * t->max_taps + (j - j0)] = (float)((double)overlap / n_src);
    }
  }
  return 0;
}

static void area_taps_free(area_taps *t) {
  free(t->first);
  free(t->count);
  free(t->weight);
}

/* Separable: rows first into tmp [sh,dw,c], then columns into dst. */
static int area_f32(const float *src, int sh, int sw, int c, float *dst, int dh, int dw) {
  area_taps tx = {0}, ty = {0};
  float *tmp = malloc(sizeof(float) * (size_t)sh * (size_t)dw * (size_t)c);
  int ok = tmp && area_taps_build(&tx, sw, dw) == 0 && area_taps_build(&ty, sh, dh) == 0;
  if (ok) {
    for (int y = 0; y < sh; y++)
      for (int d = 0; d < dw; d++)
        for (int k = 0; k < c; k++) {
          float acc = 0.0f;
          for (int j = 0; j < tx.count[d]; j++)
            acc += tx.weight[d * tx.max_taps + j] * src[((int64_t)y * sw + tx.first[d] + j) * c + k];
          tmp[((int64_t)y * dw + d) * c + k] = acc;
        }
    for (int d = 0; d < dh; d++)
      for (int x = 0; x < dw * c; x++) {
        float acc = 0.0f;
        for (int j = 0; j < ty.count[d]; j++)
          acc += ty.weight[d * ty.max_taps + j] * tmp[(int64_t)(ty.first[d] + j) * dw * c + x];
        dst[(int64_t)d * dw * c + x] = acc;
      }
  }
  area_taps_free(&tx);
  area_taps_free(&ty);
  free(tmp);
  if (!ok) mien_set_error("area resize %dx%d -> %dx%d: out of memory", sh, sw, dh, dw);
  return ok ? 0 : -1;
}

static int check_args(int sh, int sw, int c, int dh, int dw, mien_resize_mode mode) {
  if (sh <= 0 || sw <= 0 || c <= 0 || dh <= 0 || dw <= 0) {
    mien_set_error("resize: invalid shape %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
    return -1;
  }
  if (mode != MIEN_RESIZE_BILINEAR && mode != MIEN_RESIZE_AREA) {
    mien_set_error("resize: unknown mode %d", (int)mode);
    return -1;
  }
  return 0;
}

int mien_resize_f32(const float *src, int sh, int sw, int c, float *dst, int dh, int dw, mien_resize_mode mode) {
  if (check_args(sh, sw, c, dh, dw, mode) != 0) return -1;
  if (mode == MIEN_RESIZE_AREA) return area_f32(src, sh, sw, c, dst, dh, dw);
  bilinear_f32(src, sh, sw, c, dst, dh, dw);
  return 0;
}

/* The uint8 form goes through float so both share one formula exactly. */
int mien_resize_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, mien_resize_mode mode) {
  if (check_args(sh, sw, c, dh, dw, mode) != 0) return -1;
  int64_t n_src = (int64_t)sh * sw * c, n_dst = (int64_t)dh * dw * c;
  float *fsrc = malloc(sizeof(float) * (size_t)n_src), *fdst = malloc(sizeof(float) * (size_t)n_dst);
  int rc = -1;
  if (!fsrc || !fdst) {
    mien_set_error("resize %dx%dx%d -> %dx%d: out of memory", sh, sw, c, dh, dw);
  } else {
    for (int64_t i = 0; i < n_src; i++) fsrc[i] = src[i];
    rc = mien_resize_f32(fsrc, sh, sw, c, fdst, dh, dw, mode);
    if (rc == 0)
      for (int64_t i = 0; i < n_dst; i++) {
        float v = fdst[i] + 0.5f;
        dst[i] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
      }
  }
  free(fsrc);
  free(fdst);
  return rc;
}
