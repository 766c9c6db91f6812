/* Helpers for hand-vectorised inner loops. Private to core/cpu.
 *
 * The library is built for the baseline ISA (no -march), so the hottest
 * kernels are compiled three times, for x86-64-v4 (AVX-512), x86-64-v3
 * (AVX2+FMA) and the baseline, and picked at load time by CPU features
 * (GCC >= 12 function multiversioning; "arch=haswell" would dispatch on the
 * CPU model instead).
 * Elsewhere the attribute is empty and the generic build is used. */
#ifndef MIEN_CPU_SIMD_H
#define MIEN_CPU_SIMD_H

#if defined(__x86_64__) && defined(__ELF__) && !defined(__clang__) && __GNUC__ >= 12
#define MIEN_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MIEN_MULTIVERSION
#endif

#endif
