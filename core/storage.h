/* Refcounted flat memory on one device, allocated and freed through the
 * device's backend (backend.h). Tensors are strided views into it. */
#ifndef MIEN_STORAGE_H
#define MIEN_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

typedef struct mien_storage {
  void *data; /* device memory: only the backend reads or writes it */
  size_t nbytes;
  int refcount;
  mien_device device;
  const mien_backend *backend;
} mien_storage;

mien_storage *mien_storage_new(size_t nbytes, mien_device device); /* zero-filled */
/* Contents undefined: for callers that write every byte before reading. */
mien_storage *mien_storage_new_uninit(size_t nbytes, mien_device device);
void mien_storage_retain(mien_storage *s);
void mien_storage_release(mien_storage *s);

/* Bytes held by live storages on one device: the binding feeds it to Lua's GC. */
size_t mien_storage_bytes_in_use(mien_device device);

/* The CPU allocator's cache of large blocks (core/cpu/cache.h): bytes handed
 * out and parked, the most handed out at once, and requests served from the
 * cache (hits) or by mapping fresh memory (misses). */
typedef struct mien_cpu_memory_info {
  size_t allocated, cached, peak;
  uint64_t hits, misses;
} mien_cpu_memory_info;
void mien_cpu_memory(mien_cpu_memory_info *out);
/* Gives every parked block back to the system; returns the bytes released. */
size_t mien_cpu_empty_cache(void);

#endif
