/* What this CPU can run, detected once at run time. Private to core/cpu. */
#ifndef MIEN_CPU_FEATURES_H
#define MIEN_CPU_FEATURES_H

/* 1 when the bf16 GEMM kernels can run: the CPU has AVX-512 F/BW/VL and
 * AVX512_BF16 (vdpbf16ps), the OS saves the AVX-512 register state (XCR0),
 * and the environment variable MIEN_NO_BF16 is unset (or "0"). */
int mien_cpu_has_bf16(void);
/* One line on the path the bf16 GEMMs take: "avx512_bf16 (vdpbf16ps)" or
 * "float32 fallback (<why>)". */
const char *mien_cpu_bf16_path(void);

/* 1 when the CPU has AVX-512 F/BW/VL, the OS saves its register state, and
 * MIEN_NO_AVX512 is unset (or "0"): the built-in GEMMs then run their
 * 512-bit micro-kernels (gemm_builtin.c). */
int mien_cpu_has_avx512(void);

#endif
