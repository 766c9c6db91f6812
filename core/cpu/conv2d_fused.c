/* Fused inference convolution (conv2d_fused.h). */
#include "conv2d_fused.h"

#include "cache.h"
#include "error.h"
#include "simd.h"
#include "threads.h"

/* Images per round of the direct path: their full-size output (the
 * buffer) about this many bytes, so that it is still in cache when pooled. */
#define FUSED_BUFFER_BYTES ((int64_t)2 << 20)

#define REAL float
#define FN(name) name##_f32
#include "conv2d_fused_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "conv2d_fused_impl.h"
