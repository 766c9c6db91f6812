/* The safetensors format (Hugging Face) on raw buffers. A file is an 8-byte
 * little-endian header length N, N bytes of JSON (padded with spaces)
 *   {"__metadata__": {"key": "value", ...},
 *    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 * then the data section: every tensor's little-endian bytes, back to back,
 * with offsets relative to the start of the section. The Lua binding turns
 * these buffers into tensors. */
#ifndef MIEN_IO_SAFETENSORS_H
#define MIEN_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef enum mien_st_dtype {
  MIEN_ST_F64,
  MIEN_ST_F32,
  MIEN_ST_F16,
  MIEN_ST_BF16,
  MIEN_ST_I64,
  MIEN_ST_I32,
  MIEN_ST_I16,
  MIEN_ST_I8,
  MIEN_ST_U64,
  MIEN_ST_U32,
  MIEN_ST_U16,
  MIEN_ST_U8,
  MIEN_ST_BOOL
} mien_st_dtype;

/* "F32" -> MIEN_ST_F32; -1 (and no error set) for a name not listed above. */
int mien_st_dtype_from_name(const char *name);
const char *mien_st_dtype_name(mien_st_dtype dtype);
size_t mien_st_dtype_size(mien_st_dtype dtype);

/* Half-precision element -> float, for importers. */
float mien_f16_to_f32(uint16_t h);
float mien_bf16_to_f32(uint16_t h);

/* ---- writing ---- */

typedef struct mien_st_entry {
  const char *name;
  const char *dtype;     /* "F32", "F64", "I64", "U8", ... */
  int ndim;              /* 0 for a scalar */
  const int64_t *shape;  /* ndim sizes; may be NULL when ndim is 0 */
  const void *data;      /* nbytes contiguous bytes in host (little-endian) order */
  size_t nbytes;         /* must equal product(shape) * dtype size */
} mien_st_entry;

/* Write n tensors, in the given order, and n_meta metadata strings to path,
 * atomically (the old file survives any error). Names must be unique and not
 * "__metadata__"; metadata keys must be unique. Names and strings should be
 * UTF-8, as JSON requires. */
int mien_safetensors_write(const char *path, int n, const mien_st_entry *entries,
                           const char *const *meta_keys, const char *const *meta_values, int n_meta);

/* ---- reading ---- */

typedef struct mien_st_tensor {
  const char *name;
  const char *dtype;     /* canonical name: "F32", "BF16", ... */
  mien_st_dtype type;
  int ndim;
  const int64_t *shape;
  /* Read-only view into the mapped file, valid until close. Its alignment is
   * whatever the file's layout gives it (mien's writer aligns the data section
   * to 8 but not each tensor), so copy out with memcpy. */
  const void *data;
  size_t nbytes;
} mien_st_tensor;

typedef struct mien_safetensors mien_safetensors;

/* Map the file read-only and validate the whole header: every tensor's dtype,
 * shape and data_offsets, and that the tensors tile the data section exactly
 * (no overlap, gap or trailing bytes). NULL on error. */
mien_safetensors *mien_safetensors_open(const char *path);
void mien_safetensors_close(mien_safetensors *st);

/* Tensors in header order. get/find set an error when they return NULL. */
int mien_safetensors_count(const mien_safetensors *st);
const mien_st_tensor *mien_safetensors_get(const mien_safetensors *st, int i);
const mien_st_tensor *mien_safetensors_find(const mien_safetensors *st, const char *name);

/* Metadata strings; a missing key gives NULL without an error. */
int mien_safetensors_meta_count(const mien_safetensors *st);
const char *mien_safetensors_meta_key(const mien_safetensors *st, int i);
const char *mien_safetensors_meta(const mien_safetensors *st, const char *key);

#endif
