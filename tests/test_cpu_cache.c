/* The CPU allocator's cache of large blocks: a zero-filled request is zero
 * even on a reused block, and every size of a size class fits its blocks
 * (run under valgrind, an overrun would show). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/cache.h"

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

int main(void) {
  const size_t mb = (size_t)1 << 20;
  /* below, at and across the cached sizes and their class boundaries */
  const size_t sizes[] = {1000, 32 * mb - 1, 32 * mb, 32 * mb + 1, 40 * mb, 40 * mb + 4, 48 * mb - 8, 64 * mb};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    const size_t n = sizes[i];
    unsigned char *a = mien_cpu_alloc(n, false);
    CHECK(a != NULL);
    if (!a) continue;
    memset(a, 0xab, n); /* dirty the whole request */
    mien_cpu_free(a, n);
    unsigned char *b = mien_cpu_alloc(n, true);
    CHECK(b != NULL);
    if (!b) continue;
    EXPECT(all_zero(b, n), "a zero-filled request of %zu bytes is not zero", n);
    memset(b, 0xcd, n);
    mien_cpu_free(b, n);
    /* the smallest request of the same class may get that block */
    unsigned char *c = mien_cpu_alloc(n - n / 8, true);
    CHECK(c != NULL);
    if (c) {
      EXPECT(all_zero(c, n - n / 8), "a zero-filled request of %zu bytes is not zero", n - n / 8);
      mien_cpu_free(c, n - n / 8);
    }
  }
  mien_cpu_free(NULL, 64 * mb);
  return check_exit("test_cpu_cache");
}
