/* The im2col convolution (kernels/conv.cu) as a pure plan: sizes, how many
 * images share one column buffer, and the GEMM of each pass for a run of
 * images. No CUDA: unit-tested on the CPU (tests/cuda/test_cuda_plans.c).
 *
 * Columns. For image n, col[n] is [C_in*KH*KW, OH*OW]: row (c*KH + kh)*KW + kw,
 * column oh*OW + ow holds x[n, c, oh*stride_h - pad_h + kh*dil_h,
 * ow*stride_w - pad_w + kw*dil_w] (0 outside the image). Group g owns the
 * kg = C_in/groups * KH*KW rows starting at g*kg; its filters are the
 * cog = C_out/groups rows of w [C_out, kg] starting at g*cog. Per image and
 * group (row-major GEMMs, backend.h):
 *   forward:  y[n,g] [cog, ohw] = w[g] [cog, kg] . col[n,g] [kg, ohw]
 *   data:     dcol[n,g] [kg, ohw] = w[g]^T . dy[n,g] [cog, ohw]   (then col2im into dx)
 *   filter:   dw[g] [cog, kg] += dy[n,g] . col[n,g]^T             (beta 0 for the first image)
 * One GEMM call is batched over the groups of one image, or, with one group,
 * over the images of a run (w broadcast: stride 0). */
#ifndef MIEN_IM2COL_PLAN_H
#define MIEN_IM2COL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mien_im2col_pass { MIEN_IM2COL_FORWARD, MIEN_IM2COL_DATA, MIEN_IM2COL_FILTER } mien_im2col_pass;

typedef struct mien_im2col_plan {
  int64_t OH, OW, ohw;
  int64_t groups, cog, kg;
  int64_t col_rows;          /* C_in*KH*KW */
  int64_t x_image, y_image;  /* elements of one image of x and of y */
  int64_t col_image;         /* elements of one image's columns: col_rows*ohw */
  int64_t images_per_chunk;  /* images whose columns share the buffer */
  size_t chunk_bytes;        /* the buffer: images_per_chunk * col_image * element size */
} mien_im2col_plan;

/* A row-major GEMM call: element offsets are per operand from the pass's
 * base pointers (w, the image's y or dy, the image's columns). */
typedef struct mien_im2col_gemm {
  bool trans_a, trans_b;
  int64_t M, N, K, lda, ldb, ldc, stride_a, stride_b, stride_c, batch;
} mien_im2col_gemm;

/* p: the 14 fields of mien_conv2d_params (as in conv_plan.h). Chooses
 * images_per_chunk so that the buffer stays under workspace_bytes (at least
 * one image). 0, or -1 with the reason (bad params, a size overflow) in err. */
int mien_im2col_plan_make(const int64_t p[14], size_t elem_size, size_t workspace_bytes, mien_im2col_plan *plan,
                          char *err, size_t errlen);

/* The GEMM of `pass` over `images` consecutive images (forward and data with
 * one group: all of them in one call; otherwise images must be 1 and the call
 * is batched over the groups). The filter pass is always one image. */
mien_im2col_gemm mien_im2col_gemm_of(const mien_im2col_plan *plan, mien_im2col_pass pass, int64_t images);

#ifdef __cplusplus
}
#endif

#endif
