/* bfloat16 <-> float32, one value at a time (plain C, any CPU).
 *
 * A bfloat16 is the upper 16 bits of a float32: the same sign and 8-bit
 * exponent, 7 stored mantissa bits. Narrowing rounds to nearest, ties to
 * even, on the bits (so subnormals round like any other value and a finite
 * value past the largest bfloat16 becomes an infinity, as IEEE rounding
 * does); Inf stays Inf and a NaN stays a NaN of the same sign (quiet). Widening
 * is exact. float64 narrows through float32. */
#ifndef MIEN_BF16_H
#define MIEN_BF16_H

#include <stdint.h>
#include <string.h>

typedef uint16_t mien_bf16;

static inline mien_bf16 mien_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (mien_bf16)((u >> 16) | 0x0040u); /* NaN: keep it quiet */
  u += 0x7fffu + ((u >> 16) & 1u); /* ties go to the even upper half */
  return (mien_bf16)(u >> 16);
}

static inline float mien_bf16_to_f32(mien_bf16 h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* f rounded to the nearest bfloat16, as a float32. */
static inline float mien_bf16_round(float f) { return mien_bf16_to_f32(mien_f32_to_bf16(f)); }

#endif
