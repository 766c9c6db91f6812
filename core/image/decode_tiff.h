/* TIFF decoding through libtiff, reached from mien_image_load/_info when a
 * file starts with a TIFF signature (JPEG, PNG and the rest stay on stb). */
#ifndef MIEN_IMAGE_DECODE_TIFF_H
#define MIEN_IMAGE_DECODE_TIFF_H

#include <stdint.h>

/* 1 when the file at path starts with a classic or BigTIFF signature; 0
 * otherwise, including when it cannot be opened (the caller's own open then
 * reports that). */
int mien_tiff_sniff(const char *path);

/* The first page of a TIFF: 8- or 16-bit grey or RGB (with or without alpha)
 * or palette, any compression libtiff decodes (none, LZW, Deflate, ...),
 * strips or tiles. 16-bit samples keep their high byte. Same contract as
 * mien_image_load: want_channels 0 (the stored count), 1 or 3; the buffer is
 * malloc'd, so mien_image_free releases it. */
int mien_tiff_load(const char *path, int want_channels, uint8_t **pixels, int *h, int *w, int *c);

/* Size and stored channel count of the first page. */
int mien_tiff_info(const char *path, int *h, int *w, int *c);

#endif
