/* Image decoding through stb_image: JPEG, PNG, BMP, TGA, PNM and GIF (first
 * frame); TIFF (first page) through libtiff, see decode_tiff.h.
 * Pixels are 8-bit, row-major HWC (height, width, channels). */
#ifndef MIEN_IMAGE_DECODE_H
#define MIEN_IMAGE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Decode one file. want_channels: 0 keeps the stored channel count (1..4, so
 * grey+alpha and RGBA stay as they are), 1 converts to grey, 3 to RGB.
 * On success *pixels is a new [h,w,c] buffer to release with
 * mien_image_free. Returns 0, or -1 with an error naming the file. */
int mien_image_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c);
void mien_image_free(uint8_t *pixels);

/* The same from bytes in memory (name is for messages). Both go through
 * mien_image_check (image_check.h) first: bad Huffman tables, decode bombs,
 * truncated files and images over the pixel limit are errors. */
int mien_image_decode(const char *name, const uint8_t *data, size_t len, int want_channels, uint8_t **pixels, int *h,
                      int *w, int *c);

/* Size and stored channel count from the header, without decoding. */
int mien_image_info(const char *path, int *h, int *w, int *c);

/* What the batch loader does with an image whose size is not h x w. */
typedef enum mien_size_policy {
  MIEN_SIZE_ERROR = 0, /* the file counts as bad ("is 64x64, expected 48x48") */
  MIEN_SIZE_BILINEAR,  /* bilinear resize */
  MIEN_SIZE_AREA,      /* area (box filter) resize */
  MIEN_SIZE_AUTO       /* area when shrinking both sides, bilinear otherwise */
} mien_size_policy;

typedef struct mien_batch_load_opts {
  int height, width; /* size of every slot of the output */
  int channels;      /* 1 or 3: every image is converted to this */
  mien_size_policy size_policy;
  int skip_bad;      /* 0: a bad file fails the call; 1: it is zero-filled and listed */
} mien_batch_load_opts;

/* Decode paths[0..n) into out, a caller-allocated [n,height,width,channels]
 * buffer, in parallel (OpenMP, each thread decodes different files).
 * Without skip_bad, returns -1 if any file is bad, with the error of the
 * lowest-index bad file (its path and the reason); out is then undefined.
 * With skip_bad, bad slots are zero-filled, their indices (ascending) are
 * written to failed (capacity n; may be NULL) and their count to *n_failed
 * (may be NULL), and the call returns 0. -1 also for invalid options. */
int mien_image_load_batch(const char *const *paths, int64_t n, const mien_batch_load_opts *opts, uint8_t *out,
                          int64_t *failed, int64_t *n_failed);

#endif
