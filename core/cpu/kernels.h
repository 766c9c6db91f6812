/* The CPU backend: its kernels behind the table of backend.h (table.c). Private to
 * the core: the op layer reaches them only through mien_backend_for. */
#ifndef MIEN_CPU_KERNELS_H
#define MIEN_CPU_KERNELS_H

#include "backend.h"

/* The CPU as a device (type cpu, index 0). */
#define MIEN_CPU ((mien_device)0)

/* Registers the CPU backend (the registry does it before its first lookup). */
int mien_cpu_backend_register(void);

/* Sets the error through the registry's host services; returns -1. */
int mien_cpu_error(const char *fmt, ...);
int64_t mien_cpu_numel(const mien_strided *t);
bool mien_cpu_is_contiguous(const mien_strided *t);

/* elementwise.c */
int mien_cpu_binary(mien_binary_op op, const mien_strided *out, const mien_strided *a, const mien_strided *b);
int mien_cpu_unary(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0, double p1);
int mien_cpu_where(const mien_strided *out, const mien_strided *cond, const mien_strided *a, const mien_strided *b);
int mien_cpu_masked_grad(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo, double hi,
                         double outside);
int mien_cpu_axpy(const mien_strided *out, const mien_strided *b, double alpha);
int mien_cpu_copy_strided(const mien_strided *dst, const mien_strided *src);
int mien_cpu_fill(const mien_strided *t, double value);
int mien_cpu_arange(void *dst, mien_dtype dtype, int64_t n, double start, double step);
/* reduce.c */
int mien_cpu_reduce(mien_reduce_op op, const mien_strided *out, const mien_strided *in, const bool *reduced);
int mien_cpu_arg_reduce(bool want_max, const mien_strided *out, const mien_strided *in, int dim);
/* optim.c */
int mien_cpu_sum_squares(const mien_strided *in, double *host_out);
int mien_cpu_sgd_update(const mien_sgd_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);
int mien_cpu_adam_update(const mien_adam_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);
int mien_cpu_rmsprop_update(const mien_rmsprop_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots);
/* softmax.c */
int mien_cpu_softmax_forward(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner, const void *x,
                             void *y);
int mien_cpu_softmax_backward(mien_dtype dtype, bool log, int64_t outer, int64_t n, int64_t inner, const void *y,
                              const void *dy, void *dx);
int mien_cpu_cross_entropy_forward(mien_dtype dtype, int64_t N, int64_t C, const void *logits, const int64_t *labels,
                                   const void *weight, double smoothing, void *logp, void *loss);
int mien_cpu_cross_entropy_backward(mien_dtype dtype, int64_t N, int64_t C, const void *logp, const int64_t *labels,
                                    const void *weight, double smoothing, const void *dloss, void *dlogits);
/* random.c */
int mien_cpu_uniform(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi);
int mien_cpu_normal(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std);
int mien_cpu_bernoulli(const mien_strided *out, uint64_t seed, uint64_t base, double p);
int mien_cpu_dropout(mien_dtype dtype, int64_t n, const void *x, double p, uint64_t seed, uint64_t base, void *y,
                     uint8_t *mask);
/* index.c */
int mien_cpu_index_select(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index,
                          int64_t nindex);
int mien_cpu_index_add(const mien_strided *out, int dim, const int64_t *index, int64_t nindex, const mien_strided *src);
int mien_cpu_gather(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index);
int mien_cpu_scatter_add(const mien_strided *out, int dim, const mien_strided *index, const mien_strided *src);
int mien_cpu_cat(const mien_strided *out, int n, const mien_strided *ins, int dim);

#endif
