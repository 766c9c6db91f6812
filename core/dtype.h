/* Element types. Float64 exists on the CPU for gradient checks; int64 holds
 * labels and indices; uint8 holds images and boolean masks. bfloat16 (the
 * upper half of a float32) is a storage type on the CPU: tensors convert to
 * and from it (round to nearest even), arithmetic runs in float32 (bf16.h). */
#ifndef MIEN_DTYPE_H
#define MIEN_DTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum mien_dtype { MIEN_FLOAT32, MIEN_FLOAT64, MIEN_INT64, MIEN_UINT8, MIEN_BFLOAT16, MIEN_NUM_DTYPES } mien_dtype;

size_t mien_dtype_size(mien_dtype t);
const char *mien_dtype_name(mien_dtype t);          /* "float32", ... */
int mien_dtype_from_name(const char *name, mien_dtype *out); /* -1 if unknown */
/* float32 or float64: the types the kernels compute in. */
int mien_dtype_is_float(mien_dtype t);
/* Any floating-point type, bfloat16 included (values read back as numbers). */
int mien_dtype_is_floating(mien_dtype t);
/* The type that both operands of a binary op are converted to. */
mien_dtype mien_dtype_promote(mien_dtype a, mien_dtype b);

#endif
