/* bfloat16 tensors on the CPU: conversions to and from the other dtypes, and
 * the guards that keep bfloat16 out of the arithmetic kernels. Private to
 * core/cpu.
 *
 * bfloat16 is a storage type here: copies (t:to), fills and zeros take it;
 * every other kernel computes in float32 or float64 and would read its bits
 * as some other type, so the table's arithmetic entries go through the
 * guarded wrappers below, which refuse it with an error naming the op. */
#ifndef MIEN_CPU_BF16_STORAGE_H
#define MIEN_CPU_BF16_STORAGE_H

#include "backend.h"

/* dst = src converting dtype, where dst or src is bfloat16. */
int mien_cpu_copy_bf16(const mien_strided *dst, const mien_strided *src);
/* Every element of a bfloat16 t = value rounded to bfloat16. */
int mien_cpu_fill_bf16(const mien_strided *t, double value);

/* The table's entries, refusing bfloat16 operands. */
int mien_cpu_binary_guarded(mien_binary_op op, const mien_strided *out, const mien_strided *a, const mien_strided *b);
int mien_cpu_unary_guarded(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0, double p1);
int mien_cpu_where_guarded(const mien_strided *out, const mien_strided *cond, const mien_strided *a,
                           const mien_strided *b);
int mien_cpu_masked_grad_guarded(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo,
                                 double hi, double outside);
int mien_cpu_axpy_guarded(const mien_strided *out, const mien_strided *b, double alpha);
int mien_cpu_arange_guarded(void *dst, mien_dtype dtype, int64_t n, double start, double step);
int mien_cpu_reduce_guarded(mien_reduce_op op, const mien_strided *out, const mien_strided *in, const bool *reduced);
int mien_cpu_arg_reduce_guarded(bool want_max, const mien_strided *out, const mien_strided *in, int dim);
int mien_cpu_sum_squares_guarded(const mien_strided *in, double *host_out);
int mien_cpu_uniform_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi);
int mien_cpu_normal_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std);
int mien_cpu_bernoulli_guarded(const mien_strided *out, uint64_t seed, uint64_t base, double p);
int mien_cpu_index_select_guarded(const mien_strided *out, const mien_strided *in, int dim, const int64_t *index,
                                  int64_t nindex);
int mien_cpu_index_add_guarded(const mien_strided *out, int dim, const int64_t *index, int64_t nindex,
                               const mien_strided *src);
int mien_cpu_gather_guarded(const mien_strided *out, const mien_strided *in, int dim, const mien_strided *index);
int mien_cpu_scatter_add_guarded(const mien_strided *out, int dim, const mien_strided *index, const mien_strided *src);
int mien_cpu_cat_guarded(const mien_strided *out, int n, const mien_strided *ins, int dim);

#endif
