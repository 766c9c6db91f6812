/* Image writing through stb_image_write. Every writer is atomic (see
 * io/atomic_file.h): the data goes to "<path>.tmp.XXXXXX" in the same
 * directory, is fsynced, and is then renamed over path, so readers never see
 * a partial file. Pixels are row-major [h,w,c] uint8 with c = 1 (grey),
 * 2 (grey+alpha), 3 (RGB) or 4 (RGBA). Returns 0, or -1 with an error
 * naming the path. */
#ifndef MIEN_IMAGE_ENCODE_H
#define MIEN_IMAGE_ENCODE_H

#include <stdint.h>

int mien_image_write_png(const char *path, const uint8_t *pixels, int h, int w, int c);
/* quality 1..100; JPEG has no alpha, so c = 2 or 4 drops it. */
int mien_image_write_jpeg(const char *path, const uint8_t *pixels, int h, int w, int c, int quality);
int mien_image_write_bmp(const char *path, const uint8_t *pixels, int h, int w, int c);

#endif
