/* Checks on an image file's bytes before any decoder sees them: the one
 * place a decoder (stb_image in decode.c, or another beside it) asks whether
 * data is safe to decode. It refuses
 *   - JPEG Huffman tables stb_image 2.27 would overflow (more than 256 codes,
 *     or code counts no prefix code can have),
 *   - images whose header claims more pixels than the limit (64 Mpx unless
 *     set), or more than the file's size can encode for the format
 *     (decode bombs),
 *   - truncated data (a JPEG without its end marker, a PNG without IEND, a
 *     BMP/PNM/TGA shorter than its pixel data), which stb would fill with zeros.
 * Every error names the file. */
#ifndef MIEN_IMAGE_CHECK_H
#define MIEN_IMAGE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define MIEN_IMAGE_DEFAULT_MAX_PIXELS (64LL * 1000 * 1000)

/* Validate data[0..len) read from `name` (used in messages only). 0 when a
 * decoder may go ahead, -1 with an error naming the file and the problem.
 * Formats it does not know pass; call mien_image_check_size for them once
 * their header gives the size. */
int mien_image_check(const char *name, const uint8_t *data, size_t len);

/* The pixel limit alone, for a decoder that reads the size itself. */
int mien_image_check_size(const char *name, int64_t width, int64_t height);

/* The process-wide limit on width*height; set returns the previous one.
 * n must be positive. */
int64_t mien_image_max_pixels(void);
int64_t mien_image_set_max_pixels(int64_t n);

/* JPEG only (jpeg_check.c): markers well formed, every Huffman table
 * consistent, an end-of-image marker present; *entropy_bytes receives the
 * bytes of entropy-coded data (the bound on how many pixels it can encode). */
int mien_jpeg_check(const char *name, const uint8_t *data, size_t len, size_t *entropy_bytes);

#endif
