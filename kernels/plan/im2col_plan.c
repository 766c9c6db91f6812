#include "im2col_plan.h"

#include <stdio.h>

enum { N, CI, H, W, CO, KH, KW, SH, SW, PH, PW, DH, DW, G };

/* a * b into *out, false on overflow (or a negative factor). */
static bool mul(int64_t a, int64_t b, int64_t *out) { return a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, out); }

int mien_im2col_plan_make(const int64_t p[14], size_t elem_size, size_t workspace_bytes, mien_im2col_plan *plan,
                          char *err, size_t errlen) {
  for (int i = 0; i < 14; i++)
    if (p[i] < (i == N || i == PH || i == PW ? 0 : 1)) {
      snprintf(err, errlen, "conv2d: parameter %d is %lld (sizes but the batch, strides, dilations and groups must be positive)", i,
               (long long)p[i]);
      return -1;
    }
  if (p[CI] % p[G] || p[CO] % p[G]) {
    snprintf(err, errlen, "conv2d: %lld groups do not divide %lld -> %lld channels", (long long)p[G],
             (long long)p[CI], (long long)p[CO]);
    return -1;
  }
  int64_t span_h, span_w, rows, kk, ohw, col, xi, yi, image_bytes;
  if (!mul(p[DH], p[KH] - 1, &span_h) || !mul(p[DW], p[KW] - 1, &span_w) || p[H] > INT64_MAX / 4 ||
      p[W] > INT64_MAX / 4 || p[PH] > INT64_MAX / 4 || p[PW] > INT64_MAX / 4) {
    snprintf(err, errlen, "conv2d: kernel or padding too large");
    return -1;
  }
  const int64_t oh = p[H] + 2 * p[PH] - span_h - 1 < 0 ? 0 : (p[H] + 2 * p[PH] - span_h - 1) / p[SH] + 1;
  const int64_t ow = p[W] + 2 * p[PW] - span_w - 1 < 0 ? 0 : (p[W] + 2 * p[PW] - span_w - 1) / p[SW] + 1;
  if (oh <= 0 || ow <= 0) {
    snprintf(err, errlen, "conv2d: the output would be empty (input %lldx%lld, kernel %lldx%lld)", (long long)p[H],
             (long long)p[W], (long long)p[KH], (long long)p[KW]);
    return -1;
  }
  if (!mul(p[KH], p[KW], &kk) || !mul(p[CI], kk, &rows) || !mul(oh, ow, &ohw) || !mul(rows, ohw, &col) ||
      !mul(p[CI], p[H], &xi) || !mul(xi, p[W], &xi) || !mul(p[CO], ohw, &yi) ||
      !mul(col, (int64_t)elem_size, &image_bytes)) {
    snprintf(err, errlen, "conv2d: the column buffer of one image (%lld x %lld x %lld x %lld) overflows",
             (long long)p[CI], (long long)kk, (long long)oh, (long long)ow);
    return -1;
  }
  plan->OH = oh, plan->OW = ow, plan->ohw = ohw;
  plan->groups = p[G], plan->cog = p[CO] / p[G], plan->kg = p[CI] / p[G] * kk;
  plan->col_rows = rows, plan->x_image = xi, plan->y_image = yi, plan->col_image = col;
  int64_t fit = image_bytes > 0 ? (int64_t)(workspace_bytes / (size_t)image_bytes) : p[N];
  fit = fit < 1 ? 1 : fit > p[N] ? p[N] : fit;
  plan->images_per_chunk = fit;
  plan->chunk_bytes = (size_t)fit * (size_t)image_bytes;
  return 0;
}

mien_im2col_gemm mien_im2col_gemm_of(const mien_im2col_plan *pl, mien_im2col_pass pass, int64_t images) {
  const bool by_image = pl->groups == 1 && pass != MIEN_IM2COL_FILTER;
  mien_im2col_gemm g = {0};
  g.batch = by_image ? images : pl->groups;
  switch (pass) {
    case MIEN_IM2COL_FORWARD: /* y = w . col */
      g.M = pl->cog, g.N = pl->ohw, g.K = pl->kg;
      g.lda = pl->kg, g.ldb = pl->ohw, g.ldc = pl->ohw;
      g.stride_a = by_image ? 0 : pl->cog * pl->kg;
      g.stride_b = by_image ? pl->col_image : pl->kg * pl->ohw;
      g.stride_c = by_image ? pl->y_image : pl->cog * pl->ohw;
      break;
    case MIEN_IM2COL_DATA: /* dcol = w^T . dy */
      g.trans_a = true;
      g.M = pl->kg, g.N = pl->ohw, g.K = pl->cog;
      g.lda = pl->kg, g.ldb = pl->ohw, g.ldc = pl->ohw;
      g.stride_a = by_image ? 0 : pl->cog * pl->kg;
      g.stride_b = by_image ? pl->y_image : pl->cog * pl->ohw;
      g.stride_c = by_image ? pl->col_image : pl->kg * pl->ohw;
      break;
    default: /* dw (+)= dy . col^T */
      g.trans_b = true;
      g.M = pl->cog, g.N = pl->kg, g.K = pl->ohw;
      g.lda = pl->ohw, g.ldb = pl->ohw, g.ldc = pl->kg;
      g.stride_a = pl->cog * pl->ohw, g.stride_b = pl->kg * pl->ohw, g.stride_c = pl->cog * pl->kg;
      break;
  }
  return g;
}
