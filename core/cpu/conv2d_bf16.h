/* conv2d with bf16 products (autocast): the float32 entry points of conv2d.h
 * whose im2col GEMMs run through mien_gemm_bf16 (inputs rounded to bf16,
 * float32 sums). The small-K products (few column rows: a first layer on a
 * grey image) and depthwise convolutions stay float32: they are bound by
 * memory, not arithmetic. Precondition: mien_cpu_has_bf16(). Private to
 * core/cpu. */
#ifndef MIEN_CPU_CONV2D_BF16_H
#define MIEN_CPU_CONV2D_BF16_H

#include "backend.h"

int mien_conv2d_forward_bf16(const mien_conv2d_params *p, const float *x, const float *w, const float *bias, float *y);
int mien_conv2d_backward_input_bf16(const mien_conv2d_params *p, const float *dy, const float *w, float *dx);
int mien_conv2d_backward_weight_bf16(const mien_conv2d_params *p, const float *x, const float *dy, float *dw);

#endif
