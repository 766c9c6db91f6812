/* Batch norm: parameter validation and the float/double instantiations of
 * batchnorm_impl.h. */
#include "batchnorm.h"

#include <inttypes.h>
#include <math.h>

#include "error.h"
#include "simd.h"
#include "threads.h"

static int batchnorm_check(const mien_batchnorm_params *p, int training) {
  if (p->N < 0 || p->C <= 0 || p->S <= 0) {
    mien_set_error("batchnorm: invalid shape N=%" PRId64 " C=%" PRId64 " S=%" PRId64, p->N, p->C, p->S);
    return -1;
  }
  if (!(p->eps >= 0)) {
    mien_set_error("batchnorm: eps must be non-negative (got %g)", p->eps);
    return -1;
  }
  if (training && p->N * p->S < 2) {
    mien_set_error("batchnorm: training needs more than one value per channel (N=%" PRId64 " S=%" PRId64 ")", p->N,
                   p->S);
    return -1;
  }
  return 0;
}

#define REAL float
#define FN(name) name##_f32
#include "batchnorm_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "batchnorm_impl.h"
