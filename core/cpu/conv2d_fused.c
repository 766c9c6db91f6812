/* Fused inference convolution (conv2d_fused.h). */
#include "conv2d_fused.h"

#include "cache.h"
#include "error.h"
#include "simd.h"
#include "threads.h"

#define REAL float
#define FN(name) name##_f32
#include "conv2d_fused_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "conv2d_fused_impl.h"
