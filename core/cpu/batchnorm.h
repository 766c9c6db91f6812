/* Batch normalisation over contiguous [N, C, S] arrays: statistics per
 * channel c over the N * S values x[n][c][s], where S is the product of the
 * spatial sizes (S = 1 for BatchNorm1d on [N, C], H * W for BatchNorm2d).
 *
 *   y = (x - mean) * invstd * gamma + beta,  invstd = 1 / sqrt(var + eps)
 *
 * gamma and beta [C] may be NULL (no affine transform: gamma 1, beta 0).
 * PyTorch semantics: training normalises with the biased batch variance
 * while the running variance is updated with the unbiased one,
 *   running = (1 - momentum) * running + momentum * batch_statistic.
 * Sums are accumulated in double for float data too. Functions return 0, or
 * -1 with mien_set_error. Outputs are overwritten. */
#ifndef MIEN_CPU_BATCHNORM_H
#define MIEN_CPU_BATCHNORM_H

#include <stdint.h>

#include "backend.h"

/* mien_batchnorm_params: backend.h */

/* Training forward: normalises with the batch statistics, writes them to
 * save_mean and save_invstd [C] (for the backward pass) and updates
 * running_mean / running_var [C] (both NULL: no update). Needs N * S > 1. */
int mien_batchnorm_forward_train_f32(const mien_batchnorm_params *p, const float *x, const float *gamma,
                                     const float *beta, float *running_mean, float *running_var, float *save_mean,
                                     float *save_invstd, float *y);
/* Evaluation forward: normalises with running_mean / running_var. */
int mien_batchnorm_forward_eval_f32(const mien_batchnorm_params *p, const float *x, const float *gamma,
                                    const float *beta, const float *running_mean, const float *running_var, float *y);
/* Gradients of the training forward, through the batch statistics; dx,
 * dgamma and dbeta may each be NULL (not wanted). */
int mien_batchnorm_backward_train_f32(const mien_batchnorm_params *p, const float *x, const float *dy,
                                      const float *gamma, const float *save_mean, const float *save_invstd,
                                      float *dx, float *dgamma, float *dbeta);
/* Gradients of the evaluation forward (the statistics are constants). */
int mien_batchnorm_backward_eval_f32(const mien_batchnorm_params *p, const float *x, const float *dy,
                                     const float *gamma, const float *running_mean, const float *running_var,
                                     float *dx, float *dgamma, float *dbeta);

int mien_batchnorm_forward_train_f64(const mien_batchnorm_params *p, const double *x, const double *gamma,
                                     const double *beta, double *running_mean, double *running_var,
                                     double *save_mean, double *save_invstd, double *y);
int mien_batchnorm_forward_eval_f64(const mien_batchnorm_params *p, const double *x, const double *gamma,
                                    const double *beta, const double *running_mean, const double *running_var,
                                    double *y);
int mien_batchnorm_backward_train_f64(const mien_batchnorm_params *p, const double *x, const double *dy,
                                      const double *gamma, const double *save_mean, const double *save_invstd,
                                      double *dx, double *dgamma, double *dbeta);
int mien_batchnorm_backward_eval_f64(const mien_batchnorm_params *p, const double *x, const double *dy,
                                     const double *gamma, const double *running_mean, const double *running_var,
                                     double *dx, double *dgamma, double *dbeta);

#endif
