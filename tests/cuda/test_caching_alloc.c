/* The caching allocator through a fake device allocator: buckets, reuse per
 * stream, statistics, empty_cache, and the out-of-memory message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caching_alloc.h"

static int failures;
#define CHECK(c) \
  do { if (!(c)) { failures++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); } } while (0)

/* A device with `capacity` bytes, counting what it hands out. */
typedef struct fake_device {
  size_t capacity, used;
  int allocs, frees;
} fake_device;

static void *fake_alloc(void *ctx, size_t n) {
  fake_device *d = ctx;
  if (d->used + n > d->capacity) return NULL;
  void *p = malloc(n + sizeof(size_t));
  if (!p) return NULL;
  *(size_t *)p = n;
  d->used += n;
  d->allocs++;
  return (size_t *)p + 1;
}

static void fake_free(void *ctx, void *ptr) {
  fake_device *d = ctx;
  size_t *p = (size_t *)ptr - 1;
  d->used -= *p;
  d->frees++;
  free(p);
}

int main(void) {
  fake_device dev = {64u << 20, 0, 0, 0};
  mien_device_memory mem = {fake_alloc, fake_free, &dev};
  mien_caching_alloc *a = mien_caching_alloc_new(mem);
  char err[256];
  mien_memory_stats s;
  void *s1 = (void *)1, *s2 = (void *)2;

  CHECK(mien_caching_alloc_bucket(1) == 512);
  CHECK(mien_caching_alloc_bucket(513) == 1024);
  CHECK(mien_caching_alloc_bucket(1u << 20) == 1u << 20);
  CHECK(mien_caching_alloc_bucket((1u << 20) + 1) == 2u << 20);
  CHECK(mien_caching_alloc_bucket((size_t)-1) == 0);

  void *p = mien_caching_alloc_get(a, 1000, s1, err, sizeof err);
  void *q = mien_caching_alloc_get(a, 3u << 20, s1, err, sizeof err);
  CHECK(p && q && p != q);
  mien_caching_alloc_stats(a, &s);
  CHECK(s.allocated == 1024 + (4u << 20) && s.reserved == s.allocated && s.requested == 1000 + (3u << 20));
  CHECK(dev.allocs == 2);

  /* freed blocks are cached and reused by the same bucket on the same stream */
  CHECK(mien_caching_alloc_put(a, p) == 0);
  CHECK(mien_caching_alloc_put(a, p) == -1); /* double free is refused */
  CHECK(mien_caching_alloc_put(a, (char *)q + 8) == -1);
  mien_caching_alloc_stats(a, &s);
  CHECK(s.allocated == 4u << 20 && s.reserved == 1024 + (4u << 20));
  void *p2 = mien_caching_alloc_get(a, 900, s1, err, sizeof err);
  CHECK(p2 == p && dev.allocs == 2);
  CHECK(mien_caching_alloc_put(a, p2) == 0);
  void *p3 = mien_caching_alloc_get(a, 900, s2, err, sizeof err); /* another stream: not reused */
  CHECK(p3 && p3 != p && dev.allocs == 3);

  /* peak, then empty_cache gives the unused blocks back */
  mien_caching_alloc_stats(a, &s);
  CHECK(s.peak_allocated == 1024 + (4u << 20));
  CHECK(mien_caching_alloc_put(a, q) == 0);
  CHECK(mien_caching_alloc_empty_cache(a) == 1024 + (4u << 20));
  mien_caching_alloc_stats(a, &s);
  CHECK(s.allocated == 1024 && s.reserved == 1024 && dev.used == 1024);
  mien_caching_alloc_reset_peak(a);
  mien_caching_alloc_stats(a, &s);
  CHECK(s.peak_allocated == 1024);

  /* out of memory: the cache is emptied and the request retried once */
  void *big = mien_caching_alloc_get(a, 40u << 20, s1, err, sizeof err);
  CHECK(big != NULL);
  CHECK(mien_caching_alloc_put(a, big) == 0); /* 40 MiB cached */
  void *big2 = mien_caching_alloc_get(a, 50u << 20, s1, err, sizeof err);
  CHECK(big2 != NULL); /* fits only after the cached 40 MiB went back */
  void *huge = mien_caching_alloc_get(a, 30u << 20, s1, err, sizeof err);
  CHECK(huge == NULL);
  printf("OOM message: %s\n", err);
  CHECK(strstr(err, "asked for 31457280 bytes") && strstr(err, "52429824 bytes"));
  CHECK(mien_caching_alloc_put(a, big2) == 0);
  CHECK(mien_caching_alloc_put(a, p3) == 0);

  /* zero-byte requests give distinct blocks */
  void *z1 = mien_caching_alloc_get(a, 0, s1, err, sizeof err), *z2 = mien_caching_alloc_get(a, 0, s1, err, sizeof err);
  CHECK(z1 && z2 && z1 != z2);
  /* many blocks: the table grows and finds each */
  void *many[500];
  for (int i = 0; i < 500; i++) many[i] = mien_caching_alloc_get(a, (size_t)(i % 7 + 1) * 512, s1, err, sizeof err);
  for (int i = 499; i >= 0; i--) CHECK(mien_caching_alloc_put(a, many[i]) == 0);
  mien_caching_alloc_stats(a, &s);
  CHECK(s.allocated == 1024);
  mien_caching_alloc_destroy(a);
  CHECK(dev.used == 0 && dev.allocs == dev.frees);
  if (failures) fprintf(stderr, "test_caching_alloc: %d failure(s)\n", failures);
  else printf("test_caching_alloc: ok\n");
  return failures != 0;
}
