/* Single-image decoding: the one translation unit that compiles stb_image. */
#define _POSIX_C_SOURCE 200809L /* XSI strerror_r */

#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_tiff.h"
#include "error.h"
#include "image_check.h"

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

/* hardening: the whole file is read and goes through mien_image_check
 * (core/image/image_check.c) before stb sees it. */
#define MAX_IMAGE_FILE_BYTES ((size_t)1 << 30)

static uint8_t *read_image_file(const char *path, size_t *len) {
  FILE *f = open_image(path);
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      size_t grown = cap ? cap * 2 : 65536;
      uint8_t *p = grown <= MAX_IMAGE_FILE_BYTES + 1 ? realloc(buf, grown) : NULL;
      if (!p) {
        mien_set_error(grown > MAX_IMAGE_FILE_BYTES + 1 ? "cannot load '%s': the file is larger than 1 GiB"
                                                        : "cannot load '%s': out of memory reading it", path);
        break;
      }
      buf = p;
      cap = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) mien_set_error("cannot read '%s'", path);
      else {
        fclose(f);
        *len = n;
        return buf;
      }
      break;
    }
  }
  fclose(f);
  free(buf);
  return NULL;
}

int mien_image_decode(const char *name, const uint8_t *data, size_t len, int want_channels, uint8_t **pixels, int *h,
                      int *w, int *c) {
  if (want_channels != 0 && want_channels != 1 && want_channels != 3) {
    mien_set_error("cannot load '%s': want_channels must be 0, 1 or 3, got %d", name, want_channels);
    return -1;
  }
  if (mien_image_check(name, data, len) != 0) return -1;
  int width, height, stored;
  uint8_t *out = stbi_load_from_memory(data, (int)len, &width, &height, &stored, want_channels);
  if (!out) {
    mien_set_error("cannot decode '%s': %s", name, stbi_failure_reason());
    return -1;
  }
  *pixels = out;
  *h = height;
  *w = width;
  *c = want_channels ? want_channels : stored;
  return 0;
}

int mien_image_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c) {
  if (mien_tiff_sniff(path)) { /* TIFF: libtiff, under the same pixel limit */
    if (want_channels != 0 && want_channels != 1 && want_channels != 3) {
      mien_set_error("cannot load '%s': want_channels must be 0, 1 or 3, got %d", path, want_channels);
      return -1;
    }
    int th, tw, tc;
    if (mien_tiff_info(path, &th, &tw, &tc) != 0 || mien_image_check_size(path, tw, th) != 0) return -1;
    return mien_tiff_load(path, want_channels, pixels, h, w, c);
  }
  size_t len = 0;
  uint8_t *data = read_image_file(path, &len);
  if (!data) return -1;
  int rc = mien_image_decode(path, data, len, want_channels, pixels, h, w, c);
  free(data);
  return rc;
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
