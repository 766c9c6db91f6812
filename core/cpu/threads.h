/* Thin OpenMP wrappers so the kernels also build (single-threaded) without
 * OpenMP. Private to core/cpu. */
#ifndef MIEN_CPU_THREADS_H
#define MIEN_CPU_THREADS_H

/* Loops touching fewer elements than this run on one thread: starting a
 * team costs microseconds (far more when cores are busy elsewhere). Used as
 * `#pragma omp parallel for if (work > MIEN_PARALLEL_GRAIN)`. */
#define MIEN_PARALLEL_GRAIN 32768

#ifdef _OPENMP
#include <omp.h>
/* Threads for a parallel region opened here: one when already inside an
 * active region, so nested kernels never oversubscribe the cores. */
static inline int mien_max_threads(void) { return omp_in_parallel() ? 1 : omp_get_max_threads(); }
static inline int mien_thread_num(void) { return omp_get_thread_num(); }
#else
static inline int mien_max_threads(void) { return 1; }
static inline int mien_thread_num(void) { return 0; }
#endif

#endif
