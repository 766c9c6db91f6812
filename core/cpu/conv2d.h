/* 2-D convolution (cross-correlation, as in PyTorch) on contiguous NCHW
 * arrays, with per-axis stride, zero padding and dilation, and groups
 * (groups == C_in gives a depthwise convolution).
 *
 *   x  [N, C_in, H, W]
 *   w  [C_out, C_in / groups, KH, KW]
 *   y  [N, C_out, OH, OW],  OH = (H + 2*pad_h - dil_h*(KH-1) - 1) / stride_h + 1
 *
 * Output channel co sees input channels of group co / (C_out / groups).
 * All functions return 0, or -1 with mien_set_error for invalid parameters or
 * when scratch memory cannot be allocated. Outputs are overwritten. */
#ifndef MIEN_CPU_CONV2D_H
#define MIEN_CPU_CONV2D_H

#include <stdint.h>

#include "backend.h"

/* mien_conv2d_params: backend.h */


/* y = conv(x, w) + bias; bias [C_out] may be NULL. */
int mien_conv2d_forward_f32(const mien_conv2d_params *p, const float *x, const float *w, const float *bias, float *y);
/* dx [N, C_in, H, W] = gradient of <y, dy> with respect to x. */
int mien_conv2d_backward_input_f32(const mien_conv2d_params *p, const float *dy, const float *w, float *dx);
/* dw [C_out, C_in / groups, KH, KW] = gradient with respect to w. */
int mien_conv2d_backward_weight_f32(const mien_conv2d_params *p, const float *x, const float *dy, float *dw);
/* db [C_out] = dy summed over N, OH, OW. */
int mien_conv2d_backward_bias_f32(const mien_conv2d_params *p, const float *dy, float *db);

int mien_conv2d_forward_f64(const mien_conv2d_params *p, const double *x, const double *w, const double *bias,
                            double *y);
int mien_conv2d_backward_input_f64(const mien_conv2d_params *p, const double *dy, const double *w, double *dx);
int mien_conv2d_backward_weight_f64(const mien_conv2d_params *p, const double *x, const double *dy, double *dw);
int mien_conv2d_backward_bias_f64(const mien_conv2d_params *p, const double *dy, double *db);

#endif
