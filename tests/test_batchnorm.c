/* Batch norm: training and evaluation forward against a direct double
 * reference (including the running-statistics update with the unbiased
 * variance), backward of both modes against central finite differences in
 * f64, f32 against f64, optional arguments, validation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/batchnorm.h"
#include "error.h"

static double *random_array(int64_t n, double lo, double hi) {
  double *a = malloc(sizeof(double) * n);
  for (int64_t i = 0; i < n; i++) a[i] = lo + (hi - lo) * (uniform() + 1) / 2;
  return a;
}

static double *copy_array(const double *a, int64_t n) {
  double *b = malloc(sizeof(double) * n);
  memcpy(b, a, sizeof(double) * n);
  return b;
}

#define AT(p, n, c, s) (((n) * (p)->C + (c)) * (p)->S + (s))

/* Reference training forward; also returns the running-stat update. */
static void ref_train(const mien_batchnorm_params *p, const double *x, const double *gamma, const double *beta,
                      double *running_mean, double *running_var, double *y) {
  const double m = (double)(p->N * p->S);
  for (int64_t c = 0; c < p->C; c++) {
    double mean = 0, var = 0;
    for (int64_t n = 0; n < p->N; n++)
      for (int64_t s = 0; s < p->S; s++) mean += x[AT(p, n, c, s)] / m;
    for (int64_t n = 0; n < p->N; n++)
      for (int64_t s = 0; s < p->S; s++) var += (x[AT(p, n, c, s)] - mean) * (x[AT(p, n, c, s)] - mean) / m;
    for (int64_t n = 0; n < p->N; n++)
      for (int64_t s = 0; s < p->S; s++)
        y[AT(p, n, c, s)] = (x[AT(p, n, c, s)] - mean) / sqrt(var + p->eps) * (gamma ? gamma[c] : 1) +
                            (beta ? beta[c] : 0);
    running_mean[c] = (1 - p->momentum) * running_mean[c] + p->momentum * mean;
    running_var[c] = (1 - p->momentum) * running_var[c] + p->momentum * var * m / (m - 1);
  }
}

static void ref_eval(const mien_batchnorm_params *p, const double *x, const double *gamma, const double *beta,
                     const double *running_mean, const double *running_var, double *y) {
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t c = 0; c < p->C; c++)
      for (int64_t s = 0; s < p->S; s++)
        y[AT(p, n, c, s)] = (x[AT(p, n, c, s)] - running_mean[c]) / sqrt(running_var[c] + p->eps) *
                                (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
}

static void check_forward(const mien_batchnorm_params *p, int affine) {
  const int64_t size = p->N * p->C * p->S;
  double *x = random_array(size, 2, 5); /* offset mean: tests the centring */
  double *gamma = affine ? random_array(p->C, 0.5, 2) : NULL, *beta = affine ? random_array(p->C, -1, 1) : NULL;
  double *rm = random_array(p->C, -1, 1), *rv = random_array(p->C, 0.5, 2);
  double *ref_rm = copy_array(rm, p->C), *ref_rv = copy_array(rv, p->C);
  double *y = malloc(sizeof(double) * size), *ref = malloc(sizeof(double) * size);
  double *save_mean = malloc(sizeof(double) * p->C), *save_invstd = malloc(sizeof(double) * p->C);
  float *xf = to_f32(x, size), *yf = malloc(sizeof(float) * size), *rmf = to_f32(rm, p->C), *rvf = to_f32(rv, p->C);
  float *gf = affine ? to_f32(gamma, p->C) : NULL, *bf = affine ? to_f32(beta, p->C) : NULL;
  float *smf = malloc(sizeof(float) * p->C), *sif = malloc(sizeof(float) * p->C);
  for (int64_t i = 0; i < size; i++) x[i] = xf[i]; /* both precisions see the same input */
  for (int64_t c = 0; c < p->C && affine; c++) gamma[c] = gf[c], beta[c] = bf[c];
  for (int64_t c = 0; c < p->C; c++) rm[c] = ref_rm[c] = rmf[c], rv[c] = ref_rv[c] = rvf[c];

  ref_eval(p, x, gamma, beta, rm, rv, ref);
  EXPECT(mien_batchnorm_forward_eval_f64(p, x, gamma, beta, rm, rv, y) == 0, "%s", mien_last_error());
  EXPECT(max_rel_error(y, ref, size, 1) < 1e-14, "f64 eval forward");
  EXPECT(mien_batchnorm_forward_eval_f32(p, xf, gf, bf, rmf, rvf, yf) == 0, "%s", mien_last_error());
  EXPECT(max_rel_error_f32(yf, ref, size, 1) < 1e-6, "f32 eval forward");

  ref_train(p, x, gamma, beta, ref_rm, ref_rv, ref);
  EXPECT(mien_batchnorm_forward_train_f64(p, x, gamma, beta, rm, rv, save_mean, save_invstd, y) == 0, "%s",
         mien_last_error());
  EXPECT(max_rel_error(y, ref, size, 1) < 1e-12, "f64 train forward");
  EXPECT(max_rel_error(rm, ref_rm, p->C, 1) < 1e-14 && max_rel_error(rv, ref_rv, p->C, 1) < 1e-14,
         "f64 running stats");
  for (int64_t c = 0; c < p->C; c++) {
    double mean = 0;
    for (int64_t n = 0; n < p->N; n++)
      for (int64_t s = 0; s < p->S; s++) mean += x[AT(p, n, c, s)];
    mean /= (double)(p->N * p->S);
    EXPECT(fabs(save_mean[c] - mean) < 1e-13, "save_mean[%lld]", (long long)c);
  }
  EXPECT(mien_batchnorm_forward_train_f32(p, xf, gf, bf, rmf, rvf, smf, sif, yf) == 0, "%s", mien_last_error());
  EXPECT(max_rel_error_f32(yf, ref, size, 1) < 1e-5, "f32 train forward");
  float *no_running = NULL;
  EXPECT(mien_batchnorm_forward_train_f32(p, xf, gf, bf, no_running, no_running, smf, sif, yf) == 0,
         "running stats are optional");

  free(x), free(gamma), free(beta), free(rm), free(rv), free(ref_rm), free(ref_rv), free(y), free(ref);
  free(save_mean), free(save_invstd), free(xf), free(yf), free(rmf), free(rvf), free(gf), free(bf), free(smf);
  free(sif);
}

/* loss = <y, r>, y from the training forward (train != 0: gradients flow
 * through the batch statistics) or the evaluation forward. */
static double loss_of(const mien_batchnorm_params *p, int train, const double *x, const double *gamma,
                      const double *beta, const double *rm, const double *rv, const double *r) {
  const int64_t size = p->N * p->C * p->S;
  double *y = malloc(sizeof(double) * size), *sm = malloc(sizeof(double) * p->C), *si = malloc(sizeof(double) * p->C);
  if (train)
    mien_batchnorm_forward_train_f64(p, x, gamma, beta, NULL, NULL, sm, si, y);
  else
    mien_batchnorm_forward_eval_f64(p, x, gamma, beta, rm, rv, y);
  double loss = 0;
  for (int64_t i = 0; i < size; i++) loss += y[i] * r[i];
  free(y), free(sm), free(si);
  return loss;
}

static double central_difference(const mien_batchnorm_params *p, int train, double *value, const double *x,
                                 const double *gamma, const double *beta, const double *rm, const double *rv,
                                 const double *r) {
  const double h = 1e-6, saved = *value;
  *value = saved + h;
  const double up = loss_of(p, train, x, gamma, beta, rm, rv, r);
  *value = saved - h;
  const double down = loss_of(p, train, x, gamma, beta, rm, rv, r);
  *value = saved;
  return (up - down) / (2 * h);
}

static void check_backward(const mien_batchnorm_params *p, int train, int affine) {
  const int64_t size = p->N * p->C * p->S;
  double *x = random_array(size, -2, 3), *r = random_array(size, -1, 1);
  double *gamma = affine ? random_array(p->C, 0.5, 2) : NULL, *beta = affine ? random_array(p->C, -1, 1) : NULL;
  double *rm = random_array(p->C, -1, 1), *rv = random_array(p->C, 0.5, 2);
  double *sm = malloc(sizeof(double) * p->C), *si = malloc(sizeof(double) * p->C), *y = malloc(sizeof(double) * size);
  double *dx = malloc(sizeof(double) * size), *dgamma = malloc(sizeof(double) * p->C);
  double *dbeta = malloc(sizeof(double) * p->C);
  const char *mode = train ? "train" : "eval";
  int rc;
  if (train) {
    mien_batchnorm_forward_train_f64(p, x, gamma, beta, NULL, NULL, sm, si, y);
    rc = mien_batchnorm_backward_train_f64(p, x, r, gamma, sm, si, dx, dgamma, dbeta);
  } else {
    rc = mien_batchnorm_backward_eval_f64(p, x, r, gamma, rm, rv, dx, dgamma, dbeta);
  }
  EXPECT(rc == 0, "%s", mien_last_error());

  double worst = 0;
  for (int64_t i = 0; i < size; i++) {
    const double e = fabs(central_difference(p, train, &x[i], x, gamma, beta, rm, rv, r) - dx[i]);
    worst = e > worst ? e : worst;
  }
  for (int64_t c = 0; c < p->C && affine; c++) {
    const double eg = fabs(central_difference(p, train, &gamma[c], x, gamma, beta, rm, rv, r) - dgamma[c]);
    const double eb = fabs(central_difference(p, train, &beta[c], x, gamma, beta, rm, rv, r) - dbeta[c]);
    worst = eg > worst ? eg : worst;
    worst = eb > worst ? eb : worst;
  }
  EXPECT(worst < 1e-6, "%s backward vs finite differences (N=%lld C=%lld S=%lld affine=%d): error %g", mode,
         (long long)p->N, (long long)p->C, (long long)p->S, affine, worst);

  /* f32 against f64, asking for dx only. */
  float *xf = to_f32(x, size), *rf = to_f32(r, size), *gf = affine ? to_f32(gamma, p->C) : NULL;
  float *smf = to_f32(sm, p->C), *sif = to_f32(si, p->C), *rmf = to_f32(rm, p->C), *rvf = to_f32(rv, p->C);
  float *dxf = malloc(sizeof(float) * size);
  if (train)
    rc = mien_batchnorm_backward_train_f32(p, xf, rf, gf, smf, sif, dxf, NULL, NULL);
  else
    rc = mien_batchnorm_backward_eval_f32(p, xf, rf, gf, rmf, rvf, dxf, NULL, NULL);
  double scale = 0;
  for (int64_t i = 0; i < size; i++) scale = fabs(dx[i]) > scale ? fabs(dx[i]) : scale;
  EXPECT(rc == 0 && max_rel_error_f32(dxf, dx, size, scale) < 1e-5, "f32 %s backward: error %g", mode,
         max_rel_error_f32(dxf, dx, size, scale));

  free(x), free(r), free(gamma), free(beta), free(rm), free(rv), free(sm), free(si), free(y), free(dx);
  free(dgamma), free(dbeta), free(xf), free(rf), free(gf), free(smf), free(sif), free(rmf), free(rvf), free(dxf);
}

/* For shapes too big for element-by-element differences: the derivative of
 * the training loss along one random direction v of x must equal <dx, v>. */
static void check_directional_derivative(const mien_batchnorm_params *p) {
  const int64_t size = p->N * p->C * p->S;
  double *x = random_array(size, -2, 3), *r = random_array(size, -1, 1), *v = random_array(size, -1, 1);
  double *gamma = random_array(p->C, 0.5, 2), *beta = random_array(p->C, -1, 1);
  double *sm = malloc(sizeof(double) * p->C), *si = malloc(sizeof(double) * p->C);
  double *y = malloc(sizeof(double) * size), *dx = malloc(sizeof(double) * size), *moved = malloc(sizeof(double) * size);
  mien_batchnorm_forward_train_f64(p, x, gamma, beta, NULL, NULL, sm, si, y);
  EXPECT(mien_batchnorm_backward_train_f64(p, x, r, gamma, sm, si, dx, NULL, NULL) == 0, "%s", mien_last_error());
  const double h = 1e-5;
  double loss[2], predicted = 0;
  for (int side = 0; side < 2; side++) {
    for (int64_t i = 0; i < size; i++) moved[i] = x[i] + (side ? -h : h) * v[i];
    loss[side] = loss_of(p, 1, moved, gamma, beta, NULL, NULL, r);
  }
  for (int64_t i = 0; i < size; i++) predicted += dx[i] * v[i];
  const double measured = (loss[0] - loss[1]) / (2 * h);
  EXPECT(fabs(measured - predicted) < 1e-6 * (1 + fabs(predicted)), "directional derivative %.12g, <dx, v> %.12g",
         measured, predicted);
  free(x), free(r), free(v), free(gamma), free(beta), free(sm), free(si), free(y), free(dx), free(moved);
}

int main(void) {
  rng_seed(0xda3e39cb94b95bdbull);
  const mien_batchnorm_params shapes[] = {
      {8, 3, 1, 1e-5, 0.1},  /* BatchNorm1d on [N, C] */
      {4, 5, 6, 1e-5, 0.1},  /* BatchNorm2d, H*W = 6 */
      {2, 2, 13, 1e-3, 0.3}, /* odd sizes, other eps and momentum */
      {1, 4, 3, 1e-5, 1.0},  /* a single image; momentum 1 replaces the running stats */
  };
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
    for (int affine = 0; affine < 2; affine++) {
      check_forward(&shapes[i], affine);
      check_backward(&shapes[i], 1, affine);
      check_backward(&shapes[i], 0, affine);
    }
  /* Large enough to be split across threads. */
  const mien_batchnorm_params big = {32, 16, 100, 1e-5, 0.1};
  check_forward(&big, 1);
  const mien_batchnorm_params big_backward = {16, 8, 300, 1e-5, 0.1};
  check_directional_derivative(&big_backward);

  double one[1] = {1}, out[1];
  const mien_batchnorm_params single = {1, 1, 1, 1e-5, 0.1};
  mien_clear_error();
  EXPECT(mien_batchnorm_forward_train_f64(&single, one, NULL, NULL, NULL, NULL, out, out, out) == -1 &&
             strstr(mien_last_error(), "more than one value"),
         "training on one value per channel must fail: '%s'", mien_last_error());
  EXPECT(mien_batchnorm_forward_eval_f64(&single, one, NULL, NULL, one, one, out) == 0, "eval on one value");
  const mien_batchnorm_params bad = {2, 0, 1, 1e-5, 0.1};
  EXPECT(mien_batchnorm_forward_eval_f64(&bad, one, NULL, NULL, one, one, out) == -1, "C = 0 must fail");

  return check_exit("test_batchnorm");
}
