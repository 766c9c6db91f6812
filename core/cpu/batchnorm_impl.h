/* Batch norm kernels, included once per element type by batchnorm.c (which
 * defines REAL and FN). Channels are independent and split across threads;
 * each channel's N * S values sit in N runs of S, one run per image. */

#define CHANNEL_AT(base, p, n, c) ((base) + ((n) * (p)->C + (c)) * (p)->S)

/* Mean and biased variance of channel c, two passes (no cancellation). */
static void FN(channel_moments)(const mien_batchnorm_params *p, const REAL *x, int64_t c, double *mean, double *var) {
  double sum = 0;
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *run = CHANNEL_AT(x, p, n, c);
    for (int64_t s = 0; s < p->S; s++) sum += run[s];
  }
  const double count = (double)(p->N * p->S), mu = sum / count;
  double squares = 0;
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *run = CHANNEL_AT(x, p, n, c);
    for (int64_t s = 0; s < p->S; s++) squares += (run[s] - mu) * (run[s] - mu);
  }
  *mean = mu;
  *var = squares / count;
}

/* y = (x - center) * scale + shift over channel c, in double: folding center
 * into shift in float would lose the low bits of x - mean when |mean| is
 * large next to the spread. */
static void FN(channel_affine)(const mien_batchnorm_params *p, const REAL *x, int64_t c, double center, double scale,
                               double shift, REAL *y) {
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *in = CHANNEL_AT(x, p, n, c);
    REAL *out = CHANNEL_AT(y, p, n, c);
    for (int64_t s = 0; s < p->S; s++) out[s] = (REAL)((in[s] - center) * scale + shift);
  }
}

/* sum(dy) and sum(dy * (x - mean)) over channel c. */
static void FN(channel_grad_sums)(const mien_batchnorm_params *p, const REAL *x, const REAL *dy, int64_t c,
                                  double mean, double *sum_dy, double *sum_dy_xc) {
  double a = 0, b = 0;
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *in = CHANNEL_AT(x, p, n, c), *g = CHANNEL_AT(dy, p, n, c);
    for (int64_t s = 0; s < p->S; s++) a += g[s], b += g[s] * (in[s] - mean);
  }
  *sum_dy = a;
  *sum_dy_xc = b;
}

int FN(mien_batchnorm_forward_train)(const mien_batchnorm_params *p, const REAL *x, const REAL *gamma,
                                     const REAL *beta, REAL *running_mean, REAL *running_var, REAL *save_mean,
                                     REAL *save_invstd, REAL *y) {
  if (batchnorm_check(p, 1) != 0) return -1;
  const double count = (double)(p->N * p->S);
#pragma omp parallel for schedule(static) if (p->N * p->C * p->S > MIEN_PARALLEL_GRAIN)
  for (int64_t c = 0; c < p->C; c++) {
    double mean, var;
    FN(channel_moments)(p, x, c, &mean, &var);
    const double invstd = 1 / sqrt(var + p->eps);
    save_mean[c] = (REAL)mean;
    save_invstd[c] = (REAL)invstd;
    if (running_mean) running_mean[c] = (REAL)((1 - p->momentum) * running_mean[c] + p->momentum * mean);
    if (running_var) {
      const double unbiased = var * count / (count - 1);
      running_var[c] = (REAL)((1 - p->momentum) * running_var[c] + p->momentum * unbiased);
    }
    const double scale = invstd * (gamma ? gamma[c] : 1);
    FN(channel_affine)(p, x, c, mean, scale, beta ? beta[c] : 0, y);
  }
  return 0;
}

int FN(mien_batchnorm_forward_eval)(const mien_batchnorm_params *p, const REAL *x, const REAL *gamma,
                                    const REAL *beta, const REAL *running_mean, const REAL *running_var, REAL *y) {
  if (batchnorm_check(p, 0) != 0) return -1;
#pragma omp parallel for schedule(static) if (p->N * p->C * p->S > MIEN_PARALLEL_GRAIN)
  for (int64_t c = 0; c < p->C; c++) {
    const double scale = (gamma ? gamma[c] : 1) / sqrt(running_var[c] + p->eps);
    FN(channel_affine)(p, x, c, running_mean[c], scale, beta ? beta[c] : 0, y);
  }
  return 0;
}

/* With xhat = (x - mean) * invstd and m = N * S values per channel:
 *   dbeta = sum(dy), dgamma = sum(dy * xhat),
 *   dx = gamma * invstd * (dy - dbeta / m - xhat * dgamma / m),
 * the last two terms being the gradient through the batch mean and variance. */
int FN(mien_batchnorm_backward_train)(const mien_batchnorm_params *p, const REAL *x, const REAL *dy,
                                      const REAL *gamma, const REAL *save_mean, const REAL *save_invstd, REAL *dx,
                                      REAL *dgamma, REAL *dbeta) {
  if (batchnorm_check(p, 1) != 0) return -1;
  const double count = (double)(p->N * p->S);
#pragma omp parallel for schedule(static) if (p->N * p->C * p->S > MIEN_PARALLEL_GRAIN)
  for (int64_t c = 0; c < p->C; c++) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy, sum_dy_xc;
    FN(channel_grad_sums)(p, x, dy, c, mean, &sum_dy, &sum_dy_xc);
    const double sum_dy_xhat = sum_dy_xc * invstd;
    if (dbeta) dbeta[c] = (REAL)sum_dy;
    if (dgamma) dgamma[c] = (REAL)sum_dy_xhat;
    if (!dx) continue;
    const double k = (gamma ? gamma[c] : 1) * invstd;
    const double mean_dy = sum_dy / count, xhat_coef = sum_dy_xhat / count * invstd;
    for (int64_t n = 0; n < p->N; n++) {
      const REAL *in = CHANNEL_AT(x, p, n, c), *g = CHANNEL_AT(dy, p, n, c);
      REAL *out = CHANNEL_AT(dx, p, n, c);
      for (int64_t s = 0; s < p->S; s++) out[s] = (REAL)(k * (g[s] - mean_dy - (in[s] - mean) * xhat_coef));
    }
  }
  return 0;
}

int FN(mien_batchnorm_backward_eval)(const mien_batchnorm_params *p, const REAL *x, const REAL *dy,
                                     const REAL *gamma, const REAL *running_mean, const REAL *running_var, REAL *dx,
                                     REAL *dgamma, REAL *dbeta) {
  if (batchnorm_check(p, 0) != 0) return -1;
#pragma omp parallel for schedule(static) if (p->N * p->C * p->S > MIEN_PARALLEL_GRAIN)
  for (int64_t c = 0; c < p->C; c++) {
    const double invstd = 1 / sqrt(running_var[c] + p->eps);
    if (dgamma || dbeta) {
      double sum_dy, sum_dy_xc;
      FN(channel_grad_sums)(p, x, dy, c, running_mean[c], &sum_dy, &sum_dy_xc);
      if (dbeta) dbeta[c] = (REAL)sum_dy;
      if (dgamma) dgamma[c] = (REAL)(sum_dy_xc * invstd);
    }
    if (dx) FN(channel_affine)(p, dy, c, 0, (gamma ? gamma[c] : 1) * invstd, 0, dx);
  }
  return 0;
}

#undef CHANNEL_AT
