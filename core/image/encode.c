/* Image writers: the one translation unit that compiles stb_image_write.
 * The bytes go through io/atomic_file (temporary file, fsync, rename). */
#include "encode.h"

#include "error.h"
#include "io/atomic_file.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
/* Some stb releases warn under -Wextra; keep that out of our build. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

typedef enum { FORMAT_PNG, FORMAT_JPEG, FORMAT_BMP } image_format;

typedef struct sink {
  mien_atomic_file *file;
  int failed; /* a write failed; its error is already set */
} sink;

static void sink_write(void *context, void *data, int size) {
  sink *s = context;
  if (!s->failed && mien_atomic_write(s->file, data, (size_t)size) != 0) s->failed = 1;
}

static int encode(sink *s, image_format format, const uint8_t *pixels, int h, int w, int c, int quality) {
  switch (format) {
  case FORMAT_PNG: return stbi_write_png_to_func(sink_write, s, w, h, c, pixels, w * c);
  case FORMAT_JPEG: return stbi_write_jpg_to_func(sink_write, s, w, h, c, pixels, quality);
  case FORMAT_BMP: return stbi_write_bmp_to_func(sink_write, s, w, h, c, pixels);
  }
  return 0;
}

static int write_image(const char *path, image_format format, const uint8_t *pixels, int h, int w, int c,
                       int quality) {
  if (h <= 0 || w <= 0 || c < 1 || c > 4) {
    mien_set_error("cannot write '%s': invalid image shape %dx%dx%d", path, h, w, c);
    return -1;
  }
  sink s = {mien_atomic_open(path), 0};
  if (!s.file) return -1;
  int encoded = encode(&s, format, pixels, h, w, c, quality);
  if (!encoded || s.failed) {
    if (!s.failed) mien_set_error("cannot write '%s': the encoder failed", path);
    mien_atomic_abort(s.file);
    return -1;
  }
  return mien_atomic_commit(s.file);
}

int mien_image_write_png(const char *path, const uint8_t *pixels, int h, int w, int c) {
  return write_image(path, FORMAT_PNG, pixels, h, w, c, 0);
}

int mien_image_write_jpeg(const char *path, const uint8_t *pixels, int h, int w, int c, int quality) {
  if (quality < 1 || quality > 100) {
    mien_set_error("cannot write '%s': JPEG quality must be 1..100, got %d", path, quality);
    return -1;
  }
  return write_image(path, FORMAT_JPEG, pixels, h, w, c, quality);
}

int mien_image_write_bmp(const char *path, const uint8_t *pixels, int h, int w, int c) {
  return write_image(path, FORMAT_BMP, pixels, h, w, c, 0);
}
