/* A stream-ordered caching allocator over a device allocator (cudaMalloc on
 * the GPU, a fake in the tests). Sizes are rounded to buckets (512 B steps
 * up to 1 MiB, then 2 MiB steps); a freed block goes to its stream's free
 * list and is reused by a later request of the same bucket on that stream,
 * so no synchronisation is needed (kernels on one stream run in order). When
 * the device refuses, the cache is emptied and the request tried once more;
 * if it still fails the error says how much was asked for and how much is
 * held. Pure C, no CUDA: not thread-safe (the backend holds one lock). */
#ifndef MIEN_CACHING_ALLOC_H
#define MIEN_CACHING_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mien_device_memory {
  void *(*alloc)(void *ctx, size_t nbytes); /* NULL when the device is out of memory */
  void (*free)(void *ctx, void *ptr);
  void *ctx;
} mien_device_memory;

typedef struct mien_memory_stats {
  size_t allocated;      /* bytes in blocks handed out (bucket sizes) */
  size_t reserved;       /* bytes taken from the device: handed out + cached */
  size_t peak_allocated; /* highest allocated since creation or the last reset */
  size_t requested;      /* bytes asked for by live blocks (before rounding) */
  int64_t device_allocs; /* calls to the device allocator so far */
} mien_memory_stats;

typedef struct mien_caching_alloc mien_caching_alloc;

mien_caching_alloc *mien_caching_alloc_new(mien_device_memory device);
/* Frees every cached block; live blocks are the caller's bug and are freed too. */
void mien_caching_alloc_destroy(mien_caching_alloc *a);
/* NULL with the reason in err (e.g. "out of memory on cuda:0: asked for ...")
 * when even an emptied cache cannot get the memory. nbytes 0 gives a
 * distinct non-NULL block of the smallest bucket. */
void *mien_caching_alloc_get(mien_caching_alloc *a, size_t nbytes, void *stream, char *err, size_t errlen);
/* Returns a block to its stream's cache; -1 if ptr is not a live block. */
int mien_caching_alloc_put(mien_caching_alloc *a, void *ptr);
void mien_caching_alloc_stats(const mien_caching_alloc *a, mien_memory_stats *out);
void mien_caching_alloc_reset_peak(mien_caching_alloc *a);
/* Gives every cached (unused) block back to the device; returns the bytes freed. */
size_t mien_caching_alloc_empty_cache(mien_caching_alloc *a);
/* The bucket a request of nbytes is rounded to. */
size_t mien_caching_alloc_bucket(size_t nbytes);

#ifdef __cplusplus
}
#endif

#endif
