#define _GNU_SOURCE /* MAP_ANONYMOUS, madvise */
#include "cpu/cache.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MALLOCLIKE_BLOCK
#define VALGRIND_MALLOCLIKE_BLOCK(addr, size, rz, zeroed) ((void)0)
#define VALGRIND_FREELIKE_BLOCK(addr, rz) ((void)0)
#endif

/* Under AddressSanitizer every request goes to malloc, so overruns and
 * use-after-free are still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CACHE_ENABLED 0
#endif
#endif
#ifndef CACHE_ENABLED
#define CACHE_ENABLED 1
#endif

/* Requests from this size are mapped and cached here; smaller ones go to
 * malloc, whose heap recycles them well. */
#define CACHE_MIN_BYTES ((size_t)256 << 10)
/* Blocks from this size are 2 MB aligned and asked to be backed by huge
 * pages: one fault per 2 MB on first touch, and fewer TLB misses. */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN_BYTES ((size_t)4 << 20)
/* The cache keeps at most max(this, the most ever handed out at once);
 * blocks freed beyond it are unmapped. */
#define CACHE_FLOOR_BYTES ((size_t)256 << 20)
/* Four classes per power of two (1, 1.25, 1.5 and 1.75 times 2^e), so a
 * block is at most a quarter larger than the request it serves. */
#define CACHE_CLASSES (4 * 64)

/* A parked block. The links live outside the block, so a parked block is
 * free memory as far as valgrind can tell. Each parked block is on its
 * class's list and on the list of all parked blocks by age, whose oldest
 * go back to the system when the cache is over its limit: blocks of sizes
 * that a run no longer asks for (start-up, a finished evaluation) leave,
 * and the sizes of every training step stay. */
typedef struct parked {
  void *block;
  size_t bytes;
  int cls;
  struct parked *next;          /* class list */
  struct parked *older, *newer; /* age list */
} parked;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static parked *free_lists[CACHE_CLASSES]; /* most recently freed first: warm in cache */
static parked *newest, *oldest;            /* the age list's ends */
static size_t cached_bytes, live_bytes, peak_bytes;
static uint64_t hits, misses;

/* Blocks below CACHE_MIN_BYTES come from glibc's heap (raise its mmap
 * threshold to its maximum so it does not map them fresh on every malloc),
 * and freed heap memory is not handed back to the kernel. */
static void keep_small_blocks_in_heap(void) {
  static int done;
  if (__atomic_load_n(&done, __ATOMIC_ACQUIRE)) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

/* Takes n off the age list (with the lock held). */
static void age_unlink(parked *n) {
  if (n->older) n->older->newer = n->newer;
  else oldest = n->newer;
  if (n->newer) n->newer->older = n->older;
  else newest = n->older;
}

/* The class of an nbytes >= CACHE_MIN_BYTES request and its block size. */
static int class_of(size_t nbytes, size_t *block_bytes) {
  const int e = 63 - __builtin_clzll((unsigned long long)(nbytes - 1)); /* 2^e < nbytes <= 2^(e+1) */
  const size_t base = (size_t)1 << e, step = base >> 2;
  const size_t q = (nbytes - base + step - 1) / step; /* 1 .. 4 */
  size_t bytes = base + q * step;
  if (bytes >= HUGE_MIN_BYTES) bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  *block_bytes = bytes;
  return 4 * e + (int)q - 1;
}

/* A fresh zero-filled mapping of `bytes`, 2 MB aligned when huge. */
static void *map_block(size_t bytes) {
  const size_t align = bytes >= HUGE_MIN_BYTES ? HUGE_PAGE : 0;
  char *p = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (!align) return p;
  const size_t head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
  if (head) munmap(p, head);
  if (align - head) munmap(p + head + bytes, align - head);
  p += head;
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

void *mien_cpu_alloc(size_t nbytes, bool zero) {
  if (!CACHE_ENABLED || nbytes < CACHE_MIN_BYTES) {
    keep_small_blocks_in_heap();
    return zero ? calloc(1, nbytes ? nbytes : 1) : malloc(nbytes ? nbytes : 1);
  }
  size_t bytes;
  const int c = class_of(nbytes, &bytes);
  if (bytes < nbytes) return NULL; /* rounding overflowed: no such block */
  parked *node;
  pthread_mutex_lock(&lock);
  node = free_lists[c];
  if (node) {
    free_lists[c] = node->next;
    age_unlink(node);
    cached_bytes -= bytes;
    hits++;
  } else {
    misses++;
  }
  live_bytes += bytes;
  if (live_bytes > peak_bytes) peak_bytes = live_bytes;
  pthread_mutex_unlock(&lock);
  void *b;
  if (node) {
    b = node->block;
    free(node);
    VALGRIND_MALLOCLIKE_BLOCK(b, nbytes, 0, 0);
    if (zero) memset(b, 0, nbytes);
  } else {
    b = map_block(bytes); /* fresh pages are zero already */
    if (!b) {
      pthread_mutex_lock(&lock);
      live_bytes -= bytes;
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    VALGRIND_MALLOCLIKE_BLOCK(b, nbytes, 0, 1);
  }
  return b;
}

void mien_cpu_free(void *ptr, size_t nbytes) {
  if (!ptr) return;
  if (!CACHE_ENABLED || nbytes < CACHE_MIN_BYTES) {
    free(ptr);
    return;
  }
  size_t bytes;
  const int c = class_of(nbytes, &bytes);
  VALGRIND_FREELIKE_BLOCK(ptr, 0);
  parked *node = malloc(sizeof *node), *evicted = NULL;
  if (!node) {
    pthread_mutex_lock(&lock);
    live_bytes -= bytes;
    pthread_mutex_unlock(&lock);
    munmap(ptr, bytes);
    return;
  }
  *node = (parked){.block = ptr, .bytes = bytes, .cls = c};
  pthread_mutex_lock(&lock);
  live_bytes -= bytes;
  node->next = free_lists[c];
  free_lists[c] = node;
  node->older = newest;
  if (newest) newest->newer = node;
  else oldest = node;
  newest = node;
  cached_bytes += bytes;
  const size_t limit = 2 * peak_bytes > CACHE_FLOOR_BYTES ? 2 * peak_bytes : CACHE_FLOOR_BYTES;
  while (cached_bytes > limit) { /* the oldest parked blocks go, onto `evicted` */
    parked *victim = oldest, **link = &free_lists[victim->cls];
    while (*link != victim) link = &(*link)->next;
    *link = victim->next;
    age_unlink(victim);
    cached_bytes -= victim->bytes;
    victim->next = evicted;
    evicted = victim;
  }
  pthread_mutex_unlock(&lock);
  while (evicted) {
    parked *next = evicted->next;
    munmap(evicted->block, evicted->bytes);
    free(evicted);
    evicted = next;
  }
}

bool mien_cpu_cache_enabled(void) { return CACHE_ENABLED; }

size_t mien_cpu_cache_release(void) {
  parked *lists[CACHE_CLASSES];
  size_t released;
  pthread_mutex_lock(&lock);
  memcpy(lists, free_lists, sizeof lists);
  memset(free_lists, 0, sizeof free_lists);
  newest = oldest = NULL;
  released = cached_bytes;
  cached_bytes = 0;
  pthread_mutex_unlock(&lock);
  for (int c = 0; c < CACHE_CLASSES; c++) {
    for (parked *n = lists[c], *next; n; n = next) {
      next = n->next;
      munmap(n->block, n->bytes);
      free(n);
    }
  }
  return released;
}

void mien_cpu_cache_stats(mien_cpu_memory_info *out) {
  pthread_mutex_lock(&lock);
  out->allocated = live_bytes;
  out->cached = cached_bytes;
  out->peak = peak_bytes;
  out->hits = hits;
  out->misses = misses;
  pthread_mutex_unlock(&lock);
}

