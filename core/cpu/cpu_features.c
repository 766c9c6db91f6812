/* Run-time CPU feature detection: cpuid for what the CPU has, xgetbv for
 * what the OS saves on a context switch (AVX-512 state needs both). */
#include "cpu/cpu_features.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

static unsigned long long xcr0(void) {
  unsigned int lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (unsigned long long)hi << 32 | lo;
}

/* NULL when the CPU and the OS support AVX-512 F/BW/VL, else why not. */
static const char *avx512_missing(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return "no XSAVE enabled by the OS";
  if (__get_cpuid_max(0, NULL) < 7) return "no cpuid leaf 7";
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned int need_b = bit_AVX512F | bit_AVX512BW | bit_AVX512VL;
  if ((b & need_b) != need_b) return "no AVX-512 F/BW/VL";
  /* SSE, AVX, opmask, upper ZMM0-15 and ZMM16-31 state enabled */
  if ((xcr0() & 0xe6) != 0xe6) return "the OS does not save the AVX-512 state";
  return NULL;
}

/* NULL when the CPU and the OS support the bf16 kernels, else why not. */
static const char *bf16_missing(void) {
  const char *why = avx512_missing();
  if (why) return why;
  unsigned int a, b, c, d;
  __cpuid_count(7, 1, a, b, c, d);
  if (!(a & (1u << 5))) return "no AVX512_BF16 on this CPU";
  return NULL;
}
#else
static const char *avx512_missing(void) { return "not an x86-64 CPU"; }
static const char *bf16_missing(void) { return "not an x86-64 CPU"; }
#endif

/* Whether the environment variable `name` is set to something other than "" or "0". */
static int env_on(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

static int state = -1; /* -1 unknown, 0 fallback, 1 bf16 */
static char path[128];

static void detect(void) {
  const char *why = env_on("MIEN_NO_BF16") ? "MIEN_NO_BF16 is set" : bf16_missing();
  if (why) {
    strcpy(path, "float32 fallback (");
    strncat(path, why, sizeof path - strlen(path) - 2);
    strcat(path, ")");
  } else {
    strcpy(path, "avx512_bf16 (vdpbf16ps)");
  }
  __atomic_store_n(&state, why ? 0 : 1, __ATOMIC_RELEASE);
}

int mien_cpu_has_bf16(void) {
  int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
  if (s < 0) {
#pragma omp critical(mien_cpu_features)
    if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) < 0) detect();
    s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
  }
  return s;
}

const char *mien_cpu_bf16_path(void) {
  mien_cpu_has_bf16();
  return path;
}

static int avx512_state = -1; /* -1 unknown, 0 no, 1 yes */

int mien_cpu_has_avx512(void) {
  int s = __atomic_load_n(&avx512_state, __ATOMIC_ACQUIRE);
  if (s < 0) { /* racing first calls compute the same answer */
    s = !env_on("MIEN_NO_AVX512") && !avx512_missing();
    __atomic_store_n(&avx512_state, s, __ATOMIC_RELEASE);
  }
  return s;
}
