/* Batch norm kernels, included once per element type by batchnorm.c (which
 * defines REAL and FN). Channels are independent and split across threads;
 * each channel's N * S values sit in N runs of S, one run per image. */

#define CHANNEL_AT(base, p, n, c) ((base) + ((n) * (p)->C + (c)) * (p)->S)

/* The run sums below keep BN_LANES partial sums: with a single one the loop
 * is bound by the latency of each double add, with eight it vectorises. The
 * order of the additions is fixed, so results do not depend on threads. */
#define BN_LANES 8

static inline double FN(lanes_total)(const double *acc, double tail) {
  for (int k = 0; k < BN_LANES; k++) tail += acc[k];
  return tail;
}

/* sum(x) over a run of n values. */
static inline double FN(run_sum)(const REAL *x, int64_t n) {
  double acc[BN_LANES] = {0}, tail = 0;
  int64_t s = 0;
  for (; s + BN_LANES <= n; s += BN_LANES)
    for (int k = 0; k < BN_LANES; k++) acc[k] += x[s + k];
  for (; s < n; s++) tail += x[s];
  return FN(lanes_total)(acc, tail);
}

/* sum((x - mu)^2) over a run. */
static inline double FN(run_squares)(const REAL *x, int64_t n, double mu) {
  double acc[BN_LANES] = {0}, tail = 0;
  int64_t s = 0;
  for (; s + BN_LANES <= n; s += BN_LANES)
    for (int k = 0; k < BN_LANES; k++) acc[k] += (x[s + k] - mu) * (x[s + k] - mu);
  for (; s < n; s++) tail += (x[s] - mu) * (x[s] - mu);
  return FN(lanes_total)(acc, tail);
}

/* Mean and biased variance of channel c, two passes (no cancellation). */
static MIEN_MULTIVERSION void FN(channel_moments)(const mien_batchnorm_params *p, const REAL *x, int64_t c,
                                                  double *mean, double *var) {
  double sum = 0;
  for (int64_t n = 0; n < p->N; n++) sum += FN(run_sum)(CHANNEL_AT(x, p, n, c), p->S);
  const double count = (double)(p->N * p->S), mu = sum / count;
  double squares = 0;
  for (int64_t n = 0; n < p->N; n++) squares += FN(run_squares)(CHANNEL_AT(x, p, n, c), p->S, mu);
  *mean = mu;
  *var = squares / count;
}

/* y = (x - center) * scale + shift over channel c, in double: folding center
 * into shift in float would lose the low bits of x - mean when |mean| is
 * large next to the spread. */
static MIEN_MULTIVERSION void FN(channel_affine)(const mien_batchnorm_params *p, const REAL *x, int64_t c,
                                                 double center, double scale, double shift, REAL *y) {
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *in = CHANNEL_AT(x, p, n, c);
    REAL *out = CHANNEL_AT(y, p, n, c);
    for (int64_t s = 0; s < p->S; s++) out[s] = (REAL)((in[s] - center) * scale + shift);
  }
}

/* sum(dy) and sum(dy * (x - mean)) over channel c. */
static MIEN_MULTIVERSION void FN(channel_grad_sums)(const mien_batchnorm_params *p, const REAL *x, const REAL *dy,
                                                    int64_t c, double mean, double *sum_dy, double *sum_dy_xc) {
  double a = 0, b = 0;
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *in = CHANNEL_AT(x, p, n, c), *g = CHANNEL_AT(dy, p, n, c);
    double acc_a[BN_LANES] = {0}, acc_b[BN_LANES] = {0}, tail_a = 0, tail_b = 0;
    int64_t s = 0;
    for (; s + BN_LANES <= p->S; s += BN_LANES)
      for (int k = 0; k < BN_LANES; k++) acc_a[k] += g[s + k], acc_b[k] += g[s + k] * (in[s + k] - mean);
    for (; s < p->S; s++) tail_a += g[s], tail_b += g[s] * (in[s] - mean);
    a += FN(lanes_total)(acc_a, tail_a);
    b += FN(lanes_total)(acc_b, tail_b);
  }
  *sum_dy = a;
  *sum_dy_xc = b;
}

/* dx = k * (dy - mean_dy - (x - mean) * xhat_coef) over channel c. */
static MIEN_MULTIVERSION void FN(channel_dx)(const mien_batchnorm_params *p, const REAL *x, const REAL *dy, int64_t c,
                                             double mean, double k, double mean_dy, double xhat_coef, REAL *dx) {
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *in = CHANNEL_AT(x, p, n, c), *g = CHANNEL_AT(dy, p, n, c);
    REAL *out = CHANNEL_AT(dx, p, n, c);
    for (int64_t s = 0; s < p->S; s++) out[s] = (REAL)(k * (g[s] - mean_dy - (in[s] - mean) * xhat_coef));
  }
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
    FN(channel_dx)(p, x, dy, c, mean, k, mean_dy, xhat_coef, dx);
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
#undef BN_LANES
