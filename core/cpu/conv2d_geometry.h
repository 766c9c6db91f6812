/* Derived sizes of a validated conv2d problem, shared by the im2col and
 * depthwise paths. Private to core/cpu. */
#ifndef MIEN_CPU_CONV2D_GEOMETRY_H
#define MIEN_CPU_CONV2D_GEOMETRY_H

#include <stdint.h>

#include "conv2d.h"

typedef struct conv2d_geometry {
  mien_conv2d_params p;
  int64_t OH, OW;
  int64_t in_plane, out_plane;   /* H * W, OH * OW */
  int64_t group_in, group_out;   /* channels per group */
  int64_t kernel_size;           /* KH * KW */
  int64_t col_rows;              /* group_in * KH * KW: one group's im2col rows */
} conv2d_geometry;

/* Output positions [*lo, *hi) whose input position o * stride + offset lies
 * in [0, size); offset = k * dilation - padding for kernel tap k. Lets the
 * inner loops run without bounds checks. */
static inline void conv2d_valid_range(int64_t size, int64_t out_size, int64_t stride, int64_t offset, int64_t *lo,
                                      int64_t *hi) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t end = size - offset <= 0 ? 0 : (size - offset + stride - 1) / stride;
  if (end > out_size) end = out_size;
  if (first > end) first = end;
  *lo = first;
  *hi = end;
}

#endif
