/* Fused inference convolution: y = pool(relu(conv(x, w) + bias)), the ReLU
 * and the 2x2 stride-2 max-pool optional (flags MIEN_EPILOGUE_* of
 * winograd.h). Winograd applies them in its output transform; the direct
 * path applies them in one pass over its output (instead of BatchNorm's,
 * ReLU's and the pool's). Private to core/cpu (table.c). */
#ifndef MIEN_CPU_CONV2D_FUSED_H
#define MIEN_CPU_CONV2D_FUSED_H

#include "conv2d.h"
#include "winograd.h"

/* y [N, C_out, OH, OW], or [N, C_out, OH / 2, OW / 2] with the pool. */
int mien_conv2d_forward_fused_f32(const mien_conv2d_params *p, const float *x, const float *w, const float *bias,
                                  int epilogue, float *y);
int mien_conv2d_forward_fused_f64(const mien_conv2d_params *p, const double *x, const double *w, const double *bias,
                                  int epilogue, double *y);

#endif
