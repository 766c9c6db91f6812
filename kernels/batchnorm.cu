/* Batch norm over contiguous [N, C, S] (semantics in core/cpu/batchnorm.h):
 * one block per channel, sums in double over the channel's M = N*S values
 * with block reductions, then the elementwise pass in the same block. */
#include "common.cuh"

#define BN_THREADS 256

/* Value k (0 <= k < M) of channel c. */
MIEN_HD int64_t mien_k_bn_at(const mien_batchnorm_params &p, int64_t c, int64_t k) {
  return (k / p.S) * p.C * p.S + c * p.S + k % p.S;
}
template <class T>
MIEN_HD double mien_k_bn_affine(const T *v, int64_t c, double fallback) { return v ? (double)v[c] : fallback; }

template <class T>
__global__ void __launch_bounds__(BN_THREADS) bn_forward_train_kernel(mien_batchnorm_params p, const T *x,
                                                                      const T *gamma, const T *beta, T *rmean,
                                                                      T *rvar, T *smean, T *sinvstd, T *y) {
  const int64_t M = p.N * p.S;
  MIEN_ROW_LOOP(c, p.C) {
    double sum = 0.0, sq = 0.0;
    MIEN_BLOCK_LOOP(k, M) sum += (double)x[mien_k_bn_at(p, c, k)];
    const double mean = mien_k_block_reduce(sum, MIEN_K_COMBINE_SUM) / (double)M;
    MIEN_BLOCK_LOOP(k, M) {
      const double d = (double)x[mien_k_bn_at(p, c, k)] - mean;
      sq += d * d;
    }
    const double var = mien_k_block_reduce(sq, MIEN_K_COMBINE_SUM) / (double)M, invstd = 1.0 / sqrt(var + p.eps);
    const double g = mien_k_bn_affine(gamma, c, 1.0), b = mien_k_bn_affine(beta, c, 0.0);
    MIEN_BLOCK_LOOP(k, M) {
      const int64_t at = mien_k_bn_at(p, c, k);
      y[at] = (T)(((double)x[at] - mean) * invstd * g + b);
    }
    if (threadIdx.x == 0) {
      smean[c] = (T)mean;
      sinvstd[c] = (T)invstd;
      if (rmean) rmean[c] = (T)((1.0 - p.momentum) * (double)rmean[c] + p.momentum * mean);
      if (rvar) rvar[c] = (T)((1.0 - p.momentum) * (double)rvar[c] + p.momentum * var * (double)M / (double)(M - 1));
    }
  }
}

template <class T>
__global__ void __launch_bounds__(BN_THREADS) bn_forward_eval_kernel(mien_batchnorm_params p, const T *x,
                                                                     const T *gamma, const T *beta, const T *rmean,
                                                                     const T *rvar, T *y) {
  const int64_t M = p.N * p.S;
  MIEN_ROW_LOOP(c, p.C) {
    const double mean = (double)rmean[c], invstd = 1.0 / sqrt((double)rvar[c] + p.eps);
    const double g = mien_k_bn_affine(gamma, c, 1.0), b = mien_k_bn_affine(beta, c, 0.0);
    MIEN_BLOCK_LOOP(k, M) {
      const int64_t at = mien_k_bn_at(p, c, k);
      y[at] = (T)(((double)x[at] - mean) * invstd * g + b);
    }
  }
}

/* train: the statistics are the batch's (mean, invstd given); eval: the
 * running ones, constants, so dx = dy * gamma * invstd. */
template <class T>
__global__ void __launch_bounds__(BN_THREADS) bn_backward_kernel(bool train, mien_batchnorm_params p, const T *x,
                                                                 const T *dy, const T *gamma, const T *mean_in,
                                                                 const T *stat_in, T *dx, T *dgamma, T *dbeta) {
  const int64_t M = p.N * p.S;
  MIEN_ROW_LOOP(c, p.C) {
    const double mean = (double)mean_in[c];
    const double invstd = train ? (double)stat_in[c] : 1.0 / sqrt((double)stat_in[c] + p.eps);
    const double g = mien_k_bn_affine(gamma, c, 1.0);
    double sdy = 0.0, sdyx = 0.0;
    MIEN_BLOCK_LOOP(k, M) {
      const int64_t at = mien_k_bn_at(p, c, k);
      sdy += (double)dy[at];
      sdyx += (double)dy[at] * ((double)x[at] - mean) * invstd;
    }
    sdy = mien_k_block_reduce(sdy, MIEN_K_COMBINE_SUM);
    sdyx = mien_k_block_reduce(sdyx, MIEN_K_COMBINE_SUM);
    if (threadIdx.x == 0) {
      if (dgamma) dgamma[c] = (T)sdyx;
      if (dbeta) dbeta[c] = (T)sdy;
    }
    if (!dx) continue;
    MIEN_BLOCK_LOOP(k, M) {
      const int64_t at = mien_k_bn_at(p, c, k);
      const double xhat = ((double)x[at] - mean) * invstd;
      dx[at] = (T)(train ? g * invstd / (double)M * ((double)M * (double)dy[at] - sdy - xhat * sdyx)
                         : (double)dy[at] * g * invstd);
    }
  }
}

extern "C" int mien_cuda_batchnorm_forward_train(const mien_batchnorm_params *p, mien_dtype dtype, const void *x,
                                                 const void *gamma, const void *beta, void *running_mean,
                                                 void *running_var, void *save_mean, void *save_invstd, void *y) {
  if (p->C == 0) return 0;
  if (p->N * p->S < 2) return mien_k_fail("batch_norm: training needs more than one value per channel");
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(bn_forward_train_kernel<T>, mien_k_row_blocks(p->C), mien_k_warps_for(p->N * p->S, BN_THREADS),
                     nullptr, *p, (const T *)x, (const T *)gamma, (const T *)beta, (T *)running_mean,
                     (T *)running_var, (T *)save_mean, (T *)save_invstd, (T *)y);
  });
  return rc;
}

extern "C" int mien_cuda_batchnorm_forward_eval(const mien_batchnorm_params *p, mien_dtype dtype, const void *x,
                                                const void *gamma, const void *beta, const void *running_mean,
                                                const void *running_var, void *y) {
  if (p->C == 0 || p->N * p->S == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(bn_forward_eval_kernel<T>, mien_k_row_blocks(p->C), mien_k_warps_for(p->N * p->S, BN_THREADS),
                     nullptr, *p, (const T *)x, (const T *)gamma, (const T *)beta, (const T *)running_mean,
                     (const T *)running_var, (T *)y);
  });
  return rc;
}

static int bn_backward(bool train, const mien_batchnorm_params *p, mien_dtype dtype, const void *x, const void *dy,
                       const void *gamma, const void *mean, const void *stat, void *dx, void *dgamma, void *dbeta) {
  if (p->C == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(bn_backward_kernel<T>, mien_k_row_blocks(p->C), mien_k_warps_for(p->N * p->S, BN_THREADS),
                     nullptr, train, *p, (const T *)x, (const T *)dy, (const T *)gamma, (const T *)mean,
                     (const T *)stat, (T *)dx, (T *)dgamma, (T *)dbeta);
  });
  return rc;
}

extern "C" int mien_cuda_batchnorm_backward_train(const mien_batchnorm_params *p, mien_dtype dtype, const void *x,
                                                  const void *dy, const void *gamma, const void *save_mean,
                                                  const void *save_invstd, void *dx, void *dgamma, void *dbeta) {
  return bn_backward(true, p, dtype, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

extern "C" int mien_cuda_batchnorm_backward_eval(const mien_batchnorm_params *p, mien_dtype dtype, const void *x,
                                                 const void *dy, const void *gamma, const void *running_mean,
                                                 const void *running_var, void *dx, void *dgamma, void *dbeta) {
  return bn_backward(false, p, dtype, x, dy, gamma, running_mean, running_var, dx, dgamma, dbeta);
}
