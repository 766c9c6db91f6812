/* Macros that expand a statement once per element type, binding the C type
 * to a name. Used by the elementwise, copy and reduction kernels. */
#ifndef MIEN_DTYPE_DISPATCH_H
#define MIEN_DTYPE_DISPATCH_H

#include "dtype.h"

#define MIEN_DISPATCH(DT, T, ...)                  \
  switch (DT) {                                    \
    case MIEN_FLOAT32: { typedef float T; __VA_ARGS__ } break;   \
    case MIEN_FLOAT64: { typedef double T; __VA_ARGS__ } break;  \
    case MIEN_INT64: { typedef int64_t T; __VA_ARGS__ } break;   \
    case MIEN_UINT8: { typedef uint8_t T; __VA_ARGS__ } break;   \
    default: break;                                \
  }

#define MIEN_DISPATCH_FLOAT(DT, T, ...)            \
  switch (DT) {                                    \
    case MIEN_FLOAT32: { typedef float T; __VA_ARGS__ } break;   \
    case MIEN_FLOAT64: { typedef double T; __VA_ARGS__ } break;  \
    default: break;                                \
  }

#endif
