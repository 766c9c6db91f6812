#define _POSIX_C_SOURCE 200809L

#include "safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "checked_size.h"
#include "error.h"

/* Tensor bytes go between memory and disk unchanged. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian and this host is not"
#endif

#define METADATA_KEY "__metadata__"
/* The reference implementation's limit: a larger header means a corrupt file. */
#define MAX_HEADER_BYTES 100000000u
/* JSON numbers are parsed as doubles, exact up to 2^53. */
#define MAX_JSON_INT 9007199254740992.0

/* ---- dtypes ---- */

static const struct {
  const char *name;
  size_t size;
} dtypes[] = {
    [MIEN_ST_F64] = {"F64", 8}, [MIEN_ST_F32] = {"F32", 4}, [MIEN_ST_F16] = {"F16", 2},
    [MIEN_ST_BF16] = {"BF16", 2}, [MIEN_ST_I64] = {"I64", 8}, [MIEN_ST_I32] = {"I32", 4},
    [MIEN_ST_I16] = {"I16", 2}, [MIEN_ST_I8] = {"I8", 1}, [MIEN_ST_U64] = {"U64", 8},
    [MIEN_ST_U32] = {"U32", 4}, [MIEN_ST_U16] = {"U16", 2}, [MIEN_ST_U8] = {"U8", 1},
    [MIEN_ST_BOOL] = {"BOOL", 1},
};

int mien_st_dtype_from_name(const char *name) {
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
    if (strcmp(dtypes[i].name, name) == 0) return (int)i;
  return -1;
}

const char *mien_st_dtype_name(mien_st_dtype dtype) { return dtypes[dtype].name; }

size_t mien_st_dtype_size(mien_st_dtype dtype) { return dtypes[dtype].size; }

float mien_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13); /* inf or nan */
  } else if (exponent != 0) {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else {
    /* zero or subnormal: mantissa * 2^-24, exact in float */
    float v = (float)mantissa * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

float mien_bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* ---- shared helpers ---- */

static void st_error(const char *path, const char *fmt, ...) MIEN_PRINTF(2, 3);

static void st_error(const char *path, const char *fmt, ...) {
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  mien_set_error("safetensors '%s': %s", path, msg);
}

/* product(shape) * elsize in *out; -1 for a negative size or overflow.
 * hardening: through core/checked_size.h (the caller writes the message). */
static int shape_bytes(int ndim, const int64_t *shape, size_t elsize, size_t *out) {
  return mien_checked_shape_bytes(ndim, shape, elsize, "safetensors", NULL, out);
}

/* "[3,4]" for error messages (cut short if it does not fit). */
static const char *format_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "", shape[i]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
  return buf;
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts names in place; returns a name that occurs twice, or NULL. */
static const char *find_duplicate(const char **names, size_t n) {
  if (n < 2) return NULL;
  qsort(names, n, sizeof *names, compare_strings);
  for (size_t i = 1; i < n; i++)
    if (strcmp(names[i - 1], names[i]) == 0) return names[i];
  return NULL;
}

/* ---- writing ---- */

typedef struct {
  char *buf;
  size_t len, cap;
  int failed; /* out of memory; later appends are ignored */
} strbuf;

static void sb_put(strbuf *sb, const char *s, size_t n) {
  if (sb->failed) return;
  if (sb->len + n > sb->cap) {
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + n) cap *= 2;
    char *grown = realloc(sb->buf, cap);
    if (!grown) {
      sb->failed = 1;
      return;
    }
    sb->buf = grown;
    sb->cap = cap;
  }
  memcpy(sb->buf + sb->len, s, n);
  sb->len += n;
}

static void sb_str(strbuf *sb, const char *s) { sb_put(sb, s, strlen(s)); }

static void sb_int(strbuf *sb, uint64_t v) {
  char digits[24];
  int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
  sb_put(sb, digits, (size_t)n);
}

static void sb_json_string(strbuf *sb, const char *s) {
  sb_put(sb, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char escaped[2] = {'\\', (char)c};
      sb_put(sb, escaped, 2);
    } else if (c < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", c);
      sb_put(sb, escaped, 6);
    } else {
      sb_put(sb, s, 1);
    }
  }
  sb_put(sb, "\"", 1);
}

static int check_entries(const char *path, int n, const mien_st_entry *entries, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta) {
  if (n < 0 || n_meta < 0) {
    st_error(path, "negative tensor (%d) or metadata (%d) count", n, n_meta);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    const mien_st_entry *e = &entries[i];
    char shape_text[128];
    size_t expected;
    if (!e->name) {
      st_error(path, "tensor %d has no name", i);
      return -1;
    }
    if (strcmp(e->name, METADATA_KEY) == 0) {
      st_error(path, "'" METADATA_KEY "' is reserved and cannot name a tensor");
      return -1;
    }
    int type = e->dtype ? mien_st_dtype_from_name(e->dtype) : -1;
    if (type < 0) {
      st_error(path, "tensor '%s': unknown dtype '%s'", e->name, e->dtype ? e->dtype : "(null)");
      return -1;
    }
    if (e->ndim < 0 || (e->ndim > 0 && !e->shape)) {
      st_error(path, "tensor '%s': invalid shape (ndim %d)", e->name, e->ndim);
      return -1;
    }
    format_shape(shape_text, sizeof shape_text, e->ndim, e->shape);
    if (shape_bytes(e->ndim, e->shape, dtypes[type].size, &expected) != 0) {
      st_error(path, "tensor '%s': invalid shape %s", e->name, shape_text);
      return -1;
    }
    if (e->nbytes != expected) {
      st_error(path, "tensor '%s': nbytes %zu do not match shape %s %s (%zu bytes)", e->name, e->nbytes,
               shape_text, dtypes[type].name, expected);
      return -1;
    }
    if (e->nbytes > 0 && !e->data) {
      st_error(path, "tensor '%s': no data", e->name);
      return -1;
    }
  }
  for (int i = 0; i < n_meta; i++) {
    if (!meta_keys[i] || !meta_values[i]) {
      st_error(path, "metadata entry %d has no %s", i, meta_keys[i] ? "value" : "key");
      return -1;
    }
  }

  const char **names = malloc((size_t)(n > n_meta ? n : n_meta) * sizeof *names + 1);
  if (!names) {
    st_error(path, "out of memory");
    return -1;
  }
  for (int i = 0; i < n; i++) names[i] = entries[i].name;
  const char *dup = find_duplicate(names, (size_t)n);
  if (dup) st_error(path, "duplicate tensor name '%s'", dup);
  if (!dup && n_meta > 0) {
    memcpy(names, meta_keys, (size_t)n_meta * sizeof *names);
    dup = find_duplicate(names, (size_t)n_meta);
    if (dup) st_error(path, "duplicate metadata key '%s'", dup);
  }
  free(names);
  return dup ? -1 : 0;
}

/* The JSON header, padded with spaces so that the data section (after the
 * 8-byte length and the header) starts 8-aligned in the file. */
static char *build_header(int n, const mien_st_entry *entries, const char *const *meta_keys,
                          const char *const *meta_values, int n_meta, size_t *len) {
  strbuf sb = {0};
  sb_str(&sb, "{");
  if (n_meta > 0) {
    sb_json_string(&sb, METADATA_KEY);
    sb_str(&sb, ":{");
    for (int i = 0; i < n_meta; i++) {
      if (i) sb_str(&sb, ",");
      sb_json_string(&sb, meta_keys[i]);
      sb_str(&sb, ":");
      sb_json_string(&sb, meta_values[i]);
    }
    sb_str(&sb, "}");
  }
  uint64_t offset = 0;
  for (int i = 0; i < n; i++) {
    const mien_st_entry *e = &entries[i];
    if (i || n_meta > 0) sb_str(&sb, ",");
    sb_json_string(&sb, e->name);
    sb_str(&sb, ":{\"dtype\":");
    sb_json_string(&sb, dtypes[mien_st_dtype_from_name(e->dtype)].name);
    sb_str(&sb, ",\"shape\":[");
    for (int d = 0; d < e->ndim; d++) {
      if (d) sb_str(&sb, ",");
      sb_int(&sb, (uint64_t)e->shape[d]);
    }
    sb_str(&sb, "],\"data_offsets\":[");
    sb_int(&sb, offset);
    sb_str(&sb, ",");
    offset += e->nbytes;
    sb_int(&sb, offset);
    sb_str(&sb, "]}");
  }
  sb_str(&sb, "}");
  while (sb.len % 8) sb_str(&sb, " ");
  if (sb.failed) {
    free(sb.buf);
    return NULL;
  }
  *len = sb.len;
  return sb.buf;
}

int mien_safetensors_write(const char *path, int n, const mien_st_entry *entries,
                           const char *const *meta_keys, const char *const *meta_values, int n_meta) {
  if (check_entries(path, n, entries, meta_keys, meta_values, n_meta) != 0) return -1;
  size_t header_len;
  char *header = build_header(n, entries, meta_keys, meta_values, n_meta, &header_len);
  if (!header) {
    st_error(path, "out of memory building the header");
    return -1;
  }
  unsigned char length_field[8];
  for (int k = 0; k < 8; k++) length_field[k] = (unsigned char)((uint64_t)header_len >> (8 * k));

  mien_atomic_file *f = mien_atomic_open(path);
  int rc = f ? 0 : -1;
  if (rc == 0) rc = mien_atomic_write(f, length_field, sizeof length_field);
  if (rc == 0) rc = mien_atomic_write(f, header, header_len);
  for (int i = 0; i < n && rc == 0; i++) rc = mien_atomic_write(f, entries[i].data, entries[i].nbytes);
  free(header);
  if (rc != 0) {
    mien_atomic_abort(f);
    return -1;
  }
  return mien_atomic_commit(f);
}

/* ---- reading ---- */

struct mien_safetensors {
  char *path;
  void *map;
  size_t map_size;
  const unsigned char *data; /* start of the data section */
  size_t data_size;
  cJSON *header;             /* owns the tensor names and metadata strings */
  const cJSON *meta;         /* the "__metadata__" object, or NULL */
  int count;
  mien_st_tensor *tensors;         /* header order */
  const mien_st_tensor **by_name;  /* sorted by name, for find */
  int64_t *dims;                   /* every tensor's shape, back to back */
};

/* A tensor's byte range in the data section, for the layout check. */
typedef struct {
  uint64_t begin, end;
  const mien_st_tensor *tensor;
} span;

static int map_file(mien_safetensors *st) {
  int fd = open(st->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    st_error(st->path, "cannot open: %s", strerror(errno));
    return -1;
  }
  struct stat sb;
  int rc = -1;
  if (fstat(fd, &sb) != 0) {
    st_error(st->path, "cannot stat: %s", strerror(errno));
  } else if (!S_ISREG(sb.st_mode)) {
    st_error(st->path, "not a regular file");
  } else if (sb.st_size < 8) {
    st_error(st->path, "file too short (%lld bytes) to hold the 8-byte header length", (long long)sb.st_size);
  } else {
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      st_error(st->path, "cannot map %lld bytes: %s", (long long)sb.st_size, strerror(errno));
    } else {
      st->map = map;
      st->map_size = (size_t)sb.st_size;
      rc = 0;
    }
  }
  close(fd);
  return rc;
}

static int parse_header(mien_safetensors *st) {
  const unsigned char *bytes = st->map;
  uint64_t header_len = 0;
  for (int k = 7; k >= 0; k--) header_len = header_len << 8 | bytes[k];
  uint64_t room = st->map_size - 8;
  if (header_len > room) {
    st_error(st->path, "header length %" PRIu64 " exceeds the %" PRIu64 " bytes after the length field",
             header_len, room);
    return -1;
  }
  if (header_len > MAX_HEADER_BYTES) {
    st_error(st->path, "header length %" PRIu64 " exceeds the limit of %u bytes", header_len, MAX_HEADER_BYTES);
    return -1;
  }
  st->data = bytes + 8 + header_len;
  st->data_size = (size_t)(room - header_len);

  /* cJSON gets a terminated copy, not the mapping. */
  size_t n = (size_t)header_len;
  char *text = malloc(n + 1);
  if (!text) {
    st_error(st->path, "out of memory reading the header");
    return -1;
  }
  memcpy(text, bytes + 8, n);
  text[n] = '\0';
  const char *end = text;
  st->header = cJSON_ParseWithLengthOpts(text, n, &end, 0);
  int rc = -1;
  if (!st->header) {
    st_error(st->path, "header is not valid JSON (error at byte %td of the header)", end - text);
  } else if (!cJSON_IsObject(st->header)) {
    st_error(st->path, "header is not a JSON object");
  } else {
    /* Padding after the object may only be whitespace. */
    while (end < text + n && *end && strchr(" \t\r\n", *end)) end++;
    if (end < text + n)
      st_error(st->path, "unexpected bytes after the header's JSON object (at byte %td)", end - text);
    else
      rc = 0;
  }
  free(text);
  return rc;
}

/* A JSON number that is a non-negative integer a double holds exactly. */
static int json_uint(const cJSON *item, uint64_t *out) {
  if (!cJSON_IsNumber(item)) return -1;
  double d = item->valuedouble;
  if (!(d >= 0 && d <= MAX_JSON_INT) || d != (double)(uint64_t)d) return -1;
  *out = (uint64_t)d;
  return 0;
}

static int read_tensor(mien_safetensors *st, const cJSON *item, mien_st_tensor *t, int64_t *dims, span *sp) {
  const char *path = st->path, *name = item->string;
  if (!cJSON_IsObject(item)) {
    st_error(path, "tensor '%s': entry is not a JSON object", name);
    return -1;
  }
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
  const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
  if (!dtype || !shape || !offsets) {
    st_error(path, "tensor '%s': missing %s", name, !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    return -1;
  }
  if (!cJSON_IsString(dtype)) {
    st_error(path, "tensor '%s': dtype is not a string", name);
    return -1;
  }
  int type = mien_st_dtype_from_name(dtype->valuestring);
  if (type < 0) {
    st_error(path, "tensor '%s': unknown dtype '%s'", name, dtype->valuestring);
    return -1;
  }
  if (!cJSON_IsArray(shape)) {
    st_error(path, "tensor '%s': shape is not an array", name);
    return -1;
  }
  int ndim = 0;
  const cJSON *dim;
  cJSON_ArrayForEach(dim, shape) {
    uint64_t size;
    if (json_uint(dim, &size) != 0) {
      st_error(path, "tensor '%s': shape[%d] is not a non-negative integer", name, ndim);
      return -1;
    }
    dims[ndim++] = (int64_t)size;
  }
  uint64_t begin, end;
  if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 || json_uint(offsets->child, &begin) != 0 ||
      json_uint(offsets->child->next, &end) != 0) {
    st_error(path, "tensor '%s': data_offsets is not [begin, end] with non-negative integers", name);
    return -1;
  }
  char shape_text[128];
  size_t nbytes;
  format_shape(shape_text, sizeof shape_text, ndim, dims);
  if (shape_bytes(ndim, dims, dtypes[type].size, &nbytes) != 0) {
    st_error(path, "tensor '%s': shape %s %s is too large", name, shape_text, dtypes[type].name);
    return -1;
  }
  if (begin > end || end - begin != nbytes) {
    st_error(path, "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] do not match shape %s %s (%zu bytes)",
             name, begin, end, shape_text, dtypes[type].name, nbytes);
    return -1;
  }
  if (end > st->data_size) {
    st_error(path, "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] run past the data section (%zu bytes)",
             name, begin, end, st->data_size);
    return -1;
  }
  *t = (mien_st_tensor){name, dtypes[type].name, (mien_st_dtype)type, ndim, dims, st->data + begin, nbytes};
  *sp = (span){begin, end, t};
  return 0;
}

static int check_metadata(mien_safetensors *st) {
  if (!st->meta) return 0;
  if (!cJSON_IsObject(st->meta)) {
    st_error(st->path, METADATA_KEY " is not a JSON object");
    return -1;
  }
  int n = cJSON_GetArraySize(st->meta);
  const char **keys = malloc((size_t)n * sizeof *keys + 1);
  if (!keys) {
    st_error(st->path, "out of memory");
    return -1;
  }
  int i = 0, rc = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, st->meta) {
    if (!cJSON_IsString(item)) {
      st_error(st->path, "metadata '%s' is not a string", item->string);
      rc = -1;
      break;
    }
    keys[i++] = item->string;
  }
  const char *dup = rc == 0 ? find_duplicate(keys, (size_t)n) : NULL;
  if (dup) {
    st_error(st->path, "duplicate metadata key '%s'", dup);
    rc = -1;
  }
  free(keys);
  return rc;
}

static int compare_tensor_names(const void *a, const void *b) {
  const mien_st_tensor *x = *(const mien_st_tensor *const *)a, *y = *(const mien_st_tensor *const *)b;
  return strcmp(x->name, y->name);
}

static int index_names(mien_safetensors *st) {
  st->by_name = malloc((size_t)st->count * sizeof *st->by_name + 1);
  if (!st->by_name) {
    st_error(st->path, "out of memory");
    return -1;
  }
  for (int i = 0; i < st->count; i++) st->by_name[i] = &st->tensors[i];
  if (st->count > 1) qsort(st->by_name, (size_t)st->count, sizeof *st->by_name, compare_tensor_names);
  for (int i = 1; i < st->count; i++) {
    if (strcmp(st->by_name[i - 1]->name, st->by_name[i]->name) == 0) {
      st_error(st->path, "duplicate tensor name '%s'", st->by_name[i]->name);
      return -1;
    }
  }
  return 0;
}

static int compare_spans(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

/* The tensors must tile the data section exactly, as the format requires. */
static int check_layout(mien_safetensors *st, span *spans) {
  if (st->count > 1) qsort(spans, (size_t)st->count, sizeof *spans, compare_spans);
  uint64_t covered = 0;
  for (int i = 0; i < st->count; i++) {
    const span *sp = &spans[i];
    if (sp->begin < covered) {
      const span *prev = &spans[i - 1];
      st_error(st->path,
               "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] overlap tensor '%s' [%" PRIu64 ", %" PRIu64 "]",
               sp->tensor->name, sp->begin, sp->end, prev->tensor->name, prev->begin, prev->end);
      return -1;
    }
    if (sp->begin > covered) {
      st_error(st->path, "bytes [%" PRIu64 ", %" PRIu64 ") of the data section belong to no tensor (gap before '%s')",
               covered, sp->begin, sp->tensor->name);
      return -1;
    }
    covered = sp->end;
  }
  if (covered != st->data_size) {
    st_error(st->path, "the data section has %zu bytes but the tensors end at byte %" PRIu64, st->data_size, covered);
    return -1;
  }
  return 0;
}

static int read_tensors(mien_safetensors *st) {
  size_t total_dims = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, st->header) {
    if (strcmp(item->string, METADATA_KEY) == 0) {
      if (st->meta) {
        st_error(st->path, "duplicate " METADATA_KEY);
        return -1;
      }
      st->meta = item;
      continue;
    }
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    if (cJSON_IsArray(shape)) total_dims += (size_t)cJSON_GetArraySize(shape);
    st->count++;
  }
  /* +1: never ask malloc for 0 bytes */
  st->tensors = malloc((size_t)st->count * sizeof *st->tensors + 1);
  st->dims = malloc(total_dims * sizeof *st->dims + 1);
  span *spans = malloc((size_t)st->count * sizeof *spans + 1);
  if (!st->tensors || !st->dims || !spans) {
    free(spans);
    st_error(st->path, "out of memory");
    return -1;
  }
  int i = 0, rc = 0;
  int64_t *dims = st->dims;
  cJSON_ArrayForEach(item, st->header) {
    if (item == st->meta) continue;
    rc = read_tensor(st, item, &st->tensors[i], dims, &spans[i]);
    if (rc != 0) break;
    dims += st->tensors[i++].ndim;
  }
  if (rc == 0) rc = index_names(st);
  if (rc == 0) rc = check_metadata(st);
  if (rc == 0) rc = check_layout(st, spans);
  free(spans);
  return rc;
}

mien_safetensors *mien_safetensors_open(const char *path) {
  mien_safetensors *st = calloc(1, sizeof *st);
  if (!st || !(st->path = strdup(path))) {
    free(st);
    st_error(path, "out of memory");
    return NULL;
  }
  if (map_file(st) != 0 || parse_header(st) != 0 || read_tensors(st) != 0) {
    mien_safetensors_close(st);
    return NULL;
  }
  return st;
}

void mien_safetensors_close(mien_safetensors *st) {
  if (!st) return;
  if (st->map) munmap(st->map, st->map_size);
  cJSON_Delete(st->header);
  free(st->tensors);
  free(st->by_name);
  free(st->dims);
  free(st->path);
  free(st);
}

int mien_safetensors_count(const mien_safetensors *st) { return st->count; }

const mien_st_tensor *mien_safetensors_get(const mien_safetensors *st, int i) {
  if (i < 0 || i >= st->count) {
    st_error(st->path, "tensor index %d out of range (%d tensors)", i, st->count);
    return NULL;
  }
  return &st->tensors[i];
}

const mien_st_tensor *mien_safetensors_find(const mien_safetensors *st, const char *name) {
  const mien_st_tensor key = {.name = name}, *key_ptr = &key;
  const mien_st_tensor **found =
      st->count ? bsearch(&key_ptr, st->by_name, (size_t)st->count, sizeof *st->by_name, compare_tensor_names) : NULL;
  if (!found) {
    st_error(st->path, "no tensor named '%s'", name);
    return NULL;
  }
  return *found;
}

int mien_safetensors_meta_count(const mien_safetensors *st) { return cJSON_GetArraySize(st->meta); }

const char *mien_safetensors_meta_key(const mien_safetensors *st, int i) {
  const cJSON *item = i >= 0 ? cJSON_GetArrayItem(st->meta, i) : NULL;
  if (!item) {
    st_error(st->path, "metadata index %d out of range (%d entries)", i, mien_safetensors_meta_count(st));
    return NULL;
  }
  return item->string;
}

const char *mien_safetensors_meta(const mien_safetensors *st, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(st->meta, key);
  return item ? item->valuestring : NULL;
}
