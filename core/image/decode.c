/* Single-image decoding: the one translation unit that compiles stb_image. */
#define _POSIX_C_SOURCE 200809L /* XSI strerror_r */

#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode_tiff.h"
#include "error.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_PNM
#define STBI_ONLY_GIF
/* Some stb releases warn under -Wextra; keep that out of our build. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stb_image.h>
#pragma GCC diagnostic pop

static FILE *open_image(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    char reason[256];
    if (strerror_r(errno, reason, sizeof reason) != 0) snprintf(reason, sizeof reason, "errno %d", errno);
    mien_set_error("cannot open '%s': %s", path, reason);
  }
  return f;
}

int mien_image_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c) {
  if (want_channels != 0 && want_channels != 1 && want_channels != 3) {
    mien_set_error("cannot load '%s': want_channels must be 0, 1 or 3, got %d", path, want_channels);
    return -1;
  }
  if (mien_tiff_sniff(path)) return mien_tiff_load(path, want_channels, pixels, h, w, c); /* TIFF: libtiff */
  FILE *f = open_image(path);
  if (!f) return -1;
  int width, height, stored;
  uint8_t *data = stbi_load_from_file(f, &width, &height, &stored, want_channels);
  fclose(f);
  if (!data) {
    mien_set_error("cannot decode '%s': %s", path, stbi_failure_reason());
    return -1;
  }
  *pixels = data;
  *h = height;
  *w = width;
  *c = want_channels ? want_channels : stored;
  return 0;
}

/* stb allocates with malloc (STBI_MALLOC), as the TIFF path does. */
void mien_image_free(uint8_t *pixels) { stbi_image_free(pixels); }

int mien_image_info(const char *path, int *h, int *w, int *c) {
  if (mien_tiff_sniff(path)) return mien_tiff_info(path, h, w, c); /* TIFF: libtiff */
  FILE *f = open_image(path);
  if (!f) return -1;
  int ok = stbi_info_from_file(f, w, h, c);
  fclose(f);
  if (!ok) {
    mien_set_error("cannot read the header of '%s': %s", path, stbi_failure_reason());
    return -1;
  }
  return 0;
}
