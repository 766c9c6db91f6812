#include "caching_alloc.h"

#include <stdio.h>
#include <stdlib.h>

#define SMALL_STEP ((size_t)512)
#define SMALL_MAX ((size_t)1 << 20)
#define LARGE_STEP ((size_t)2 << 20)

typedef struct block {
  void *ptr;
  size_t size;      /* bucket size */
  size_t requested; /* what the caller asked for */
  void *stream;
  int live;
  struct block *next_free; /* in the free list while cached */
} block;

struct mien_caching_alloc {
  mien_device_memory device;
  block **table; /* open addressing on ptr: every block ever taken from the device */
  size_t capacity, count;
  block *free_list;
  mien_memory_stats stats;
};

size_t mien_caching_alloc_bucket(size_t nbytes) {
  if (nbytes == 0) return SMALL_STEP;
  if (nbytes <= SMALL_MAX) return (nbytes + SMALL_STEP - 1) / SMALL_STEP * SMALL_STEP;
  if (nbytes > SIZE_MAX - LARGE_STEP) return 0; /* cannot be rounded: too large */
  return (nbytes + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
}

static size_t slot_of(const mien_caching_alloc *a, const void *ptr) {
  uintptr_t h = (uintptr_t)ptr;
  h ^= h >> 17;
  h *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 7) & (a->capacity - 1);
}

static block **find(const mien_caching_alloc *a, const void *ptr) {
  for (size_t s = slot_of(a, ptr);; s = (s + 1) & (a->capacity - 1))
    if (!a->table[s] || a->table[s]->ptr == ptr) return &a->table[s];
}

static int grow(mien_caching_alloc *a) {
  block **old = a->table;
  const size_t old_cap = a->capacity;
  a->capacity = old_cap ? old_cap * 2 : 64;
  a->table = calloc(a->capacity, sizeof *a->table);
  if (!a->table) {
    a->table = old, a->capacity = old_cap;
    return -1;
  }
  for (size_t s = 0; s < old_cap; s++)
    if (old[s]) *find(a, old[s]->ptr) = old[s];
  free(old);
  return 0;
}

/* Removes b from the table, keeping the probe chains whole. */
static void unlink_block(mien_caching_alloc *a, block *b) {
  size_t s = (size_t)(find(a, b->ptr) - a->table);
  a->table[s] = NULL;
  for (size_t t = (s + 1) & (a->capacity - 1); a->table[t]; t = (t + 1) & (a->capacity - 1)) {
    block *moved = a->table[t];
    a->table[t] = NULL;
    *find(a, moved->ptr) = moved;
  }
  a->count--;
}

mien_caching_alloc *mien_caching_alloc_new(mien_device_memory device) {
  mien_caching_alloc *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->device = device;
  if (grow(a) != 0) {
    free(a);
    return NULL;
  }
  return a;
}

size_t mien_caching_alloc_empty_cache(mien_caching_alloc *a) {
  size_t freed = 0;
  for (block *b = a->free_list, *next; b; b = next) {
    next = b->next_free;
    unlink_block(a, b);
    a->device.free(a->device.ctx, b->ptr);
    a->stats.reserved -= b->size;
    freed += b->size;
    free(b);
  }
  a->free_list = NULL;
  return freed;
}

void mien_caching_alloc_destroy(mien_caching_alloc *a) {
  if (!a) return;
  mien_caching_alloc_empty_cache(a);
  for (size_t s = 0; s < a->capacity; s++)
    if (a->table[s]) {
      a->device.free(a->device.ctx, a->table[s]->ptr);
      free(a->table[s]);
    }
  free(a->table);
  free(a);
}

static void take(mien_caching_alloc *a, block *b, size_t nbytes, void *stream) {
  b->live = 1;
  b->requested = nbytes;
  b->stream = stream;
  a->stats.allocated += b->size;
  a->stats.requested += nbytes;
  if (a->stats.allocated > a->stats.peak_allocated) a->stats.peak_allocated = a->stats.allocated;
}

void *mien_caching_alloc_get(mien_caching_alloc *a, size_t nbytes, void *stream, char *err, size_t errlen) {
  const size_t size = mien_caching_alloc_bucket(nbytes);
  if (size == 0) {
    snprintf(err, errlen, "out of memory: asked for %zu bytes, more than can be addressed", nbytes);
    return NULL;
  }
  for (block **p = &a->free_list; *p; p = &(*p)->next_free)
    if ((*p)->size == size && (*p)->stream == stream) {
      block *b = *p;
      *p = b->next_free;
      take(a, b, nbytes, stream);
      return b->ptr;
    }
  if ((a->count + 1) * 2 > a->capacity && grow(a) != 0) {
    snprintf(err, errlen, "out of host memory for the allocator's table");
    return NULL;
  }
  block *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, errlen, "out of host memory for the allocator's table");
    return NULL;
  }
  a->stats.device_allocs++;
  const size_t cached = a->stats.reserved - a->stats.allocated;
  b->ptr = a->device.alloc(a->device.ctx, size);
  if (!b->ptr && mien_caching_alloc_empty_cache(a) > 0) b->ptr = a->device.alloc(a->device.ctx, size);
  if (!b->ptr) {
    snprintf(err, errlen,
             "out of memory: asked for %zu bytes (%.1f MiB) while %zu bytes (%.1f MiB) are held by live tensors "
             "(%zu cached bytes were released and the request retried)",
             nbytes, nbytes / 1048576.0, a->stats.allocated, a->stats.allocated / 1048576.0, cached);
    free(b);
    return NULL;
  }
  b->size = size;
  *find(a, b->ptr) = b;
  a->count++;
  a->stats.reserved += size;
  take(a, b, nbytes, stream);
  return b->ptr;
}

int mien_caching_alloc_put(mien_caching_alloc *a, void *ptr) {
  if (!ptr) return 0;
  block *b = *find(a, ptr);
  if (!b || !b->live) return -1;
  b->live = 0;
  a->stats.allocated -= b->size;
  a->stats.requested -= b->requested;
  b->next_free = a->free_list;
  a->free_list = b;
  return 0;
}

void mien_caching_alloc_stats(const mien_caching_alloc *a, mien_memory_stats *out) { *out = a->stats; }

void mien_caching_alloc_reset_peak(mien_caching_alloc *a) { a->stats.peak_allocated = a->stats.allocated; }
