/* The CPU allocator's cache of large blocks: a zero-filled request is zero
 * even on a reused block, every size of a size class fits its blocks (run
 * under valgrind, an overrun would show), a freed block serves the next
 * request of its class, and mien_cpu_empty_cache gives the parked blocks back. */
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

static void zero_and_fit(void) {
  const size_t kb = (size_t)1 << 10, mb = kb << 10;
  /* below, at and across the cached sizes, their class boundaries and the huge-page sizes */
  const size_t sizes[] = {1000,     256 * kb - 1, 256 * kb, 256 * kb + 1, 320 * kb + 4, 4 * mb - 8, 4 * mb,
                          5 * mb + 1, 32 * mb,   40 * mb + 4, 48 * mb - 8, 64 * mb};
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
}

/* A training step frees and asks again for the same sizes: after the first
 * round every request is a hit, and emptying the cache releases them all. */
static void reuse_and_release(void) {
  const size_t mb = (size_t)1 << 20, sizes[] = {300 << 10, 3 * mb, 7 * mb + 5, 37 * mb};
  enum { NS = sizeof sizes / sizeof *sizes };
  if (!mien_cpu_cache_enabled()) {
    printf("test_cpu_cache: no cache under AddressSanitizer, reuse not checked\n");
    return;
  }
  mien_cpu_empty_cache();
  mien_cpu_memory_info before, after;
  mien_cpu_memory(&before);
  for (int round = 0; round < 3; round++) {
    void *p[NS];
    for (int i = 0; i < NS; i++) p[i] = mien_cpu_alloc(sizes[i], round == 1);
    for (int i = 0; i < NS; i++) {
      CHECK(p[i] != NULL);
      mien_cpu_free(p[i], sizes[i]);
    }
  }
  mien_cpu_memory(&after);
  EXPECT(after.misses - before.misses == NS, "%d sizes asked three times mapped %llu blocks, expected %d", NS,
         (unsigned long long)(after.misses - before.misses), NS);
  EXPECT(after.hits - before.hits == 2 * NS, "expected %d hits, got %llu", 2 * NS,
         (unsigned long long)(after.hits - before.hits));
  EXPECT(after.allocated == before.allocated, "bytes handed out went from %zu to %zu", before.allocated,
         after.allocated);
  EXPECT(after.cached >= 47 * mb && after.peak >= after.cached, "cached %zu, peak %zu", after.cached, after.peak);
  const size_t released = mien_cpu_empty_cache();
  mien_cpu_memory(&after);
  EXPECT(released >= 47 * mb && after.cached == 0, "empty_cache released %zu, %zu still cached", released,
         after.cached);
}

int main(void) {
  zero_and_fit();
  reuse_and_release();
  return check_exit("test_cpu_cache");
}
