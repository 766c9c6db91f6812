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

#endif
