#include "storage.h"

#include <stdlib.h>

#include "error.h"

/* Per device type and index; indices past the table share its last slot. */
#define MAX_INDEX 16
static size_t bytes_in_use[MIEN_NUM_DEVICE_TYPES][MAX_INDEX];

static size_t *counter(mien_device d) {
  int i = mien_device_index(d);
  return &bytes_in_use[mien_device_type_of(d)][i < MAX_INDEX ? i : MAX_INDEX - 1];
}

static mien_storage *storage_new(size_t nbytes, mien_device device, bool zero) {
  const mien_backend *b = mien_backend_for(device);
  if (!b) return NULL;
  mien_storage *s = malloc(sizeof *s);
  if (!s) {
    mien_set_error("out of memory allocating a storage header");
    return NULL;
  }
  s->data = b->alloc(nbytes, zero);
  if (!s->data) {
    free(s);
    char name[32];
    mien_set_error("out of memory: cannot allocate %zu bytes on %s (%zu bytes in use)", nbytes,
                   mien_device_str(device, name, sizeof name), *counter(device));
    return NULL;
  }
  s->nbytes = nbytes;
  s->refcount = 1;
  s->device = device;
  s->backend = b;
  __atomic_fetch_add(counter(device), nbytes, __ATOMIC_RELAXED);
  return s;
}

mien_storage *mien_storage_new(size_t nbytes, mien_device device) { return storage_new(nbytes, device, true); }
mien_storage *mien_storage_new_uninit(size_t nbytes, mien_device device) { return storage_new(nbytes, device, false); }

void mien_storage_retain(mien_storage *s) { __atomic_fetch_add(&s->refcount, 1, __ATOMIC_RELAXED); }

void mien_storage_release(mien_storage *s) {
  if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  if (s->backend->set_device) s->backend->set_device(mien_device_index(s->device));
  s->backend->free(s->data, s->nbytes);
  __atomic_fetch_sub(counter(s->device), s->nbytes, __ATOMIC_RELAXED);
  free(s);
}

size_t mien_storage_bytes_in_use(mien_device device) {
  if (mien_device_type_of(device) >= MIEN_NUM_DEVICE_TYPES || mien_device_index(device) < 0) return 0;
  return *counter(device);
}
