/* Winograd minimal filtering F(m x m, r x r), r = 3 or 5, for stride-1, undilated,
 * ungrouped convolutions (Lavin & Gray 2016): each m x m output tile is
 * A^T [ (G g G^T) . (B^T d B) ] A over an alpha x alpha input tile,
 * alpha = m + r - 1, so the alpha^2 elementwise products of all tiles and
 * channels become alpha^2 GEMMs [C_out x C_in] x [C_in x tiles].
 * Private to core/cpu; conv2d.c dispatches to it.
 *
 * MIEN_CONV_ALGO=direct|winograd|winograd2|winograd4 forces the choice
 * (winograd2/winograd4 also force the tile size m) for tests and benchmarks;
 * unset or "auto" takes the measured heuristic of winograd_tile_for. */
#ifndef MIEN_CPU_WINOGRAD_H
#define MIEN_CPU_WINOGRAD_H

#include "conv2d.h"

/* Which pass a convolution's Winograd question is about. */
enum {
  WINO_FORWARD = 0,
  WINO_INPUT_GRAD = 1, /* itself a convolution of dy, with padding r - 1 - pad */
  WINO_WEIGHT_GRAD = 2
};

/* The output tile size m (2 or 4; 2 for 5x5 kernels and, unless forced, for
 * the weight gradient) Winograd would run this pass with, or 0 for the
 * direct path. */
int mien_winograd_tile(const mien_conv2d_params *p, int which);

/* What the output transform applies after the bias (fused inference). */
enum {
  MIEN_EPILOGUE_RELU = 1, /* max(y, 0) */
  MIEN_EPILOGUE_POOL = 2  /* then a 2x2, stride-2 max-pool: y is [N, C_out, OH / 2, OW / 2] */
};

/* y = conv(x, w) + bias (bias may be NULL), then the epilogue (0 or
 * MIEN_EPILOGUE_* flags); the problem must be one mien_winograd_tile
 * accepts. 0, or -1 with the error set. */
int mien_winograd_forward_f32(const mien_conv2d_params *p, int m, const float *x, const float *w, const float *bias,
                              int epilogue, float *y);
int mien_winograd_forward_f64(const mien_conv2d_params *p, int m, const double *x, const double *w,
                              const double *bias, int epilogue, double *y);
/* dx = the input gradient of conv(x, w) for output gradient dy. */
int mien_winograd_backward_input_f32(const mien_conv2d_params *p, int m, const float *dy, const float *w, float *dx);
int mien_winograd_backward_input_f64(const mien_conv2d_params *p, int m, const double *dy, const double *w,
                                     double *dx);

/* dw = the weight gradient of conv(x, w) for output gradient dy (overwritten). */
int mien_winograd_backward_weight_f32(const mien_conv2d_params *p, int m, const float *x, const float *dy, float *dw);
int mien_winograd_backward_weight_f64(const mien_conv2d_params *p, int m, const double *x, const double *dy,
                                      double *dw);

#endif
