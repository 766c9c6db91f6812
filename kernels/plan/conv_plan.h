/* cuDNN descriptor values for a mien_conv2d_params, as a pure function, and
 * the per-shape cache of chosen algorithms (a small table keyed by the
 * params, the dtype and the pass). No cuDNN types: ints only. */
#ifndef MIEN_CONV_PLAN_H
#define MIEN_CONV_PLAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mien_conv_plan {
  int x[4], w[4], y[4]; /* NCHW / KCRS dims */
  int pad[2], stride[2], dilation[2], groups;
} mien_conv_plan;

/* Takes the fields of mien_conv2d_params (N, C_in, H, W, C_out, KH, KW,
 * stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups) as an array of 14,
 * so this stays free of the core's headers. 0, or -1 with err. */
int mien_conv_plan_make(const int64_t p[14], mien_conv_plan *plan, char *err, size_t errlen);

#define MIEN_CONV_CACHE_SIZE 64
typedef struct mien_conv_cache_entry {
  int64_t key[16]; /* the 14 params, dtype, pass */
  int algo;
  size_t workspace;
} mien_conv_cache_entry;
typedef struct mien_conv_cache {
  mien_conv_cache_entry e[MIEN_CONV_CACHE_SIZE];
  int count, next; /* next: the slot replaced when full (round robin) */
} mien_conv_cache;

/* Whether a cuDNN status means "not supported for this case" (cuDNN 9's
 * CUDNN_STATUS_NOT_SUPPORTED family, 3000..3999): the pass then runs on our
 * own kernels instead of failing. */
int mien_conv_falls_back(int cudnn_status);

/* The cache: algo -1 records that cuDNN had no algorithm (our kernels run). */
void mien_conv_cache_key(const int64_t p[14], int dtype, int pass, int64_t key[16]);
const mien_conv_cache_entry *mien_conv_cache_find(const mien_conv_cache *c, const int64_t key[16]);
void mien_conv_cache_put(mien_conv_cache *c, const int64_t key[16], int algo, size_t workspace);

#ifdef __cplusplus
}
#endif

#endif
