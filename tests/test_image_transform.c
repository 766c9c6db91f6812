/* Colour conversion and resizing against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/transform.h"

static int all_close(const float *a, const float *b, int n, float tol) {
  for (int i = 0; i < n; i++)
    if (fabsf(a[i] - b[i]) > tol) {
      fprintf(stderr, "  element %d: %g vs %g\n", i, a[i], b[i]);
      return 0;
    }
  return 1;
}

static void test_colour(void) {
  const uint8_t rgb[] = {255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 10, 200, 30};
  uint8_t grey[6], back[18];
  mien_rgb_to_grey_u8(rgb, 6, grey);
  /* 0.299, 0.587, 0.114, rounded: 10*.299 + 200*.587 + 30*.114 = 123.83 */
  const uint8_t want[] = {255, 76, 150, 29, 0, 124};
  CHECK(memcmp(grey, want, 6) == 0);
  mien_grey_to_rgb_u8(want, 6, back);
  int ok = 1;
  for (int i = 0; i < 6; i++) ok &= back[3 * i] == want[i] && back[3 * i + 1] == want[i] && back[3 * i + 2] == want[i];
  CHECK(ok);
}

static void test_constant(void) {
  enum { SH = 7, SW = 9, C = 3 };
  uint8_t src[SH * SW * C], dst[20 * 15 * C];
  float fsrc[SH * SW * C], fdst[20 * 15 * C];
  memset(src, 93, sizeof src);
  for (int i = 0; i < SH * SW * C; i++) fsrc[i] = 0.37f;
  const int sizes[][2] = {{20, 15}, {3, 4}, {7, 9}, {1, 1}, {5, 13}};
  for (int mode = MIEN_RESIZE_BILINEAR; mode <= MIEN_RESIZE_AREA; mode++)
    for (int s = 0; s < 5; s++) {
      int dh = sizes[s][0], dw = sizes[s][1], n = dh * dw * C;
      CHECK(mien_resize_u8(src, SH, SW, C, dst, dh, dw, (mien_resize_mode)mode) == 0);
      int constant = 1;
      for (int i = 0; i < n; i++) constant &= dst[i] == 93;
      CHECK(constant);
      CHECK(mien_resize_f32(fsrc, SH, SW, C, fdst, dh, dw, (mien_resize_mode)mode) == 0);
      int close = 1;
      for (int i = 0; i < n; i++) close &= fabsf(fdst[i] - 0.37f) < 1e-6f;
      CHECK(close);
    }
}

static void test_bilinear(void) {
  /* 2x2 -> 4x4: source coordinates (d + 0.5)/2 - 0.5 = -0.25 (clamped to 0),
   * 0.25, 0.75, 1.25 (clamped to 1) along both axes. */
  const float src[] = {0, 100, 200, 250};
  const float want[] = {0,   25,      75,      100,   50,  71.875f, 115.625f, 137.5f,
                        150, 165.625f, 196.875f, 212.5f, 200, 212.5f,  237.5f,   250};
  float out[16];
  CHECK(mien_resize_f32(src, 2, 2, 1, out, 4, 4, MIEN_RESIZE_BILINEAR) == 0 && all_close(out, want, 16, 0));

  /* 1x3 -> 1x2: x = (d + 0.5)*1.5 - 0.5 = 0.25, 1.75. */
  const float row[] = {0, 40, 80}, row_want[] = {10, 70};
  CHECK(mien_resize_f32(row, 1, 3, 1, out, 1, 2, MIEN_RESIZE_BILINEAR) == 0 && all_close(out, row_want, 2, 0));

  /* Two channels interleaved stay separate. */
  const float two[] = {0, 8, 40, 16, 80, 24}, two_want[] = {10, 10, 70, 22};
  CHECK(mien_resize_f32(two, 1, 3, 2, out, 1, 2, MIEN_RESIZE_BILINEAR) == 0 && all_close(out, two_want, 4, 0));

  /* uint8 rounds to nearest: 0, 0.25, 0.75, 1 -> 0 0 1 1. */
  const uint8_t u[] = {0, 1}, u_want[] = {0, 0, 1, 1};
  uint8_t u_out[4];
  CHECK(mien_resize_u8(u, 1, 2, 1, u_out, 1, 4, MIEN_RESIZE_BILINEAR) == 0 && memcmp(u_out, u_want, 4) == 0);
}

static void test_area(void) {
  float out[4];
  const float four[] = {0, 10, 20, 30}, four_want[] = {5, 25};
  CHECK(mien_resize_f32(four, 1, 4, 1, out, 1, 2, MIEN_RESIZE_AREA) == 0 && all_close(out, four_want, 2, 1e-5f));
  /* 3 -> 2: [0, 1.5) and [1.5, 3) with the middle pixel split in half. */
  const float three[] = {0, 30, 60}, three_want[] = {10, 50};
  CHECK(mien_resize_f32(three, 1, 3, 1, out, 1, 2, MIEN_RESIZE_AREA) == 0 && all_close(out, three_want, 2, 1e-5f));
  /* 2x2 -> 1x1 is the mean; a column resize works along y. */
  const float sq[] = {1, 2, 3, 6}, sq_want[] = {3};
  CHECK(mien_resize_f32(sq, 2, 2, 1, out, 1, 1, MIEN_RESIZE_AREA) == 0 && all_close(out, sq_want, 1, 1e-6f));
  const float col[] = {0, 10, 20, 30}, col_want[] = {5, 25};
  CHECK(mien_resize_f32(col, 4, 1, 1, out, 2, 1, MIEN_RESIZE_AREA) == 0 && all_close(out, col_want, 2, 1e-5f));
}

static void test_warp(void) {
  /* Identity: every pixel comes back. */
  const uint8_t img[] = {10, 20, 30, 40, 50, 60}; /* 2x3 grey */
  uint8_t out[6];
  const double identity[6] = {1, 0, 0, 0, 1, 0};
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, identity, out, 2, 3, 1) == 0 && memcmp(out, img, 6) == 0);
  /* A half-pixel shift right averages neighbours: 15, 25, then the last
   * column samples at x = 3.0, on the edge of the footprint (replicated). */
  const double half[6] = {1, 0, 0.5, 0, 1, 0};
  const uint8_t half_want[] = {15, 25, 30, 45, 55, 60};
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, half, out, 2, 3, 1) == 0 && memcmp(out, half_want, 6) == 0);
  /* A whole-pixel shift: outside the footprint is black with the zero
   * border, the nearest edge pixel without it. */
  const double shift[6] = {1, 0, 1, 0, 1, 0};
  const uint8_t zero_want[] = {20, 30, 0, 50, 60, 0}, edge_want[] = {20, 30, 30, 50, 60, 60};
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, shift, out, 2, 3, 1) == 0 && memcmp(out, zero_want, 6) == 0);
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, shift, out, 2, 3, 0) == 0 && memcmp(out, edge_want, 6) == 0);
  /* Transposition (x <-> y) of a 2x3 into a 3x2, RGB kept per pixel. */
  uint8_t rgb[18], rgb_out[18];
  for (int i = 0; i < 18; i++) rgb[i] = (uint8_t)(i * 13);
  const double transpose[6] = {0, 1, 0, 1, 0, 0};
  CHECK(mien_warp_affine_u8(rgb, 2, 3, 3, transpose, rgb_out, 3, 2, 1) == 0);
  for (int y = 0; y < 3; y++)
    for (int x = 0; x < 2; x++)
      for (int k = 0; k < 3; k++) CHECK(rgb_out[(y * 2 + x) * 3 + k] == rgb[(x * 3 + y) * 3 + k]);
  const double bad[6] = {1, 0, NAN, 0, 1, 0};
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, bad, out, 2, 3, 1) == -1 && strstr(mien_last_error(), "not finite"));
  CHECK(mien_warp_affine_u8(img, 2, 3, 1, identity, out, 0, 3, 1) == -1 && strstr(mien_last_error(), "0x3"));
}

static void test_errors(void) {
  float f[4] = {0};
  CHECK(mien_resize_f32(f, 0, 2, 1, f, 2, 2, MIEN_RESIZE_BILINEAR) == -1 && strstr(mien_last_error(), "0x2x1"));
  CHECK(mien_resize_f32(f, 2, 2, 1, f, 2, 2, (mien_resize_mode)7) == -1 && strstr(mien_last_error(), "mode"));
}

int main(void) {
  test_colour();
  test_constant();
  test_bilinear();
  test_area();
  test_warp();
  test_errors();
  return check_exit("test_image_transform");
}
