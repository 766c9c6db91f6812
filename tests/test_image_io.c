/* Image decoding, encoding and batch loading: PNG/BMP exact and JPEG close
 * round trips, errors that name the file, and skip_bad bookkeeping. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/decode.h"
#include "image/encode.h"
#include "image/transform.h"

static const char *in_dir(const char *name) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  temp_path(p, 512, name);
  return p;
}

/* A smooth pattern (JPEG-friendly) with some detail. */
static void pattern(uint8_t *px, int h, int w, int c, int salt) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < c; k++) px[(y * w + x) * c + k] = (uint8_t)(4 * x + 3 * y + 40 * k + salt);
}

static void test_round_trips(void) {
  enum { H = 13, W = 17 };
  uint8_t rgb[H * W * 3], grey[H * W];
  pattern(rgb, H, W, 3, 0);
  pattern(grey, H, W, 1, 7);
  uint8_t *px;
  int h, w, c;

  CHECK(mien_image_write_png(in_dir("rgb.png"), rgb, H, W, 3) == 0);
  CHECK(mien_image_load(in_dir("rgb.png"), 0, &px, &h, &w, &c) == 0);
  CHECK(h == H && w == W && c == 3 && memcmp(px, rgb, sizeof rgb) == 0);
  mien_image_free(px);

  CHECK(mien_image_write_png(in_dir("grey.png"), grey, H, W, 1) == 0);
  CHECK(mien_image_load(in_dir("grey.png"), 0, &px, &h, &w, &c) == 0);
  CHECK(h == H && w == W && c == 1 && memcmp(px, grey, sizeof grey) == 0);
  mien_image_free(px);
  CHECK(mien_image_load(in_dir("grey.png"), 3, &px, &h, &w, &c) == 0);
  uint8_t expanded[H * W * 3];
  mien_grey_to_rgb_u8(grey, H * W, expanded);
  CHECK(c == 3 && memcmp(px, expanded, sizeof expanded) == 0);
  mien_image_free(px);

  /* stb's own RGB->grey weights may differ from ours by one level. */
  CHECK(mien_image_load(in_dir("rgb.png"), 1, &px, &h, &w, &c) == 0);
  uint8_t ours[H * W];
  mien_rgb_to_grey_u8(rgb, H * W, ours);
  int worst = 0;
  for (int i = 0; i < H * W; i++) worst = abs(px[i] - ours[i]) > worst ? abs(px[i] - ours[i]) : worst;
  CHECK(c == 1 && worst <= 1);
  mien_image_free(px);

  CHECK(mien_image_write_bmp(in_dir("rgb.bmp"), rgb, H, W, 3) == 0);
  CHECK(mien_image_load(in_dir("rgb.bmp"), 0, &px, &h, &w, &c) == 0);
  CHECK(h == H && w == W && c == 3 && memcmp(px, rgb, sizeof rgb) == 0);
  mien_image_free(px);

  CHECK(mien_image_write_jpeg(in_dir("rgb.jpg"), rgb, H, W, 3, 95) == 0);
  CHECK(mien_image_load(in_dir("rgb.jpg"), 0, &px, &h, &w, &c) == 0);
  double err = 0;
  for (int i = 0; i < H * W * 3; i++) err += abs(px[i] - rgb[i]);
  CHECK(h == H && w == W && c == 3 && err / (H * W * 3) < 4.0);
  mien_image_free(px);

  CHECK(mien_image_info(in_dir("rgb.jpg"), &h, &w, &c) == 0 && h == H && w == W && c == 3);
  CHECK(mien_image_write_jpeg(in_dir("bad.jpg"), rgb, H, W, 3, 0) == -1 &&
        error_mentions("bad.jpg", "quality", NULL));
  CHECK(temp_dir_count(".tmp.") == 0); /* the atomic writer cleaned up */
}

static void test_bad_files(void) {
  uint8_t *px;
  int h, w, c;
  CHECK(mien_image_load(in_dir("missing.png"), 0, &px, &h, &w, &c) == -1 &&
        error_mentions("missing.png", "No such file", NULL));
  write_bytes(in_dir("garbage.png"), "this is not an image at all", 27);
  CHECK(mien_image_load(in_dir("garbage.png"), 0, &px, &h, &w, &c) == -1 &&
        error_mentions("cannot decode", "garbage.png", NULL));

  uint8_t img[32 * 32];
  pattern(img, 32, 32, 1, 3);
  CHECK(mien_image_write_png(in_dir("whole.png"), img, 32, 32, 1) == 0);
  size_t n = 0;
  unsigned char *bytes = read_file(in_dir("whole.png"), &n);
  write_bytes(in_dir("truncated.png"), bytes, n / 2);
  free(bytes);
  CHECK(mien_image_load(in_dir("truncated.png"), 0, &px, &h, &w, &c) == -1 &&
        error_mentions("truncated.png", NULL, NULL));

  CHECK(mien_image_write_jpeg(in_dir("whole.jpg"), img, 32, 32, 1, 90) == 0);
  bytes = read_file(in_dir("whole.jpg"), &n);
  memset(bytes + 2, 0x00, 40); /* wipe the segment headers */
  write_bytes(in_dir("corrupt.jpg"), bytes, n);
  free(bytes);
  CHECK(mien_image_load(in_dir("corrupt.jpg"), 0, &px, &h, &w, &c) == -1 &&
        error_mentions("corrupt.jpg", NULL, NULL));
  CHECK(mien_image_load(in_dir("whole.png"), 2, &px, &h, &w, &c) == -1 &&
        error_mentions("want_channels", NULL, NULL));
}

static void test_batch(void) {
  enum { S = 8, N = 6 };
  uint8_t imgs[3][S * S], big[16 * 16], out[N * S * S];
  for (int i = 0; i < 3; i++) pattern(imgs[i], S, S, 1, 50 * i);
  memset(big, 77, sizeof big);
  CHECK(mien_image_write_png(in_dir("b0.png"), imgs[0], S, S, 1) == 0);
  CHECK(mien_image_write_png(in_dir("b1.png"), imgs[1], S, S, 1) == 0);
  CHECK(mien_image_write_bmp(in_dir("b2.bmp"), imgs[2], S, S, 1) == 0);
  CHECK(mien_image_write_png(in_dir("big.png"), big, 16, 16, 1) == 0);
  write_bytes(in_dir("junk.png"), "junk", 4);
  const char *paths[N] = {in_dir("b0.png"), in_dir("big.png"), in_dir("b1.png"),
                          in_dir("junk.png"), in_dir("b2.bmp"), in_dir("nope.png")};
  /* in_dir keeps 8 results; copy before further calls. */
  char store[N][512];
  for (int i = 0; i < N; i++) {
    strcpy(store[i], paths[i]);
    paths[i] = store[i];
  }

  mien_batch_load_opts opts = {S, S, 1, MIEN_SIZE_ERROR, 0};
  int64_t failed[N], n_failed = -1;
  CHECK(mien_image_load_batch(paths, N, &opts, out, failed, &n_failed) == -1 &&
        error_mentions("big.png", "is 16x16, expected 8x8", NULL));

  opts.skip_bad = 1;
  CHECK(mien_image_load_batch(paths, N, &opts, out, failed, &n_failed) == 0);
  CHECK(n_failed == 3 && failed[0] == 1 && failed[1] == 3 && failed[2] == 5);
  CHECK(memcmp(out, imgs[0], S * S) == 0 && memcmp(out + 2 * S * S, imgs[1], S * S) == 0 &&
        memcmp(out + 4 * S * S, imgs[2], S * S) == 0);
  int zero = 1;
  for (int i = 0; i < S * S; i++) zero &= out[S * S + i] == 0 && out[5 * S * S + i] == 0;
  CHECK(zero);

  /* Resizing policies: the constant 16x16 image becomes a constant 8x8. */
  for (int policy = MIEN_SIZE_BILINEAR; policy <= MIEN_SIZE_AUTO; policy++) {
    opts.size_policy = (mien_size_policy)policy;
    CHECK(mien_image_load_batch(paths, N, &opts, out, failed, &n_failed) == 0 && n_failed == 2);
    int constant = 1;
    for (int i = 0; i < S * S; i++) constant &= out[S * S + i] == 77;
    CHECK(constant);
  }

  /* Without skip_bad the reported file is the lowest bad index (1-based in the
   * message: many[137] is image 138), whatever the
   * threads did: many copies so several threads meet bad files. */
  enum { MANY = 300 };
  const char *many[MANY];
  for (int i = 0; i < MANY; i++) many[i] = i == 137 || i == 250 || i == 290 ? store[3] : store[0];
  many[200] = store[5];
  uint8_t *buf = malloc((size_t)MANY * S * S);
  opts.skip_bad = 0;
  CHECK(mien_image_load_batch(many, MANY, &opts, buf, NULL, NULL) == -1 &&
        error_mentions("image 138 of 300", "junk.png", NULL));
  opts.skip_bad = 1;
  CHECK(mien_image_load_batch(many, MANY, &opts, buf, failed, &n_failed) == 0 && n_failed == 4 &&
        failed[0] == 137 && failed[1] == 200 && failed[3] == 290);
  free(buf);

  /* Channel conversion: an RGB file into a 3-channel batch and a grey one. */
  uint8_t rgb[S * S * 3], out3[2 * S * S * 3];
  pattern(rgb, S, S, 3, 9);
  CHECK(mien_image_write_png(in_dir("c.png"), rgb, S, S, 3) == 0);
  const char *mixed[2] = {in_dir("c.png"), store[0]};
  mien_batch_load_opts rgb_opts = {S, S, 3, MIEN_SIZE_ERROR, 0};
  CHECK(mien_image_load_batch(mixed, 2, &rgb_opts, out3, NULL, NULL) == 0);
  uint8_t expanded[S * S * 3];
  mien_grey_to_rgb_u8(imgs[0], S * S, expanded);
  CHECK(memcmp(out3, rgb, sizeof rgb) == 0 && memcmp(out3 + S * S * 3, expanded, sizeof expanded) == 0);

  mien_batch_load_opts bad_opts = {S, S, 2, MIEN_SIZE_ERROR, 0};
  CHECK(mien_image_load_batch(mixed, 2, &bad_opts, out3, NULL, NULL) == -1 &&
        error_mentions("channels", NULL, NULL));
}

int main(void) {
  if (temp_dir_create("image_io") != 0) return 1;
  test_round_trips();
  test_bad_files();
  test_batch();
  temp_dir_remove();
  return check_exit("test_image_io");
}
