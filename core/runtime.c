/* The runtime controls of the public API (mien.h). */
#include "cpu/blas_core.h"
#include "cpu/cache.h"
#include "cpu/gemm.h"
#include "mien.h"
#include "rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void mien_manual_seed(uint64_t seed) { mien_rng_seed(mien_rng_global(), seed); }

void mien_rng_get_state(uint64_t *seed, uint64_t *counter) {
  const mien_rng *g = mien_rng_global();
  *seed = g->seed;
  *counter = g->counter;
}

void mien_rng_set_state(uint64_t seed, uint64_t counter) {
  mien_rng *g = mien_rng_global();
  g->seed = seed;
  g->counter = counter;
}

const char *mien_blas_name(void) { return mien_gemm_backend(); }

const char *mien_blas_core(void) { return mien_cpu_blas_core(); }

const char *mien_gemm_kernels(void) { return mien_gemm_builtin_kernels(); }

int mien_num_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void mien_set_num_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

void mien_cpu_memory(mien_cpu_memory_info *out) { mien_cpu_cache_stats(out); }

size_t mien_cpu_empty_cache(void) { return mien_cpu_cache_release(); }
