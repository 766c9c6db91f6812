/* The registry of backends, one per device type, and device names. */
#include "backend.h"
#include "cuda_loader.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/kernels.h"
#include "error.h"

static mien_backend *backends[MIEN_NUM_DEVICE_TYPES];

static int host_error(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  mien_set_error("%s", msg);
  return -1;
}

static const mien_backend_host host = {host_error};

const char *mien_device_type_name(mien_device_type type) {
  static const char *const names[MIEN_NUM_DEVICE_TYPES] = {"cpu", "cuda"};
  return type >= 0 && type < MIEN_NUM_DEVICE_TYPES ? names[type] : "unknown";
}

const char *mien_device_str(mien_device d, char *buf, size_t n) {
  if (mien_device_type_of(d) == MIEN_DEVICE_CPU) snprintf(buf, n, "cpu");
  else snprintf(buf, n, "%s:%d", mien_device_type_name(mien_device_type_of(d)), mien_device_index(d));
  return buf;
}

int mien_device_parse(const char *text, mien_device *out) {
  for (int type = 0; type < MIEN_NUM_DEVICE_TYPES; type++) {
    const char *name = mien_device_type_name((mien_device_type)type);
    size_t len = strlen(name);
    if (strncmp(text, name, len) != 0) continue;
    const char *rest = text + len;
    if (*rest == '\0') {
      *out = mien_device_make((mien_device_type)type, 0);
      return 0;
    }
    if (*rest != ':' || type == MIEN_DEVICE_CPU) break;
    char *end;
    long index = strtol(rest + 1, &end, 10);
    if (end == rest + 1 || *end != '\0' || index < 0 || index > 0xffff) break;
    *out = mien_device_make((mien_device_type)type, (int)index);
    return 0;
  }
  mien_set_error("unknown device '%s' (expected \"cpu\", \"cuda\" or \"cuda:N\")", text);
  return -1;
}

int mien_backend_register(mien_backend *b) {
  if (!b || b->type < 0 || b->type >= MIEN_NUM_DEVICE_TYPES) {
    mien_set_error("backend_register: unknown device type");
    return -1;
  }
  if (!b->alloc || !b->free || !b->copy_to_host || !b->copy_from_host) {
    mien_set_error("backend_register: the %s backend lacks a memory entry (alloc, free, copy_to_host, copy_from_host)",
                   b->name ? b->name : "unnamed");
    return -1;
  }
  b->host = &host;
  backends[b->type] = b;
  return 0;
}

/* The built-in backends register on the first lookup. */
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static void register_builtin(void) { mien_cpu_backend_register(); }

const mien_backend *mien_backend_for(mien_device d) {
  pthread_once(&builtin_once, register_builtin);
  const mien_device_type type = mien_device_type_of(d);
  const int index = mien_device_index(d);
  const mien_backend *b = type < MIEN_NUM_DEVICE_TYPES ? backends[type] : NULL;
  char name[32];
  if (!b && type == MIEN_DEVICE_CUDA) {
    /* the CUDA backend is a library loaded (and registered) on first use */
    if (mien_cuda_load() != 0) {
      mien_set_error("device %s is not available: %s", mien_device_str(d, name, sizeof name), mien_cuda_why());
      return NULL;
    }
    b = backends[type];
  }
  if (!b) {
    mien_set_error("device %s is not available: no %s backend in this build", mien_device_str(d, name, sizeof name),
                   mien_device_type_name(type));
    return NULL;
  }
  if (index < 0 || index >= b->device_count) {
    mien_set_error("device %s is not available: the %s backend has %d device%s", mien_device_str(d, name, sizeof name),
                   b->name, b->device_count, b->device_count == 1 ? "" : "s");
    return NULL;
  }
  if (b->set_device && b->set_device(index) != 0) return NULL;
  return b;
}

int mien_backend_count(void) {
  pthread_once(&builtin_once, register_builtin);
  int n = 0;
  for (int t = 0; t < MIEN_NUM_DEVICE_TYPES; t++) n += backends[t] != NULL;
  return n;
}

const mien_backend *mien_backend_at(int i) {
  pthread_once(&builtin_once, register_builtin);
  for (int t = 0; t < MIEN_NUM_DEVICE_TYPES; t++)
    if (backends[t] && i-- == 0) return backends[t];
  return NULL;
}

const mien_backend *mien_backend_need(mien_device d, size_t entry, const char *op) {
  const mien_backend *b = mien_backend_for(d);
  if (!b) return NULL;
  void (*fn)(void);
  memcpy(&fn, (const char *)b + entry, sizeof fn);
  if (!fn) {
    char name[32];
    mien_set_error("%s: not available on %s", op, mien_device_str(d, name, sizeof name));
    return NULL;
  }
  return b;
}
