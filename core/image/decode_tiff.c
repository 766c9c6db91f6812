/* TIFF decoding through libtiff. Errors and warnings go to per-handle
 * handlers (libtiff >= 4.5), so parallel decodes never share an error slot
 * and nothing is printed to stderr. */
#include "decode_tiff.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "transform.h"

int mien_tiff_sniff(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  unsigned char m[4];
  size_t got = fread(m, 1, 4, f);
  fclose(f);
  if (got != 4) return 0;
  return (m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0) ||
         (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43));
}

#ifndef MIEN_HAVE_TIFF /* configured with -DMIEN_TIFF=OFF */

int mien_tiff_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c) {
  (void)want_channels, (void)pixels, (void)h, (void)w, (void)c;
  mien_set_error("cannot decode '%s': TIFF, and this mien was built without libtiff (MIEN_TIFF=OFF)", path);
  return -1;
}

int mien_tiff_info(const char *path, int *h, int *w, int *c) { return mien_tiff_load(path, 0, NULL, h, w, c); }

#else

#include <tiffio.h>

/* The limits stb_image applies to the other formats: each side at most
 * 1 << 24 pixels and the decoded buffer at most INT_MAX bytes. */
#define TIFF_MAX_SIDE (1u << 24)
#define TIFF_MAX_BYTES ((uint64_t)INT_MAX)

typedef struct tiff_errors {
  char message[256];
} tiff_errors;

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif;
  (void)module;
  tiff_errors *e = user;
  if (e->message[0] == '\0') vsnprintf(e->message, sizeof e->message, fmt, ap);
  return 1; /* handled: libtiff prints nothing */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
  return 1; /* unknown tags and the like: not our caller's concern */
}

static TIFF *open_tiff(const char *path, tiff_errors *e) {
  e->message[0] = '\0';
  TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
  if (!o) {
    mien_set_error("cannot decode '%s': out of memory", path);
    return NULL;
  }
  TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, e);
  TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, e);
  TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)TIFF_MAX_BYTES);
  TIFF *tif = TIFFOpenExt(path, "r", o);
  TIFFOpenOptionsFree(o);
  if (!tif) mien_set_error("cannot decode '%s': %s", path, e->message[0] ? e->message : "not a readable TIFF");
  return tif;
}

/* Size and the channel count the page stores (grey 1, grey+alpha 2, RGB or
 * palette 3, RGBA 4), with the size limits checked. */
static int page_info(TIFF *tif, const char *path, int *h, int *w, int *c) {
  uint32_t width = 0, height = 0;
  uint16_t spp = 1, photometric = PHOTOMETRIC_MINISBLACK;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  if (width == 0 || height == 0) {
    mien_set_error("cannot decode '%s': the first page is %ux%u", path, (unsigned)height, (unsigned)width);
    return -1;
  }
  if (width > TIFF_MAX_SIDE || height > TIFF_MAX_SIDE || (uint64_t)width * height * 4 > TIFF_MAX_BYTES) {
    mien_set_error("cannot decode '%s': %ux%u is too large", path, (unsigned)height, (unsigned)width);
    return -1;
  }
  int grey = photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
  int alpha = grey ? spp >= 2 : spp >= 4;
  *h = (int)height;
  *w = (int)width;
  *c = (grey ? 1 : 3) + alpha;
  return 0;
}

int mien_tiff_info(const char *path, int *h, int *w, int *c) {
  tiff_errors e;
  TIFF *tif = open_tiff(path, &e);
  if (!tif) return -1;
  int rc = page_info(tif, path, h, w, c);
  TIFFClose(tif);
  return rc;
}

/* RGBA (libtiff's packing) of npix pixels -> c channels: 1 grey (the red
 * sample of a grey page, BT.601 of a colour one), 2 grey+alpha, 3 RGB, 4 RGBA. */
static void unpack(const uint32_t *rgba, int64_t npix, int c, int grey_page, uint8_t *out) {
  for (int64_t i = 0; i < npix; i++) {
    uint32_t p = rgba[i];
    uint8_t px[4] = {(uint8_t)TIFFGetR(p), (uint8_t)TIFFGetG(p), (uint8_t)TIFFGetB(p), (uint8_t)TIFFGetA(p)};
    uint8_t *o = out + i * c;
    if (c >= 3) {
      memcpy(o, px, (size_t)c);
    } else {
      if (grey_page) o[0] = px[0];
      else mien_rgb_to_grey_u8(px, 1, o);
      if (c == 2) o[1] = px[3];
    }
  }
}

int mien_tiff_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c) {
  tiff_errors e;
  TIFF *tif = open_tiff(path, &e);
  if (!tif) return -1;
  int height, width, stored;
  if (page_info(tif, path, &height, &width, &stored) != 0) {
    TIFFClose(tif);
    return -1;
  }
  char why[1024];
  if (!TIFFRGBAImageOK(tif, why)) {
    mien_set_error("cannot decode '%s': %s", path, why);
    TIFFClose(tif);
    return -1;
  }
  int channels = want_channels ? want_channels : stored;
  size_t npix = (size_t)height * (size_t)width; /* <= INT_MAX / 4: checked in page_info */
  uint32_t *rgba = malloc(npix * sizeof *rgba);
  uint8_t *out = malloc(npix * (size_t)channels);
  if (!rgba || !out) {
    free(rgba);
    free(out);
    TIFFClose(tif);
    mien_set_error("cannot decode '%s': out of memory for %dx%d pixels", path, height, width);
    return -1;
  }
  if (!TIFFReadRGBAImageOriented(tif, (uint32_t)width, (uint32_t)height, rgba, ORIENTATION_TOPLEFT, 0)) {
    mien_set_error("cannot decode '%s': %s", path, e.message[0] ? e.message : "libtiff could not read the pixels");
    free(rgba);
    free(out);
    TIFFClose(tif);
    return -1;
  }
  TIFFClose(tif);
  unpack(rgba, (int64_t)npix, channels, stored <= 2, out);
  free(rgba);
  *pixels = out;
  *h = height;
  *w = width;
  *c = channels;
  return 0;
}

#endif /* MIEN_HAVE_TIFF */
