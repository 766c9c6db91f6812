#include "storage.h"

#include <malloc.h>
#include <stdlib.h>

#include "error.h"

/* Training allocates and frees the same large activation buffers every step.
 * glibc would hand each one back to the kernel (mmap/munmap) and fault its
 * pages in again next time; keeping them in the heap makes reuse cheap. */
static void keep_large_blocks_in_heap(void) {
  static int done;
  if (done) return;
  done = 1;
  mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

static void *cpu_alloc(size_t nbytes) {
  keep_large_blocks_in_heap();
  return calloc(1, nbytes ? nbytes : 1);
}
static void cpu_free(void *p, size_t nbytes) {
  (void)nbytes;
  free(p);
}

static const mien_device_allocator cpu_allocator = {cpu_alloc, cpu_free};
static const mien_device_allocator *allocators[MIEN_NUM_DEVICES] = {&cpu_allocator, NULL};
static size_t bytes_in_use[MIEN_NUM_DEVICES];

void mien_register_allocator(int device, const mien_device_allocator *a) { allocators[device] = a; }

int mien_device_available(int device) {
  return device >= 0 && device < MIEN_NUM_DEVICES && allocators[device] != NULL;
}

const char *mien_device_name(int device) { return device == MIEN_CUDA ? "cuda" : "cpu"; }

mien_storage *mien_storage_new(size_t nbytes, int device) {
  if (!mien_device_available(device)) {
    mien_set_error("device '%s' is not available in this build", mien_device_name(device));
    return NULL;
  }
  mien_storage *s = malloc(sizeof *s);
  if (!s) {
    mien_set_error("out of memory allocating a storage header");
    return NULL;
  }
  s->data = allocators[device]->alloc(nbytes);
  if (!s->data) {
    free(s);
    mien_set_error("out of memory: cannot allocate %zu bytes on %s (%zu bytes in use)", nbytes,
                   mien_device_name(device), bytes_in_use[device]);
    return NULL;
  }
  s->nbytes = nbytes;
  s->refcount = 1;
  s->device = device;
#pragma omp atomic
  bytes_in_use[device] += nbytes;
  return s;
}

void mien_storage_retain(mien_storage *s) {
#pragma omp atomic
  s->refcount++;
}

void mien_storage_release(mien_storage *s) {
  if (!s) return;
  int left;
#pragma omp atomic capture
  left = --s->refcount;
  if (left > 0) return;
  allocators[s->device]->free(s->data, s->nbytes);
#pragma omp atomic
  bytes_in_use[s->device] -= s->nbytes;
  free(s);
}

size_t mien_storage_bytes_in_use(int device) { return bytes_in_use[device]; }
