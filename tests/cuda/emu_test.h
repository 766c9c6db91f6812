/* Test support for the emulator tests (C++): CHECK, seeds, random data. */
#ifndef MIEN_EMU_TEST_H
#define MIEN_EMU_TEST_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "emu/cuda_emu.h"
#include "kernels.h"

static int failures;
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      failures++;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)
#define CHECK_OK(call)                                                                      \
  do {                                                                                      \
    if ((call) != 0) {                                                                      \
      failures++;                                                                           \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, mien_k_error()); \
    }                                                                                       \
  } while (0)

/* The schedule seeds every kernel test runs under. */
static const uint64_t kSeeds[] = {1, 2, 3, 5, 8};

static uint64_t test_rng = 88172645463325252ull;
static inline double uniform(double lo, double hi) {
  test_rng ^= test_rng << 13, test_rng ^= test_rng >> 7, test_rng ^= test_rng << 17;
  return lo + (hi - lo) * (double)(test_rng >> 11) * (1.0 / 9007199254740992.0);
}
template <class T>
static std::vector<T> random_vector(size_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (auto &x : v) x = (T)uniform(lo, hi);
  return v;
}
static inline bool close(double a, double b, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}
static inline int finish(const char *name) {
  if (failures) fprintf(stderr, "%s: %d failure(s)\n", name, failures);
  else printf("%s: ok\n", name);
  return failures ? 1 : 0;
}

#endif
