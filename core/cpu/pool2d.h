/* 2-D max and average pooling on contiguous NCHW arrays, PyTorch semantics:
 *
 *   OH = floor_or_ceil((H + 2*pad_h - KH) / stride_h) + 1
 *
 * where ceil_mode rounds up, except that a window must start inside the
 * input or its left/top padding. Padding may be at most half the kernel.
 * Max pooling ignores the padding (it is -inf); average pooling divides by
 * the window size including padding when count_include_pad, else by the
 * number of input elements it covers (windows running past the padding in
 * ceil mode never count the overhang).
 *
 * Global average pooling is avg pooling with KH = H, KW = W (stride 1,
 * padding 0), giving a 1x1 output.
 *
 * x [N, C, H, W], y [N, C, OH, OW]. Functions return 0, or -1 with
 * mien_set_error. Outputs (y, dx, indices) are overwritten. */
#ifndef MIEN_CPU_POOL2D_H
#define MIEN_CPU_POOL2D_H

#include <stdint.h>

#include "backend.h"

/* mien_pool2d_params: backend.h */


/* indices [N, C, OH, OW] receives the position (ih * W + iw, within its H x W
 * plane) of each maximum, for the backward pass; it may be NULL when no
 * backward will follow. NaN wins over numbers, as in PyTorch. */
int mien_max_pool2d_forward_f32(const mien_pool2d_params *p, const float *x, float *y, int64_t *indices);
int mien_max_pool2d_backward_f32(const mien_pool2d_params *p, const float *dy, const int64_t *indices, float *dx);
int mien_avg_pool2d_forward_f32(const mien_pool2d_params *p, const float *x, float *y);
int mien_avg_pool2d_backward_f32(const mien_pool2d_params *p, const float *dy, float *dx);

int mien_max_pool2d_forward_f64(const mien_pool2d_params *p, const double *x, double *y, int64_t *indices);
int mien_max_pool2d_backward_f64(const mien_pool2d_params *p, const double *dy, const int64_t *indices, double *dx);
int mien_avg_pool2d_forward_f64(const mien_pool2d_params *p, const double *x, double *y);
int mien_avg_pool2d_backward_f64(const mien_pool2d_params *p, const double *dy, double *dx);

#endif
