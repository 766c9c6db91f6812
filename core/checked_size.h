/* Checked sizes: every element count, stride and byte count computed from
 * outside data (a shape from Lua, a weight file, an image header, a CSV) is
 * multiplied here, with overflow detected by __builtin_mul_overflow, so an
 * oversized request fails with an error naming what overflowed before
 * anything is allocated.
 *
 * A shape's element count is the product of its sizes; the product of its
 * non-zero sizes must also fit in int64, so that contiguous strides (suffix
 * products) never overflow even for an empty tensor such as [0, 2^40, 2^40].
 * Byte counts are limited to INT64_MAX (ptrdiff_t), the most any index
 * arithmetic on them can address. */
#ifndef MIEN_CHECKED_SIZE_H
#define MIEN_CHECKED_SIZE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* "[3,4]" (cut short with "..." when it does not fit) for error messages. */
static inline const char *mien_format_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)shape[i]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
  else if (cap > 4) snprintf(buf + cap - 4, 4, "...");
  return buf;
}

/* a * b into *out; -1 with "<what>: <a> x <b> overflows" on overflow or a
 * negative factor. */
static inline int mien_checked_mul(int64_t a, int64_t b, const char *what, int64_t *out) {
  if (a < 0 || b < 0) {
    mien_set_error("%s: negative size (%lld x %lld)", what, (long long)a, (long long)b);
    return -1;
  }
  if (__builtin_mul_overflow(a, b, out)) {
    mien_set_error("%s: %lld x %lld overflows a 64-bit size", what, (long long)a, (long long)b);
    return -1;
  }
  return 0;
}

/* The element count of shape[0..ndim) into *numel; -1 with an error naming
 * `what`, the shape and the dim for a negative size or an overflowing product. */
static inline int mien_checked_numel(int ndim, const int64_t *shape, const char *what, int64_t *numel) {
  char text[160];
  int64_t nonzero = 1;
  int empty = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0) {
      mien_set_error("%s: negative size %lld in dim #%d of the shape %s", what, (long long)shape[d], d,
                     mien_format_shape(text, sizeof text, ndim, shape));
      return -1;
    }
    if (shape[d] == 0) {
      empty = 1;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, shape[d], &nonzero)) {
      mien_set_error("%s: the shape %s has too many elements (the product of its sizes overflows at dim #%d)", what,
                     mien_format_shape(text, sizeof text, ndim, shape), d);
      return -1;
    }
  }
  *numel = empty ? 0 : nonzero;
  return 0;
}

/* numel * elsize into *nbytes; -1 with an error naming `what` when it
 * exceeds INT64_MAX bytes. */
static inline int mien_checked_nbytes(int64_t numel, size_t elsize, const char *what, size_t *nbytes) {
  int64_t n;
  if (numel < 0 || elsize > (size_t)INT64_MAX || __builtin_mul_overflow(numel, (int64_t)elsize, &n)) {
    mien_set_error("%s: %lld elements of %zu bytes overflow a 64-bit byte count", what, (long long)numel, elsize);
    return -1;
  }
  *nbytes = (size_t)n;
  return 0;
}

/* Both at once: the element count and the byte count of a shape. */
static inline int mien_checked_shape_bytes(int ndim, const int64_t *shape, size_t elsize, const char *what,
                                           int64_t *numel, size_t *nbytes) {
  int64_t n;
  if (mien_checked_numel(ndim, shape, what, &n) != 0) return -1;
  if (mien_checked_nbytes(n, elsize, what, nbytes) != 0) return -1;
  if (numel) *numel = n;
  return 0;
}

#endif
