/* mien_tensor: a strided view into a refcounted storage, plus the autograd
 * fields. Functions return a new reference (release it with mien_release) or
 * NULL with mien_last_error() set. Dims are 0-based; negative dims count
 * from the end. */
#ifndef MIEN_TENSOR_H
#define MIEN_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "dtype.h"
#include "storage.h"


struct mien_node;

typedef struct mien_tensor {
  int refcount;
  mien_storage *storage;
  int64_t offset; /* in elements */
  int ndim;
  int64_t shape[MIEN_MAX_DIMS];
  int64_t stride[MIEN_MAX_DIMS]; /* in elements */
  mien_dtype dtype;
  bool requires_grad;
  struct mien_tensor *grad;  /* accumulated gradient of a leaf */
  struct mien_node *grad_fn; /* the op that made this tensor, for non-leaves */
} mien_tensor;

/* Drops a reference to an autograd node (autograd.c): a tensor owns its grad_fn. */
void mien_node_release(struct mien_node *node);

/* --- lifetime --- */
/* Contents undefined (no zeroing): for kernels that write every element. */
mien_tensor *mien_empty(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device);
mien_tensor *mien_zeros(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device);
mien_tensor *mien_full(int ndim, const int64_t *shape, double value, mien_dtype dtype, mien_device device);
mien_tensor *mien_scalar(double value, mien_dtype dtype, mien_device device); /* 0-d */
mien_tensor *mien_zeros_like(const mien_tensor *t);
mien_tensor *mien_arange(double start, double stop, double step, mien_dtype dtype, mien_device device);
mien_tensor *mien_retain(mien_tensor *t);
void mien_release(mien_tensor *t);
int64_t mien_live_tensors(void);

/* --- properties --- */
static inline mien_device mien_tensor_device(const mien_tensor *t) { return t->storage->device; }
int64_t mien_numel(const mien_tensor *t);
bool mien_is_contiguous(const mien_tensor *t);
bool mien_same_shape(const mien_tensor *a, const mien_tensor *b);
/* Address of the first element, in the tensor's device memory: a host
 * program reads it only for a CPU tensor (contiguous, to read it as an array). */
void *mien_data_ptr(const mien_tensor *t);
/* The kernel descriptor of t, and of t broadcast to (ndim, shape) (-1 if it
 * does not broadcast); what the op layer hands to the backend table. */
mien_strided mien_strided_of(const mien_tensor *t);
int mien_strided_broadcast(const mien_tensor *t, int ndim, const int64_t *shape, mien_strided *out);
/* Strides of t broadcast to (ndim, shape); -1 if t does not broadcast to it. */
int mien_broadcast_strides(const mien_tensor *t, int ndim, const int64_t *shape, int64_t *strides);
/* The broadcast shape of a and b into out; -1 + error naming op and shapes. */
int mien_broadcast_shape(const mien_tensor *a, const mien_tensor *b, const char *op, int *ndim, int64_t *shape);
/* -1 + "op: tensors are on different devices (cpu and cuda:0)" unless a and b share one. */
int mien_check_same_device(const mien_tensor *a, const mien_tensor *b, const char *op);
int mien_normalize_dim(const mien_tensor *t, int dim, const char *op); /* -1 + error if out of range */
/* "[64,4608]" into buf; returns buf */
const char *mien_shape_str(const mien_tensor *t, char *buf, size_t n);
/* One element, on any device (through its backend); index is 0-based and in
 * range. A failing device copy gives NaN / no write, with the error set. */
double mien_get(const mien_tensor *t, const int64_t *index);
void mien_set(mien_tensor *t, const int64_t *index, double v);
int mien_item(const mien_tensor *t, double *out);             /* single-element tensors */

/* --- views (share storage; differentiable) --- */
mien_tensor *mien_reshape(mien_tensor *t, int ndim, const int64_t *shape); /* one -1 allowed; copies if needed */
mien_tensor *mien_view(mien_tensor *t, int ndim, const int64_t *shape);    /* never copies */
mien_tensor *mien_permute(mien_tensor *t, const int *perm);
mien_tensor *mien_transpose(mien_tensor *t, int d0, int d1);
mien_tensor *mien_narrow(mien_tensor *t, int dim, int64_t start, int64_t length);
mien_tensor *mien_select(mien_tensor *t, int dim, int64_t index);
mien_tensor *mien_expand(mien_tensor *t, int ndim, const int64_t *shape);
mien_tensor *mien_unsqueeze(mien_tensor *t, int dim);
mien_tensor *mien_squeeze(mien_tensor *t, int dim); /* dim must have size 1 */
mien_tensor *mien_flatten(mien_tensor *t, int start_dim, int end_dim);
mien_tensor *mien_contiguous(mien_tensor *t); /* new reference to t itself if already contiguous */
mien_tensor *mien_clone(mien_tensor *t);
mien_tensor *mien_detach(mien_tensor *t); /* shares storage, no autograd history */

/* --- copies and conversion --- */
int mien_copy_(mien_tensor *dst, const mien_tensor *src); /* broadcasts src, converts dtype */
int mien_fill_(mien_tensor *t, double value);
mien_tensor *mien_to_dtype(mien_tensor *t, mien_dtype dtype); /* differentiable between float types */
mien_tensor *mien_to_device(mien_tensor *t, mien_device device);
mien_tensor *mien_cat(int n, mien_tensor *const *ts, int dim);
mien_tensor *mien_stack(int n, mien_tensor *const *ts, int dim);
mien_tensor *mien_index_select(mien_tensor *t, int dim, const mien_tensor *index); /* int64 index */
mien_tensor *mien_gather(mien_tensor *t, int dim, const mien_tensor *index);

/* --- elementwise (broadcasting, differentiable where it makes sense) --- */
/* mien_binary_op, mien_unary_op: backend.h */
mien_tensor *mien_binary(mien_binary_op op, mien_tensor *a, mien_tensor *b);
mien_tensor *mien_binary_scalar(mien_binary_op op, mien_tensor *a, double s, bool scalar_first);
mien_tensor *mien_unary(mien_unary_op op, mien_tensor *a);
mien_tensor *mien_clamp(mien_tensor *a, double lo, double hi); /* NAN = no bound */
mien_tensor *mien_leaky_relu(mien_tensor *a, double slope);
mien_tensor *mien_where(mien_tensor *cond, mien_tensor *a, mien_tensor *b);
/* In-place a += alpha * b (no autograd; used by optimizers and grad accumulation). */
int mien_add_(mien_tensor *a, const mien_tensor *b, double alpha);
int mien_mul_scalar_(mien_tensor *a, double s);

/* --- reductions over a set of dims (ndims == 0: all dims) --- */
mien_tensor *mien_reduce(mien_reduce_op op, mien_tensor *t, int ndims, const int *dims, bool keepdim);
mien_tensor *mien_var(mien_tensor *t, int ndims, const int *dims, bool unbiased, bool keepdim);
mien_tensor *mien_argmax(mien_tensor *t, int dim, bool keepdim); /* int64, 0-based */
mien_tensor *mien_argmin(mien_tensor *t, int dim, bool keepdim);
/* Sum a gradient of a broadcast shape back to `shape` (used by backward). */
mien_tensor *mien_sum_to(mien_tensor *t, int ndim, const int64_t *shape);

/* --- linear algebra --- */
mien_tensor *mien_matmul(mien_tensor *a, mien_tensor *b); /* 1-d, 2-d and batched with broadcasting */

/* --- random (global Philox generator) --- */
mien_tensor *mien_rand(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device);
mien_tensor *mien_randn(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device);
int mien_uniform_(mien_tensor *t, double lo, double hi);
int mien_normal_(mien_tensor *t, double mean, double std);
mien_tensor *mien_bernoulli(int ndim, const int64_t *shape, double p, mien_dtype dtype, mien_device device);
mien_tensor *mien_randperm(int64_t n, mien_device device); /* int64, 0-based */

#endif
