#include "storage.h"

#include <stdlib.h>

#include "cpu_cache.h"
#include "error.h"

static void *cpu_alloc(size_t nbytes) { return mien_cpu_alloc(nbytes, true); }
static void cpu_free(void *p, size_t nbytes) { mien_cpu_free(p, nbytes); }

static const mien_device_allocator cpu_allocator = {cpu_alloc, cpu_free};
static const mien_device_allocator *allocators[MIEN_NUM_DEVICES] = {&cpu_allocator, NULL};
static size_t bytes_in_use[MIEN_NUM_DEVICES];

void mien_register_allocator(int device, const mien_device_allocator *a) { allocators[device] = a; }

int mien_device_available(int device) {
  return device >= 0 && device < MIEN_NUM_DEVICES && allocators[device] != NULL;
}

const char *mien_device_name(int device) { return device == MIEN_CUDA ? "cuda" : "cpu"; }

/* A storage whose CPU memory is zero-filled only when `zero`. */
static mien_storage *storage_new(size_t nbytes, int device, bool zero) {
  if (!mien_device_available(device)) {
    mien_set_error("device '%s' is not available in this build", mien_device_name(device));
    return NULL;
  }
  mien_storage *s = malloc(sizeof *s);
  if (!s) {
    mien_set_error("out of memory allocating a storage header");
    return NULL;
  }
  const bool default_cpu = allocators[device] == &cpu_allocator;
  s->data = default_cpu ? mien_cpu_alloc(nbytes, zero) : allocators[device]->alloc(nbytes);
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

mien_storage *mien_storage_new(size_t nbytes, int device) { return storage_new(nbytes, device, true); }
mien_storage *mien_storage_new_uninit(size_t nbytes, int device) { return storage_new(nbytes, device, false); }

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
