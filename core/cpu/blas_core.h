/* Which kernels OpenBLAS runs (see blas_core.c). Private to core/cpu. */
#ifndef MIEN_CPU_BLAS_CORE_H
#define MIEN_CPU_BLAS_CORE_H

/* Once per process, before the first GEMM: move OpenBLAS off its generic
 * fallback core when the CPU has AVX-512 or AVX2 (no-op without OpenBLAS,
 * or when OPENBLAS_CORETYPE is set). Thread-safe. */
void mien_cpu_blas_pick_core(void);
/* OpenBLAS's core ("SkylakeX", "Haswell", ...), or "builtin" without OpenBLAS. */
const char *mien_cpu_blas_core(void);

#endif
