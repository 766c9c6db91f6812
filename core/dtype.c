#include "dtype.h"

#include <string.h>

static const char *const names[MIEN_NUM_DTYPES] = {"float32", "float64", "int64", "uint8", "bfloat16"};
static const size_t sizes[MIEN_NUM_DTYPES] = {4, 8, 8, 1, 2};

size_t mien_dtype_size(mien_dtype t) { return sizes[t]; }
const char *mien_dtype_name(mien_dtype t) { return names[t]; }

int mien_dtype_from_name(const char *name, mien_dtype *out) {
  for (int i = 0; i < MIEN_NUM_DTYPES; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (mien_dtype)i;
      return 0;
    }
  return -1;
}

int mien_dtype_is_float(mien_dtype t) { return t == MIEN_FLOAT32 || t == MIEN_FLOAT64; }
int mien_dtype_is_floating(mien_dtype t) { return mien_dtype_is_float(t) || t == MIEN_BFLOAT16; }

mien_dtype mien_dtype_promote(mien_dtype a, mien_dtype b) {
  if (a == b) return a;
  if (a == MIEN_FLOAT64 || b == MIEN_FLOAT64) return MIEN_FLOAT64;
  if (a == MIEN_FLOAT32 || b == MIEN_FLOAT32 || a == MIEN_BFLOAT16 || b == MIEN_BFLOAT16) return MIEN_FLOAT32;
  return MIEN_INT64; /* int64 with uint8 */
}
