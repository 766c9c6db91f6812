#include "cpu/cache.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* glibc keeps blocks below its mmap threshold (raised to its maximum, 32 MB,
 * below) in the heap and recycles them well, for any size; larger ones it
 * maps fresh on every malloc and unmaps on free. Only those are cached: a
 * cache of every size measured slower, as blocks parked in one size class
 * make the heap grow for the others. */
#define MMAP_THRESHOLD (32 << 20)
#define CACHE_MIN_BYTES ((size_t)MMAP_THRESHOLD)
/* The most the cache holds; blocks freed beyond it go back to malloc. Under
 * AddressSanitizer nothing is kept, so use-after-free is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define CACHE_MAX_BYTES ((size_t)0)
#else
#define CACHE_MAX_BYTES ((size_t)1 << 30)
#endif
/* Four classes per power of two (1, 1.25, 1.5 and 1.75 times 2^e), so a
 * block is at most a quarter larger than the request it serves. */
#define CACHE_CLASSES (4 * 64)

typedef struct cached_block {
  struct cached_block *next;
} cached_block;

static cached_block *free_lists[CACHE_CLASSES]; /* most recently freed first: warm in cache */
static size_t cached_bytes;

/* Training allocates and frees the same large activation buffers every step:
 * keep them in the heap rather than mapping them fresh (and faulting their
 * pages in) each time, and do not hand freed heap memory back. */
static void keep_large_blocks_in_heap(void) {
  static int done;
  if (done) return;
  done = 1;
  mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD); /* glibc's maximum */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/* The class of an nbytes >= CACHE_MIN_BYTES request and its block size. */
static int class_of(size_t nbytes, size_t *block_bytes) {
  const int e = 63 - __builtin_clzll((unsigned long long)(nbytes - 1)); /* 2^e < nbytes <= 2^(e+1) */
  const size_t base = (size_t)1 << e, step = base >> 2;
  const size_t q = (nbytes - base + step - 1) / step; /* 1 .. 4 */
  *block_bytes = base + q * step;
  return 4 * e + (int)q - 1;
}

void *mien_cpu_alloc(size_t nbytes, bool zero) {
  keep_large_blocks_in_heap();
  if (nbytes < CACHE_MIN_BYTES) return zero ? calloc(1, nbytes ? nbytes : 1) : malloc(nbytes ? nbytes : 1);
  size_t bytes;
  const int c = class_of(nbytes, &bytes);
  cached_block *b;
#pragma omp critical(mien_cpu_cache)
  {
    b = free_lists[c];
    if (b) {
      free_lists[c] = b->next;
      cached_bytes -= bytes;
    }
  }
  if (!b) return zero ? calloc(1, bytes) : malloc(bytes);
  if (zero) memset(b, 0, nbytes);
  return b;
}

void mien_cpu_free(void *ptr, size_t nbytes) {
  if (!ptr) return;
  if (nbytes < CACHE_MIN_BYTES) {
    free(ptr);
    return;
  }
  size_t bytes;
  const int c = class_of(nbytes, &bytes);
  bool kept = false;
#pragma omp critical(mien_cpu_cache)
  if (cached_bytes + bytes <= CACHE_MAX_BYTES) {
    cached_block *b = ptr;
    b->next = free_lists[c];
    free_lists[c] = b;
    cached_bytes += bytes;
    kept = true;
  }
  if (!kept) free(ptr);
}
