/* TIFF through libtiff in the common image path: 8/16-bit grey and RGB,
 * none/LZW/Deflate, the first page of several, channel conversion, the
 * batch loader, and truncated or fake files failing with the file's name. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/decode.h"

#ifndef MIEN_HAVE_TIFF /* built with -DMIEN_TIFF=OFF: TIFF loads fail, saying so */
int main(void) {
  uint8_t *px;
  int h, w, c;
  if (temp_dir_create("tiff_decode") != 0) return 1;
  char path[512];
  temp_path(path, sizeof path, "x.tiff");
  write_bytes(path, "II*\0\x08\0\0\0", 8);
  CHECK(mien_image_load(path, 0, &px, &h, &w, &c) == -1 && error_mentions("x.tiff", "without libtiff", NULL));
  temp_dir_remove();
  return check_exit("test_tiff_decode (without libtiff)");
}
#else

#include "tiff_fixture.h"

enum { H = 9, W = 11 };

static const char *in_dir(const char *name) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  temp_path(p, 512, name);
  return p;
}

/* Every sample of a decoded fixture equals the pattern (grey pages: k = 0). */
static int matches(const uint8_t *px, int c, int seed) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int k = 0; k < c; k++)
        if (px[(y * W + x) * c + k] != tiff_fixture_value(y, x, k, seed)) return 0;
  return 1;
}

static void test_formats(void) {
  const int compressions[3] = {COMPRESSION_NONE, COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE};
  for (int z = 0; z < 3; z++)
    for (int bits = 8; bits <= 16; bits += 8)
      for (int spp = 1; spp <= 3; spp += 2) {
        const char *path = in_dir("f.tiff");
        CHECK(tiff_fixture_write(path, H, W, spp, bits, compressions[z], 1, 5) == 0);
        uint8_t *px;
        int h, w, c;
        int ok = mien_image_load(path, 0, &px, &h, &w, &c) == 0;
        EXPECT(ok, "compression %d, %d bits, %d channels: %s", compressions[z], bits, spp, mien_last_error());
        if (!ok) continue;
        EXPECT(h == H && w == W && c == spp && matches(px, c, 5), "compression %d, %d bits, %d channels: pixels",
               compressions[z], bits, spp);
        mien_image_free(px);
        CHECK(mien_image_info(path, &h, &w, &c) == 0 && h == H && w == W && c == spp);
      }
}

static void test_first_page_and_conversion(void) {
  const char *path = in_dir("pages.tif");
  CHECK(tiff_fixture_write(path, H, W, 1, 8, COMPRESSION_LZW, 3, 9) == 0);
  uint8_t *px;
  int h, w, c;
  CHECK(mien_image_load(path, 3, &px, &h, &w, &c) == 0 && c == 3);
  int ok = 1; /* grey replicated to RGB, from page 1 (seed 9) */
  for (int i = 0; i < H * W; i++) ok &= px[3 * i] == px[3 * i + 1] && px[3 * i] == px[3 * i + 2];
  uint8_t grey[H * W];
  for (int i = 0; i < H * W; i++) grey[i] = px[3 * i];
  CHECK(ok && matches(grey, 1, 9));
  mien_image_free(px);

  /* the batch loader takes TIFF and PNG side by side, resizing as asked */
  const char *rgb = in_dir("rgb.tiff");
  CHECK(tiff_fixture_write(rgb, H, W, 3, 8, COMPRESSION_NONE, 1, 0) == 0);
  const char *paths[2] = {path, rgb};
  mien_batch_load_opts o = {H, W, 1, MIEN_SIZE_ERROR, 0};
  uint8_t out[2 * H * W];
  CHECK(mien_image_load_batch(paths, 2, &o, out, NULL, NULL) == 0);
  CHECK(matches(out, 1, 9));
}

static void test_bad_files(void) {
  uint8_t *px;
  int h, w, c;
  const char *fake = in_dir("fake.tiff"); /* a TIFF signature and nothing else */
  write_bytes(fake, "II*\0\x08\0\0\0", 8);
  CHECK(mien_image_load(fake, 0, &px, &h, &w, &c) == -1);
  CHECK(error_mentions("fake.tiff", "cannot decode", ""));

  const char *good = in_dir("good.tiff"), *cut = in_dir("cut.tiff");
  CHECK(tiff_fixture_write(good, 64, 64, 1, 8, COMPRESSION_NONE, 1, 0) == 0);
  size_t n;
  unsigned char *bytes = read_file(good, &n);
  CHECK(bytes != NULL);
  if (bytes) {
    write_bytes(cut, bytes, n / 3); /* the pixels and the directory cut off */
    free(bytes);
  }
  CHECK(mien_image_load(cut, 1, &px, &h, &w, &c) == -1);
  CHECK(error_mentions("cut.tiff", "cannot decode", ""));

  CHECK(mien_image_load(in_dir("missing.tiff"), 1, &px, &h, &w, &c) == -1);
  CHECK(error_mentions("missing.tiff", "cannot open", ""));
}

int main(void) {
  if (temp_dir_create("tiff_decode") != 0) return 1;
  test_formats();
  test_first_page_and_conversion();
  test_bad_files();
  temp_dir_remove();
  return check_exit("test_tiff_decode");
}

#endif /* MIEN_HAVE_TIFF */
