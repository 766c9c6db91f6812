/* Refcounted flat memory on one device. Tensors are strided views into it. */
#ifndef MIEN_STORAGE_H
#define MIEN_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MIEN_CPU = 0, MIEN_CUDA = 1, MIEN_NUM_DEVICES = 2 };

/* What a device backend provides; the CUDA backend registers its own. */
typedef struct mien_device_allocator {
  void *(*alloc)(size_t nbytes);
  void (*free)(void *ptr, size_t nbytes);
} mien_device_allocator;

typedef struct mien_storage {
  void *data;
  size_t nbytes;
  int refcount;
  int device;
} mien_storage;

void mien_register_allocator(int device, const mien_device_allocator *a);
int mien_device_available(int device);
const char *mien_device_name(int device);

mien_storage *mien_storage_new(size_t nbytes, int device); /* zero-filled on CPU */
/* Contents undefined: for callers that write every byte before reading. */
mien_storage *mien_storage_new_uninit(size_t nbytes, int device);
void mien_storage_retain(mien_storage *s);
void mien_storage_release(mien_storage *s);

/* Bytes held by live storages, per device: the binding feeds it to Lua's GC. */
size_t mien_storage_bytes_in_use(int device);

#endif
