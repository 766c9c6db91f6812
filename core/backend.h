/* The backend table: what a device provides to the op layer.
 *
 * A backend is one mien_backend struct of function pointers, one per kernel
 * the ops need. The op layer (core/ops/) checks shapes, dtypes and devices
 * once, records autograd, and then calls the table of the tensors' device;
 * nothing outside a backend reads or writes device memory.
 *
 * Registering. A backend fills a static mien_backend (type, name,
 * device_count and the entries it has) and calls mien_backend_register(&b)
 * once, at load time: the registry registers the CPU backend
 * (core/cpu/table.c) before its first lookup; a CUDA backend registers when
 * it is loaded (at run time, from its own init function). Registering fills b.host with the core's
 * services (errors), which the backend keeps, e.g. in a static pointer to its
 * table. One backend serves every index of its device type ("cuda:0",
 * "cuda:1", ...): before calling into it for a tensor on index i the core
 * calls set_device(i) when that entry is not NULL.
 *
 * A missing entry (NULL) is never called: the op fails with the message
 * "conv2d: not available on cuda:0" (the op's name and the device), which the
 * binding raises as a Lua error. A backend may therefore start with memory
 * and a few kernels and grow.
 *
 * Descriptors. Entries take plain data: device pointers, sizes, element
 * strides and dtypes (mien_strided for strided operands; contiguous arrays
 * plus a params struct for conv, pooling and batch norm), never mien_tensor
 * or autograd types, so a backend compiled by nvcc needs only this header
 * (and the plain-C headers it includes). Pointers are device pointers of the
 * backend's own device unless named host_*. Entries return 0, or -1 after
 * host->error(...) (the message names the op and the reason).
 *
 * Numbers: float32 and float64 kernels accumulate in double where the CPU
 * does (reductions, batch norm statistics, optimizer updates), so a device
 * matches the CPU within the per-dtype tolerances of tests/test_backend_ops.c,
 * which runs every entry of every registered backend against float64
 * references. Random entries take (seed, base) of the Philox streams
 * documented in rng.h and must reproduce the CPU streams exactly. */
#ifndef MIEN_BACKEND_H
#define MIEN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"
#include "image/augment.h"
#include "image/transform.h"

#ifndef MIEN_MAX_DIMS
#define MIEN_MAX_DIMS 8
#endif

/* --- devices: a type and an index, packed in an int ("cpu", "cuda", "cuda:1") --- */

typedef enum mien_device_type { MIEN_DEVICE_CPU = 0, MIEN_DEVICE_CUDA = 1, MIEN_NUM_DEVICE_TYPES = 2 } mien_device_type;
typedef int mien_device; /* type in the low 8 bits, index above: the CPU is 0 */
/* Where host memory lives: images, files and Lua tables come in here. */
#define MIEN_HOST ((mien_device)0)

static inline mien_device mien_device_make(mien_device_type type, int index) { return (int)type | index << 8; }
static inline mien_device_type mien_device_type_of(mien_device d) { return (mien_device_type)(d & 0xff); }
static inline int mien_device_index(mien_device d) { return d >> 8; }
/* "cpu", "cuda" (= "cuda:0"), "cuda:1": -1 with an error naming the text if malformed.
 * Parsing does not ask whether the device exists; mien_backend_for does. */
int mien_device_parse(const char *text, mien_device *out);
/* "cpu", "cuda:0", ... into buf; returns buf. */
const char *mien_device_str(mien_device d, char *buf, size_t n);
const char *mien_device_type_name(mien_device_type type); /* "cpu", "cuda" */

/* --- descriptors --- */

/* A strided operand: element (i0, ..., i{ndim-1}) is at
 * data + sum(ik * stride[k]) elements. A stride of 0 broadcasts. The op layer
 * gives all operands of one call the same ndim and shape (the output's). */
typedef struct mien_strided {
  void *data; /* the first element, on the backend's device */
  mien_dtype dtype;
  int ndim;
  int64_t shape[MIEN_MAX_DIMS];
  int64_t stride[MIEN_MAX_DIMS]; /* in elements */
} mien_strided;

typedef enum mien_binary_op {
  MIEN_ADD, MIEN_SUB, MIEN_MUL, MIEN_DIV, MIEN_POW, MIEN_MAXIMUM, MIEN_MINIMUM,
  /* comparisons write uint8 0/1 */
  MIEN_EQ, MIEN_NE, MIEN_LT, MIEN_LE, MIEN_GT, MIEN_GE, MIEN_NUM_BINARY_OPS
} mien_binary_op;

/* Unary ops with up to two parameters p0, p1 (unused ones are 0). */
typedef enum mien_unary_op {
  MIEN_NEG, MIEN_EXP, MIEN_LOG, MIEN_SQRT, MIEN_ABS, MIEN_RELU, MIEN_SIGMOID, MIEN_TANH,
  MIEN_SIN, MIEN_COS, MIEN_SIGN, MIEN_FLOOR, MIEN_CEIL, MIEN_ROUND, MIEN_RSQRT, MIEN_RELU6,
  MIEN_CLAMP,      /* p0 lower bound, p1 upper bound; NaN = no bound */
  MIEN_LEAKY_RELU, /* p0 the negative slope */
  MIEN_SCALE,      /* x * p0 (in place: the optimizers' and dropout's scaling) */
  MIEN_NUM_UNARY_OPS
} mien_unary_op;

typedef enum mien_reduce_op { MIEN_SUM, MIEN_MEAN, MIEN_MAX, MIEN_MIN, MIEN_PROD } mien_reduce_op;

/* 2-D convolution on contiguous NCHW (cross-correlation, PyTorch semantics):
 * x [N,C_in,H,W], w [C_out,C_in/groups,KH,KW], y [N,C_out,OH,OW] with
 * OH = (H + 2*pad_h - dil_h*(KH-1) - 1) / stride_h + 1. */
typedef struct mien_conv2d_params {
  int64_t N, C_in, H, W, C_out, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
} mien_conv2d_params;
/* Validates p (positive sizes and strides, non-negative padding, channels
 * divisible by groups, non-empty output) and computes the output size. */
int mien_conv2d_out_size(const mien_conv2d_params *p, int64_t *OH, int64_t *OW);

/* 2-D pooling on contiguous NCHW, PyTorch semantics (see cpu/pool2d.h). */
typedef struct mien_pool2d_params {
  int64_t N, C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w;
  int ceil_mode;
  int count_include_pad; /* average pooling only */
} mien_pool2d_params;
/* Validates p and computes the output size. */
int mien_pool2d_out_size(const mien_pool2d_params *p, int64_t *OH, int64_t *OW);

/* Batch norm over contiguous [N, C, S] (S = product of spatial sizes). */
typedef struct mien_batchnorm_params {
  int64_t N, C, S;
  double eps;
  double momentum; /* training only */
} mien_batchnorm_params;

/* Optimizer hyper-parameters (PyTorch semantics; formulas in optim.h). */
typedef struct mien_sgd_opts {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first; /* the momentum buffer is initialised from this step's gradient */
} mien_sgd_opts;

typedef struct mien_adam_opts {
  double lr, beta1, beta2, eps, weight_decay;
  long long step; /* 1-based, after this update */
  bool amsgrad;
  bool decoupled; /* AdamW */
} mien_adam_opts;

typedef struct mien_rmsprop_opts {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
} mien_rmsprop_opts;

/* One parameter of a multi-tensor optimizer update: contiguous arrays of
 * numel elements of one float dtype. state[k] (NULL where unused):
 *   sgd: momentum_buf; adam: exp_avg, exp_avg_sq, max_exp_avg_sq;
 *   rmsprop: square_avg, grad_avg, momentum_buf. */
typedef struct mien_optim_slot {
  void *param;
  const void *grad;
  void *state[3];
  int64_t numel;
} mien_optim_slot;

/* The core's services to a backend, filled in by mien_backend_register. */
typedef struct mien_backend_host {
  /* Sets the message mien_last_error() returns on this thread; returns -1. */
  int (*error)(const char *fmt, ...);
} mien_backend_host;

/* --- the table --- */

typedef struct mien_backend {
  mien_device_type type;
  const char *name;      /* "cpu", "cuda" */
  int device_count;      /* valid indices are 0 .. device_count - 1 */
  const mien_backend_host *host; /* filled in by mien_backend_register */

  /* Makes index the current device of the calling thread (may be NULL). */
  int (*set_device)(int index);
  /* Waits for queued work (may be NULL: the backend is synchronous). */
  int (*synchronize)(void);

  /* --- memory (sizes in bytes) --- */
  void *(*alloc)(size_t nbytes, bool zero); /* NULL when out of memory; zero: filled with 0 bytes */
  void (*free)(void *ptr, size_t nbytes);
  int (*copy)(void *dst, const void *src, size_t nbytes);                  /* within the device */
  int (*copy_to_host)(void *host_dst, const void *src, size_t nbytes);     /* device -> host */
  int (*copy_from_host)(void *dst, const void *host_src, size_t nbytes);   /* host -> device */
  /* dst = src element by element, converting dtype (src may broadcast). */
  int (*copy_strided)(const mien_strided *dst, const mien_strided *src);
  int (*fill)(const mien_strided *dst, double value);
  /* dst[i] = start + i * step for the contiguous dst of n elements. */
  int (*arange)(void *dst, mien_dtype dtype, int64_t n, double start, double step);

  /* --- elementwise (every operand has out's shape; strides 0 broadcast) --- */
  /* a and b have one dtype; out has it too, or uint8 for comparisons. */
  int (*binary)(mien_binary_op op, const mien_strided *out, const mien_strided *a, const mien_strided *b);
  /* out may be a itself (in place); out has a's dtype. */
  int (*unary)(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0, double p1);
  /* out = cond != 0 ? a : b; cond uint8, a and b of out's dtype. */
  int (*where)(const mien_strided *out, const mien_strided *cond, const mien_strided *a, const mien_strided *b);
  /* out = g * (lo < x < hi ? 1 : outside), NaN bounds unbounded (float): the
   * backward of relu, relu6, clamp and leaky_relu in one pass. */
  int (*masked_grad)(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo, double hi,
                     double outside);
  /* out += alpha * b, in place (gradient accumulation, optimizers). */
  int (*axpy)(const mien_strided *out, const mien_strided *b, double alpha);

  /* --- reductions, accumulated in double --- */
  /* out has in's ndim with size 1 in the reduced dims (reduced[d] true);
   * MEAN divides by the count; an empty SUM is 0, PROD 1, MAX/MIN NaN. */
  int (*reduce)(mien_reduce_op op, const mien_strided *out, const mien_strided *in, const bool *reduced);
  /* out int64 [in's shape with dim `dim` of size 1] = 0-based index of the
   * first maximum (want_max) or minimum along dim (compared as in C). */
  int (*arg_reduce)(bool want_max, const mien_strided *out, const mien_strided *in, int dim);
  /* *host_out = sum of squares of a contiguous float in, in double. */
  int (*sum_squares)(const mien_strided *in, double *host_out);

  /* --- linear algebra: row-major C = alpha * op(A) op(B) + beta * C (beta 0 never reads C) --- */
  int (*gemm)(mien_dtype dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
              const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc);
  /* batch GEMMs; matrix i of A starts stride_a elements after matrix i-1 (0 broadcasts). */
  int (*gemm_batched)(mien_dtype dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                      const void *A, int64_t lda, int64_t stride_a, const void *B, int64_t ldb, int64_t stride_b,
                      double beta, void *C, int64_t ldc, int64_t stride_c, int64_t batch);

  /* --- convolution, contiguous NCHW; outputs are overwritten --- */
  int (*conv2d_forward)(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *w,
                        const void *bias /*nullable*/, void *y);
  int (*conv2d_backward_input)(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, const void *w, void *dx);
  int (*conv2d_backward_weight)(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *dy,
                                void *dw);
  int (*conv2d_backward_bias)(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, void *db);
  /* fused inference: y = max_pool2x2(relu(conv(x, w) + bias)), the ReLU (bit 1) and the 2x2 stride-2 max-pool
   * (bit 2, y [N,C_out,OH/2,OW/2]) as `epilogue` says; NULL: the op layer composes the three ops */
  int (*conv2d_forward_fused)(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *w,
                              const void *bias /*nullable*/, int epilogue, void *y);

  /* --- pooling; indices [N,C,OH,OW] int64 hold ih * W + iw of each maximum (nullable in forward) --- */
  int (*max_pool2d_forward)(const mien_pool2d_params *p, mien_dtype dtype, const void *x, void *y, int64_t *indices);
  int (*max_pool2d_backward)(const mien_pool2d_params *p, mien_dtype dtype, const void *dy, const int64_t *indices,
                             void *dx);
  int (*avg_pool2d_forward)(const mien_pool2d_params *p, mien_dtype dtype, const void *x, void *y);
  int (*avg_pool2d_backward)(const mien_pool2d_params *p, mien_dtype dtype, const void *dy, void *dx);

  /* --- batch norm (semantics in cpu/batchnorm.h); gamma/beta nullable, dx/dgamma/dbeta nullable --- */
  int (*batchnorm_forward_train)(const mien_batchnorm_params *p, mien_dtype dtype, const void *x, const void *gamma,
                                 const void *beta, void *running_mean, void *running_var, void *save_mean,
                                 void *save_invstd, void *y);
  int (*batchnorm_forward_eval)(const mien_batchnorm_params *p, mien_dtype dtype, const void *x, const void *gamma,
                                const void *beta, const void *running_mean, const void *running_var, void *y);
  int (*batchnorm_backward_train)(const mien_batchnorm_params *p, mien_dtype dtype, const void *x, const void *dy,
                                  const void *gamma, const void *save_mean, const void *save_invstd, void *dx,
                                  void *dgamma, void *dbeta);
  int (*batchnorm_backward_eval)(const mien_batchnorm_params *p, mien_dtype dtype, const void *x, const void *dy,
                                 const void *gamma, const void *running_mean, const void *running_var, void *dx,
                                 void *dgamma, void *dbeta);

  /* --- softmax over the middle dim of a contiguous [outer, n, inner] --- */
  /* y = softmax (or log_softmax when log) of x; max-subtracted, sums in double. */
  int (*softmax_forward)(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner, const void *x, void *y);
  /* dx from the forward's output y and dy:
   *   softmax: dx = y * (dy - sum(dy * y));  log_softmax: dx = dy - exp(y) * sum(dy). */
  int (*softmax_backward)(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner, const void *y,
                          const void *dy, void *dx);
  /* Per-sample cross entropy of logits [N,C] with int64 labels [N] (0-based,
   * checked by the op layer), class weights [C] (nullable) and smoothing s:
   *   loss[i] = -(1-s) * w[y_i] * logp[i,y_i] - (s/C) * sum_c w[c] * logp[i,c],
   * logp = log_softmax(logits), written to logp [N,C] for the backward. */
  int (*cross_entropy_forward)(mien_dtype dtype, int64_t N, int64_t C, const void *logits, const int64_t *labels,
                               const void *weight, double smoothing, void *logp, void *loss);
  /* dlogits[i,c] = dloss[i] * (exp(logp[i,c]) * W_i - (1-s) w[y_i] [c==y_i] - (s/C) w[c]),
   * W_i = (1-s) w[y_i] + (s/C) sum_c w[c]. */
  int (*cross_entropy_backward)(mien_dtype dtype, int64_t N, int64_t C, const void *logp, const int64_t *labels,
                                const void *weight, double smoothing, const void *dloss, void *dlogits);

  /* --- random streams (rng.h): element i of a request with base block b --- */
  /* Element i counts in row-major order of out's shape, whatever its strides.
   * uniform: lo + (hi-lo) * mien_unit_double(philox(seed, b + i/4)[i%4]), rounded to out's dtype. */
  int (*uniform)(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi);
  /* normal: mean + std * sqrt(-2 log u1) cos(2 pi u2) with, from block b + i,
   * u1 = ((w0 >> 8) + 1) / 2^24 and u2 = (w1 >> 8) / 2^24 (mien_normal_at). */
  int (*normal)(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std);
  /* bernoulli, into a contiguous out: (philox(seed, b + i/4)[i%4] >> 8) < mien_unit_threshold(p) as 0/1. */
  int (*bernoulli)(const mien_strided *out, uint64_t seed, uint64_t base, double p);
  /* Inverted dropout of contiguous x [n]: keep with the bernoulli(1-p) stream
   * above, y = x * (keep ? (T)(1 / (1-p)) : 0) in x's type T; mask (nullable,
   * uint8) records keep. */
  int (*dropout)(mien_dtype dtype, int64_t n, const void *x, double p, uint64_t seed, uint64_t base, void *y,
                 uint8_t *mask);

  /* --- index ops; index tensors are int64, 0-based, checked by the op layer --- */
  /* out = in taken at index[k] along dim (out's dim has nindex entries). */
  int (*index_select)(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index, int64_t nindex);
  /* out[.., index[k], ..] += src[.., k, ..] along dim: index_select's adjoint. */
  int (*index_add)(const mien_strided *out, int dim, const int64_t *index, int64_t nindex, const mien_strided *src);
  /* out[i] = in[i with dim replaced by index[i]]; index has out's shape. */
  int (*gather)(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index);
  /* out[i with dim replaced by index[i]] += src[i]: gather's adjoint. */
  int (*scatter_add)(const mien_strided *out, int dim, const mien_strided *index, const mien_strided *src);
  /* out = the n inputs one after another along dim (their other sizes equal out's). */
  int (*cat)(const mien_strided *out, int n, const mien_strided *ins, int dim);

  /* --- optimizers: n parameters in one call, in place, arithmetic in double --- */
  int (*sgd_update)(const mien_sgd_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);
  int (*adam_update)(const mien_adam_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);
  int (*rmsprop_update)(const mien_rmsprop_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);

  /* --- images (row-major HWC; semantics in image/transform.h and image/augment.h) --- */
  int (*resize)(mien_dtype dtype /*uint8 or float32*/, const void *src, int sh, int sw, int c, void *dst, int dh,
                int dw, mien_resize_mode mode);
  int (*warp_affine)(const uint8_t *src, int sh, int sw, int c, const double m[6], uint8_t *dst, int dh, int dw,
                     int zero_border);
  int (*augment_batch)(const mien_augment_params *p, const uint8_t *src, int64_t n_src, int h, int w, int c,
                       const int64_t *indices /*nullable*/, int64_t batch, uint64_t seed, uint64_t base, float *out);

  /* --- bf16 compute for autocast (autocast.h); optional: NULL runs the op in float32 ---
   * float32 operands and results; the products take bf16-rounded inputs and
   * sum in float32. Semantics otherwise as gemm and the conv2d entries. */
  int (*gemm_bf16)(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const float *A,
                   int64_t lda, const float *B, int64_t ldb, double beta, float *C, int64_t ldc);
  int (*conv2d_forward_bf16)(const mien_conv2d_params *p, const float *x, const float *w,
                             const float *bias /*nullable*/, float *y);
  int (*conv2d_backward_input_bf16)(const mien_conv2d_params *p, const float *dy, const float *w, float *dx);
  int (*conv2d_backward_weight_bf16)(const mien_conv2d_params *p, const float *x, const float *dy, float *dw);
  /* One line on what the bf16 entries run on (for `mien info`). Non-NULL also
   * says that the backend stores bfloat16 (copy_strided and fill convert it);
   * NULL: no bfloat16 tensors on this device. */
  const char *(*bf16_path)(void);
} mien_backend;

/* --- the registry --- */

/* Registers b for its device type (replacing an earlier one) and fills
 * b->host. Returns -1 with an error for a bad type or a missing memory entry. */
int mien_backend_register(mien_backend *b);
/* The backend of d's type, with set_device(index) done; NULL with the error
 * "device cuda:1 is not available (...)" when there is none or the index is
 * out of range. */
const mien_backend *mien_backend_for(mien_device d);
/* The registered backends, for tests and `mien info`: i = 0 .. count - 1. */
int mien_backend_count(void);
const mien_backend *mien_backend_at(int i);

/* b's entry at byte offset `entry` (offsetof(mien_backend, name)) or, when it
 * is NULL, the error "<op>: not available on <device>" and NULL. */
const mien_backend *mien_backend_need(mien_device d, size_t entry, const char *op);
#define MIEN_BACKEND_NEED(device, entry, op) mien_backend_need((device), offsetof(mien_backend, entry), (op))

#endif
