/* The kernels of the CUDA backend, as plain C launchers over device
 * pointers: shapes and element strides in, no tensors. The same sources run
 * on a GPU (nvcc) and on the CPU grid emulator (host C++ with
 * emu/cuda_emu.h); the backend table (backend_cuda.cu) and the emulator tests
 * both call these. Every launcher returns 0, or -1 with mien_k_error() set.
 * dtype is a mien_dtype value (0 float32, 1 float64, 2 int64, 3 uint8) and
 * stream a cudaStream_t (NULL: the default stream). */
#ifndef MIEN_KERNELS_H
#define MIEN_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MIEN_K_MAX_DIMS 8

enum { MIEN_K_F32 = 0, MIEN_K_F64 = 1, MIEN_K_I64 = 2, MIEN_K_U8 = 3 };
/* Unary ops past the core's mien_unary_op list, with parameters p0, p1. */
enum { MIEN_K_CLAMP = 16 /* p0, p1 bounds, NAN = none */, MIEN_K_LEAKY_RELU = 17 /* slope p0 */ };
enum { MIEN_K_SUM = 0, MIEN_K_MEAN = 1, MIEN_K_MAX = 2, MIEN_K_MIN = 3, MIEN_K_PROD = 4 };

const char *mien_k_error(void);

/* --- elementwise over a broadcast shape (strides 0 where broadcast) --- */
/* op: mien_binary_op; a and b of dtype, out of dtype (uint8 for comparisons). */
int mien_k_binary(int op, int dtype, int ndim, const int64_t *shape, void *out, const int64_t *so, const void *a,
                  const int64_t *sa, const void *b, const int64_t *sb, void *stream);
/* op: mien_unary_op, MIEN_K_CLAMP or MIEN_K_LEAKY_RELU; out and a of dtype. */
int mien_k_unary(int op, int dtype, double p0, double p1, int ndim, const int64_t *shape, void *out,
                 const int64_t *so, const void *a, const int64_t *sa, void *stream);
/* out = cond ? a : b, cond uint8. */
int mien_k_where(int dtype, int ndim, const int64_t *shape, void *out, const int64_t *so, const void *cond,
                 const int64_t *sc, const void *a, const int64_t *sa, const void *b, const int64_t *sb, void *stream);
int mien_k_fill(int dtype, double value, int ndim, const int64_t *shape, void *out, const int64_t *so, void *stream);
/* Strided copy with conversion (the CPU's casts: float -> int truncates). */
int mien_k_copy(int out_dtype, int src_dtype, int ndim, const int64_t *shape, void *out, const int64_t *so,
                const void *src, const int64_t *ss, void *stream);

/* --- reductions of a contiguous [outer, n, inner] to [outer, inner] --- */
int mien_k_reduce(int op, int dtype, int64_t outer, int64_t n, int64_t inner, const void *in, void *out,
                  void *stream);
/* argmax (want_max) / argmin as int64, first index on ties, NaN wins. */
int mien_k_argreduce(int want_max, int dtype, int64_t outer, int64_t n, int64_t inner, const void *in,
                     int64_t *out, void *stream);

/* --- softmax family over the last dim of contiguous [rows, n] --- */
int mien_k_softmax(int log, int dtype, int64_t rows, int64_t n, const void *in, void *out, void *stream);
/* grad_in = y * (g - sum(g*y)) (softmax) or g - exp(y) * sum(g) (log, y the log-softmax). */
int mien_k_softmax_backward(int log, int dtype, int64_t rows, int64_t n, const void *y, const void *g, void *gin,
                            void *stream);
/* loss[r] = logsumexp(x[r]) - x[r, target[r]] (0 where target == ignore_index);
 * target is 0-based int64; a target out of range sets *bad (device int) to 1. */
int mien_k_cross_entropy(int dtype, int64_t rows, int64_t n, const void *logits, const int64_t *target,
                         int64_t ignore_index, void *loss, int *bad, void *stream);

/* --- random: element i of a request with base block b uses Philox block
 *     b + i/4, word i%4 (core/rng.h), so it matches the CPU bit for bit --- */
int mien_k_bernoulli(int dtype, int64_t n, uint64_t seed, uint64_t base, double p, double scale, void *out,
                     void *stream);
int mien_k_uniform(int dtype, int64_t n, uint64_t seed, uint64_t base, double lo, double hi, void *out, void *stream);
int mien_k_normal(int dtype, int64_t n, uint64_t seed, uint64_t base, double mean, double std, void *out,
                  void *stream);

/* --- pooling over contiguous NCHW --- */
typedef struct mien_kpool {
  int64_t n, c, h, w, oh, ow;
  int kh, kw, sh, sw, ph, pw;
  int count_include_pad; /* avg only */
} mien_kpool;
/* max: also writes the argmax (flat h*w index in the plane, -1 if none) */
int mien_k_max_pool2d(int dtype, const mien_kpool *p, const void *in, void *out, int64_t *argmax, void *stream);
int mien_k_max_pool2d_backward(int dtype, const mien_kpool *p, const void *gout, const int64_t *argmax, void *gin,
                               void *stream);
int mien_k_avg_pool2d(int dtype, const mien_kpool *p, const void *in, void *out, void *stream);
int mien_k_avg_pool2d_backward(int dtype, const mien_kpool *p, const void *gout, void *gin, void *stream);

/* --- index ops over contiguous [outer, n, inner] views --- */
/* out[o, j, i] = in[o, index[j], i], j < m; a bad index sets *bad to 1. */
int mien_k_index_select(int dtype, int64_t outer, int64_t n, int64_t inner, const void *in, const int64_t *index,
                        int64_t m, void *out, int *bad, void *stream);
/* out[o, j, i] = in[o, index[o, j, i], i] for index of shape [outer, m, inner]. */
int mien_k_gather(int dtype, int64_t outer, int64_t n, int64_t inner, const void *in, const int64_t *index,
                  int64_t m, void *out, int *bad, void *stream);
/* out[o, index[o, j, i], i] += src[o, j, i] (atomics; float types). */
int mien_k_scatter_add(int dtype, int64_t outer, int64_t n, int64_t inner, void *out, const int64_t *index,
                       int64_t m, const void *src, int *bad, void *stream);
/* Concatenate contiguous parts [outer, len_k, inner] into [outer, sum len, inner]. */
int mien_k_cat(int dtype, int nparts, const void *const *parts, const int64_t *lens, int64_t outer, int64_t inner,
               void *out, void *stream);

/* --- fused optimizer updates over all the tensors of a group, float32;
 *     state pointers may be NULL where the core's opts allow it --- */
typedef struct mien_ktensors {
  int count;
  float *const *param;
  const float *const *grad;
  float *const *state0; /* SGD momentum; Adam exp_avg; RMSProp square_avg */
  float *const *state1; /* Adam exp_avg_sq; RMSProp grad_avg */
  float *const *state2; /* Adam max_exp_avg_sq; RMSProp momentum_buf */
  const int64_t *numel;
} mien_ktensors;
typedef struct mien_kopt {
  double lr, momentum, dampening, weight_decay, beta1, beta2, eps, alpha;
  long long step;
  int nesterov, first, amsgrad, decoupled, centered;
} mien_kopt;
int mien_k_sgd(const mien_ktensors *t, const mien_kopt *o, void *stream);
int mien_k_adam(const mien_ktensors *t, const mien_kopt *o, void *stream);
int mien_k_rmsprop(const mien_ktensors *t, const mien_kopt *o, void *stream);

#ifdef __cplusplus
}
#endif

#endif
