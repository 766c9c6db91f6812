/* TIFF fixtures written with libtiff, for the decoder's tests and the
 * data-set specs (through the tiff_fixture program). Sample k of pixel
 * (y, x) is tiff_fixture_value(y, x, k, seed); 16-bit files store it times
 * 257, so their high byte is the same value. */
#ifndef MIEN_TESTS_TIFF_FIXTURE_H
#define MIEN_TESTS_TIFF_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <tiffio.h>

static inline uint8_t tiff_fixture_value(int y, int x, int k, int seed) {
  return (uint8_t)((y * 7 + x * 13 + k * 50 + seed) & 255);
}

/* spp 1 (grey) or 3 (RGB); bits 8 or 16; compression a COMPRESSION_* value;
 * pages >= 1 (page p uses seed + 100 p). Returns 0, or -1. */
static inline int tiff_fixture_write(const char *path, int h, int w, int spp, int bits, int compression, int pages,
                                     int seed) {
  TIFF *tif = TIFFOpen(path, "w");
  if (!tif) return -1;
  int bytes = bits / 8;
  unsigned char *row = malloc((size_t)w * (size_t)spp * (size_t)bytes);
  int rc = row ? 0 : -1;
  for (int p = 0; p < pages && rc == 0; p++) {
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)h);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)spp);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, spp == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, (uint16_t)compression);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)4);
    for (int y = 0; y < h && rc == 0; y++) {
      for (int x = 0; x < w; x++)
        for (int k = 0; k < spp; k++) {
          uint8_t v = tiff_fixture_value(y, x, k, seed + 100 * p);
          size_t i = (size_t)x * spp + k;
          if (bytes == 1) row[i] = v;
          else ((uint16_t *)row)[i] = (uint16_t)(v * 257);
        }
      if (TIFFWriteScanline(tif, row, (uint32_t)y, 0) < 0) rc = -1;
    }
    if (rc == 0 && !TIFFWriteDirectory(tif)) rc = -1;
  }
  free(row);
  TIFFClose(tif);
  return rc;
}

#endif
