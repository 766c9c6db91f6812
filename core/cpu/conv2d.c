/* conv2d: parameter validation and the float/double instantiations of
 * conv2d_impl.h (im2col + GEMM, or the small-K products of
 * conv2d_smallk_impl.h) and conv2d_depthwise_impl.h (direct). */
#include "conv2d.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "conv2d_geometry.h"
#include "error.h"
#include "gemm.h"
#include "simd.h"
#include "threads.h"
#include "winograd.h"

static int conv2d_check(int ok, const mien_conv2d_params *p, const char *what) {
  if (ok) return 1;
  mien_set_error("conv2d: %s (N=%" PRId64 " C_in=%" PRId64 " H=%" PRId64 " W=%" PRId64 " C_out=%" PRId64
                 " kernel=%" PRId64 "x%" PRId64 " stride=%" PRId64 "x%" PRId64 " padding=%" PRId64 "x%" PRId64
                 " dilation=%" PRId64 "x%" PRId64 " groups=%" PRId64 ")",
                 what, p->N, p->C_in, p->H, p->W, p->C_out, p->KH, p->KW, p->stride_h, p->stride_w, p->pad_h,
                 p->pad_w, p->dil_h, p->dil_w, p->groups);
  return 0;
}

int mien_conv2d_out_size(const mien_conv2d_params *p, int64_t *OH, int64_t *OW) {
  if (!conv2d_check(p->N >= 0 && p->C_in > 0 && p->H > 0 && p->W > 0 && p->C_out > 0, p,
                    "sizes must be positive (N may be 0)") ||
      !conv2d_check(p->KH > 0 && p->KW > 0, p, "kernel size must be positive") ||
      !conv2d_check(p->stride_h > 0 && p->stride_w > 0, p, "stride must be positive") ||
      !conv2d_check(p->dil_h > 0 && p->dil_w > 0, p, "dilation must be positive") ||
      !conv2d_check(p->pad_h >= 0 && p->pad_w >= 0, p, "padding must be non-negative") ||
      !conv2d_check(p->groups > 0 && p->C_in % p->groups == 0 && p->C_out % p->groups == 0, p,
                    "groups must divide C_in and C_out"))
    return -1;
  /* extent of the padded input minus the dilated kernel's reach */
  const int64_t span_h = p->H + 2 * p->pad_h - p->dil_h * (p->KH - 1) - 1;
  const int64_t span_w = p->W + 2 * p->pad_w - p->dil_w * (p->KW - 1) - 1;
  if (span_h < 0 || span_w < 0) {
    mien_set_error("conv2d: the dilated kernel (%" PRId64 "x%" PRId64 ") is larger than the padded input (%" PRId64
                   "x%" PRId64 "), so the output would be empty",
                   p->dil_h * (p->KH - 1) + 1, p->dil_w * (p->KW - 1) + 1, p->H + 2 * p->pad_h, p->W + 2 * p->pad_w);
    return -1;
  }
  *OH = span_h / p->stride_h + 1;
  *OW = span_w / p->stride_w + 1;
  return 0;
}

static int conv2d_geometry_init(conv2d_geometry *g, const mien_conv2d_params *p) {
  if (mien_conv2d_out_size(p, &g->OH, &g->OW) != 0) return -1;
  g->p = *p;
  g->in_plane = p->H * p->W;
  g->out_plane = g->OH * g->OW;
  g->group_in = p->C_in / p->groups;
  g->group_out = p->C_out / p->groups;
  g->kernel_size = p->KH * p->KW;
  g->col_rows = g->group_in * g->kernel_size;
  return 0;
}

/* A 1x1, stride-1, unpadded convolution is a plain GEMM on the image. */
static int conv2d_is_pointwise(const mien_conv2d_params *p) {
  return p->KH == 1 && p->KW == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 && p->pad_w == 0;
}

static int conv2d_is_depthwise(const mien_conv2d_params *p) { return p->groups > 1 && p->groups == p->C_in; }

/* Up to this many column rows (group_in * KH * KW) the small-K products of
 * conv2d_smallk_impl.h beat the packed GEMM at FER shapes: the forward and
 * input-gradient kernel, which keeps a K x 16 strip of columns in L1, */
#define CONV2D_SMALL_NN_K 256
/* and the weight-gradient kernel, which rereads its operands more. */
#define CONV2D_SMALL_NT_K 72

static int conv2d_small_nn(const conv2d_geometry *g) { return g->col_rows <= CONV2D_SMALL_NN_K; }
static int conv2d_small_nt(const conv2d_geometry *g) { return g->col_rows <= CONV2D_SMALL_NT_K; }

/* Multiply-adds of one forward pass, to decide on threading. */
static int64_t conv2d_work(const conv2d_geometry *g) {
  return g->p.N * g->p.C_out * g->out_plane * g->col_rows;
}

/* Threads to spread the batch over: all of them when every thread gets an
 * image, else one, leaving the threads to each image's GEMMs. */
static int conv2d_batch_threads(const conv2d_geometry *g) {
  const int max = mien_max_threads();
  return g->p.N >= max && conv2d_work(g) > MIEN_PARALLEL_GRAIN ? max : 1;
}

/* Images whose columns share one GEMM: enough for about this many columns
 * (N = images * OH * OW; the packed GEMM runs well from a few hundred), */
#define CONV2D_SPAN_COLUMNS 512
/* but no more than this many bytes of column matrix per thread (more
 * measured slower), and evened out so that every thread runs as many. */
#define CONV2D_SPAN_BYTES ((int64_t)8 << 20)

/* The span of a GEMM pass; 1 for a pointwise kernel (x is the column matrix)
 * or the small-K kernels. */
static int64_t conv2d_span(const conv2d_geometry *g, int nthreads, size_t elem_size, int small_k) {
  if (conv2d_is_pointwise(&g->p) || small_k) return 1;
  const int64_t per_thread = (g->p.N + nthreads - 1) / nthreads;
  const int64_t image_bytes = (int64_t)elem_size * g->p.C_in * g->kernel_size * g->out_plane;
  int64_t span = (CONV2D_SPAN_COLUMNS + g->out_plane - 1) / g->out_plane;
  if (span * image_bytes > CONV2D_SPAN_BYTES) span = CONV2D_SPAN_BYTES / image_bytes;
  if (span < 1) span = 1;
  if (span >= per_thread) return per_thread > 1 ? per_thread : 1;
  const int64_t rounds = (per_thread + span - 1) / span; /* spans per thread */
  return (per_thread + rounds - 1) / rounds;
}


/* How an im2col pass splits the batch: spans of images, one per work item,
 * and each thread's scratch: the span's column matrix (none for a pointwise
 * kernel, whose input is its own column matrix) and, for spans of several
 * images, their output planes gathered side by side. */
typedef struct conv2d_plan {
  int nthreads;
  int64_t span, nspans;
  int64_t col_size, planes_size; /* elements per thread */
} conv2d_plan;

static conv2d_plan conv2d_plan_of(const conv2d_geometry *g, size_t elem_size, int small_k) {
  conv2d_plan pl;
  pl.nthreads = conv2d_batch_threads(g);
  pl.span = conv2d_span(g, pl.nthreads, elem_size, small_k);
  pl.nspans = (g->p.N + pl.span - 1) / pl.span;
  pl.col_size = conv2d_is_pointwise(&g->p) ? 0 : g->p.C_in * g->kernel_size * g->out_plane * pl.span;
  pl.planes_size = pl.span > 1 ? g->p.C_out * g->out_plane * pl.span : 0;
  return pl;
}

/* The plan's scratch for every thread plus `extra` elements, from the
 * block cache (the same sizes come back every step), in *bytes bytes for
 * conv2d_scratch_free. Returns 0 with *out NULL when nothing is needed, -1
 * (error set) when memory runs out. */
static int conv2d_scratch(const conv2d_plan *pl, size_t elem_size, int64_t extra, void **out, size_t *bytes) {
  const int64_t n = (pl->col_size + pl->planes_size) * pl->nthreads + extra;
  *bytes = elem_size * (size_t)n;
  *out = n ? mien_cpu_alloc(*bytes, false) : NULL;
  if (n && !*out) {
    mien_set_error("conv2d: out of memory (%zu bytes of scratch)", *bytes);
    return -1;
  }
  return 0;
}

static void conv2d_scratch_free(void *scratch, size_t bytes) { mien_cpu_free(scratch, bytes); }

typedef float vec_f32 __attribute__((vector_size(32)));
typedef double vec_f64 __attribute__((vector_size(32)));

#define REAL float
#define VEC vec_f32
#define FN(name) name##_f32
#define GEMM mien_gemm_f32
#define GEMM_BUILTIN mien_gemm_f32_builtin
#include "im2col_impl.h"
#include "conv2d_depthwise_impl.h"
#include "conv2d_smallk_impl.h"
#include "conv2d_impl.h"
#undef REAL
#undef VEC
#undef FN
#undef GEMM
#undef GEMM_BUILTIN

#define REAL double
#define VEC vec_f64
#define FN(name) name##_f64
#define GEMM mien_gemm_f64
#define GEMM_BUILTIN mien_gemm_f64_builtin
#include "im2col_impl.h"
#include "conv2d_depthwise_impl.h"
#include "conv2d_smallk_impl.h"
#include "conv2d_impl.h"
#undef REAL
#undef VEC
#undef FN
#undef GEMM
#undef GEMM_BUILTIN

/* --- bf16 compute (conv2d_bf16.h): float32 arrays, the im2col GEMMs in bf16 --- */
#include "conv2d_bf16.h"
#include "gemm_bf16.h"
#define REAL float
#define VEC vec_f32
#define FN(name) name##_bf16
#define CONV2D_NO_WINOGRAD /* bf16 products go through the bf16 GEMM; Winograd stays float32 */
#define GEMM mien_gemm_bf16
#define GEMM_BUILTIN mien_gemm_bf16
#include "im2col_impl.h"
#include "conv2d_depthwise_impl.h"
#include "conv2d_smallk_impl.h"
#include "conv2d_impl.h"
