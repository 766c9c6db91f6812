/* OpenBLAS (a DYNAMIC_ARCH build, as Debian's) picks its kernels by the CPU
 * model at load time. Version 0.3.21 (Debian 12) does not know recent models
 * (e.g. Intel family 6 model 207) and falls back to its generic Prescott
 * kernels, about five times slower at sgemm than its AVX-512 ones on such a
 * CPU. When the user has not chosen a core (OPENBLAS_CORETYPE) and OpenBLAS
 * runs Prescott on a CPU with AVX-512 (or AVX2 and FMA), this redoes its core
 * selection once, before the first GEMM, with the core those features name. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "cpu/blas_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef MIEN_HAVE_CBLAS
#include <cblas.h>

/* OpenBLAS's dynamic-arch entry points: exported by DYNAMIC_ARCH builds only, hence weak. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

/* The OpenBLAS core type this CPU's features call for, or NULL. */
static const char *core_for_cpu(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
    return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return NULL;
}

static void pick_core(void) {
  if (getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  const char *name = openblas_get_corename();
  const char *want = core_for_cpu();
  if (!name || !want || strcmp(name, "Prescott") != 0) return;
  setenv("OPENBLAS_CORETYPE", want, 0);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE"); /* child processes detect for themselves */
}
#endif

void mien_cpu_blas_pick_core(void) {
#ifdef MIEN_HAVE_CBLAS
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pick_core);
#endif
}

const char *mien_cpu_blas_core(void) {
#ifdef MIEN_HAVE_CBLAS
  mien_cpu_blas_pick_core();
  const char *name = openblas_get_corename();
  return name ? name : "unknown";
#else
  return "builtin";
#endif
}
