/* The check every image goes through before decoding (see image_check.h). */
#include "image_check.h"

#include <string.h>

#include "error.h"

/* stb_image's declarations only; decode.c compiles the implementation. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stb_image.h>
#pragma GCC diagnostic pop

static int64_t max_pixels = MIEN_IMAGE_DEFAULT_MAX_PIXELS;

int64_t mien_image_max_pixels(void) { return __atomic_load_n(&max_pixels, __ATOMIC_RELAXED); }

int64_t mien_image_set_max_pixels(int64_t n) {
  return n > 0 ? __atomic_exchange_n(&max_pixels, n, __ATOMIC_RELAXED) : mien_image_max_pixels();
}

int mien_image_check_size(const char *name, int64_t width, int64_t height) {
  const int64_t limit = mien_image_max_pixels();
  if (width <= 0 || height <= 0) {
    mien_set_error("'%s': image claims an empty size %lldx%lld", name, (long long)width, (long long)height);
    return -1;
  }
  if (width > limit / height) {
    mien_set_error("'%s': image claims %lldx%lld (width x height) pixels, more than the limit of %lld "
                   "(mien.image.set_max_pixels)", name,
                   (long long)width, (long long)height, (long long)limit);
    return -1;
  }
  return 0;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int bomb(const char *name, const char *format, int64_t w, int64_t h, size_t len) {
  mien_set_error("'%s': %s claims %lldx%lld (width x height) pixels but its %zu bytes cannot encode that many (a decode bomb or a "
                 "truncated file)", name, format, (long long)w, (long long)h, len);
  return -1;
}

static int truncated(const char *name, const char *format, size_t need, size_t len) {
  mien_set_error("'%s': truncated %s (%zu bytes of pixel data needed, the file has %zu)", name, format, need, len);
  return -1;
}

/* PNG: chunks walk to IEND; the pixels cannot exceed what deflate's
 * best ratio (about 1032:1) makes of the file. */
static int check_png(const char *name, const uint8_t *d, size_t len, int64_t w, int64_t h) {
  size_t i = 8;
  int seen_end = 0;
  while (len - i >= 12) {
    uint32_t n = be32(d + i);
    if (n > len - i - 12) break;
    if (!memcmp(d + i + 4, "IEND", 4)) {
      seen_end = 1;
      break;
    }
    i += 12 + (size_t)n;
  }
  if (!seen_end) {
    mien_set_error("'%s': truncated PNG (no IEND chunk in its %zu bytes)", name, len);
    return -1;
  }
  if ((double)w * (double)h > 1100.0 * 8.0 * (double)len) return bomb(name, "PNG", w, h, len);
  return 0;
}

/* BMP (uncompressed or bitfields; stb decodes no RLE): rows padded to 4
 * bytes must all be in the file. */
static int check_bmp(const char *name, const uint8_t *d, size_t len, int64_t w, int64_t h) {
  if (len < 30) return truncated(name, "BMP", 30, len);
  uint32_t offset = le32(d + 10), header = le32(d + 14);
  uint32_t bpp = header == 12 ? le16(d + 24) : le16(d + 28);
  if (bpp == 0) return 0; /* stb rejects it itself */
  double row = (double)(((uint64_t)w * bpp + 31) / 32 * 4);
  double need = (double)offset + row * (double)h;
  if (need > (double)len) return truncated(name, "BMP", need > 1e18 ? (size_t)-1 : (size_t)need, len);
  return 0;
}

/* PNM (binary P5/P6) header: width, height and maximum value, each after
 * whitespace or comments, then one whitespace byte. Read here before
 * stb_image reads it: stb 2.27 multiplies the digits into an int unchecked. */
static int pnm_header(const char *name, const uint8_t *d, size_t len, size_t *data_start, long *maxval) {
  size_t i = 2;
  long value[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    for (;;) {
      while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r' || d[i] == '\f' || d[i] == '\v'))
        i++;
      if (i < len && d[i] == '#') {
        while (i < len && d[i] != '\n' && d[i] != '\r') i++;
        continue;
      }
      break;
    }
    while (i < len && d[i] >= '0' && d[i] <= '9') {
      value[k] = value[k] * 10 + (d[i++] - '0');
      if (value[k] > (1L << 24)) {
        mien_set_error("'%s': PNM header number %d is too large", name, k + 1);
        return -1;
      }
    }
  }
  if (value[2] > 255) { /* stb_image 2.27 converts 16-bit PNM channels past its buffer */
    mien_set_error("'%s': 16-bit PNM (maximum value %ld) is not supported", name, value[2]);
    return -1;
  }
  *data_start = i + 1; /* the single whitespace before the samples */
  *maxval = value[2];
  return 0;
}

/* PNM samples: w*h*c bytes after the header. */
static int check_pnm(const char *name, const uint8_t *d, size_t len, int64_t w, int64_t h, size_t data_start) {
  double need = (double)data_start + (double)w * (double)h * (d[1] == '6' ? 3.0 : 1.0);
  if (need > (double)len) return truncated(name, "PNM", need > 1e18 ? (size_t)-1 : (size_t)need, len);
  return 0;
}

/* TGA: uncompressed data must be whole; an RLE packet holds at most 128 pixels. */
static int check_tga(const char *name, const uint8_t *d, size_t len, int64_t w, int64_t h) {
  if (len < 18) return truncated(name, "TGA", 18, len);
  int type = d[2], bits = d[16];
  double pixels = (double)w * (double)h;
  if (type >= 9) {
    if (pixels > 128.0 * (double)len) return bomb(name, "TGA", w, h, len);
    return 0;
  }
  double colormap = d[1] ? (double)le16(d + 5) * ((d[7] + 7) / 8) : 0;
  double need = 18.0 + d[0] + colormap + pixels * ((bits + 7) / 8);
  if (need > (double)len) return truncated(name, "TGA", need > 1e18 ? (size_t)-1 : (size_t)need, len);
  return 0;
}

int mien_image_check(const char *name, const uint8_t *d, size_t len) {
  int w, h, c;
  size_t fill = 0; /* stb_image takes 0xFF... 0xD8 for a JPEG, as the standard allows */
  while (fill < len && d[fill] == 0xFF) fill++;
  const int is_jpeg = fill > 0 && fill < len && d[fill] == 0xD8;
  size_t entropy = 0;
  /* the JPEG tables first: stbi_info itself reads them */
  if (is_jpeg && mien_jpeg_check(name, d, len, &entropy) != 0) return -1;
  if (len > (size_t)INT32_MAX) {
    mien_set_error("'%s': %zu bytes is more than an image file may have", name, len);
    return -1;
  }
  const int is_pnm = len >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6');
  size_t pnm_start = 0;
  long maxval = 0;
  if (is_pnm && pnm_header(name, d, len, &pnm_start, &maxval) != 0) return -1;
  if (!stbi_info_from_memory(d, (int)len, &w, &h, &c)) return 0; /* the decoder names the problem */
  if (mien_image_check_size(name, w, h) != 0) return -1;
  if (is_jpeg) {
    /* at least one bit per 8x8 block of the first scan (a DC code): 512 px a byte */
    if ((double)w * (double)h > 512.0 * 2.0 * (double)(entropy + 1)) return bomb(name, "JPEG", w, h, len);
    return 0;
  }
  if (len >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8)) return check_png(name, d, len, w, h);
  if (len >= 2 && d[0] == 'B' && d[1] == 'M') return check_bmp(name, d, len, w, h);
  if (is_pnm) return check_pnm(name, d, len, w, h, pnm_start);
  if (len >= 6 && !memcmp(d, "GIF8", 4)) {
    /* an LZW code of 12 bits yields at most 4096 pixels */
    if ((double)w * (double)h > 4096.0 * 8.0 / 12.0 * (double)len) return bomb(name, "GIF", w, h, len);
    return 0;
  }
  return check_tga(name, d, len, w, h); /* the remaining format stb reads */
}
