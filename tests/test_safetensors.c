/* safetensors: writer/reader round trips, the on-disk layout, a file built by
 * hand, and one error per kind of corruption. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "io/safetensors.h"

/* A file from its parts: 8-byte little-endian length, header, data. */
static void write_st(const char *path, const char *header, const void *data, size_t data_len) {
  size_t header_len = strlen(header);
  unsigned char *bytes = malloc(8 + header_len + data_len);
  for (int k = 0; k < 8; k++) bytes[k] = (unsigned char)((uint64_t)header_len >> (8 * k));
  memcpy(bytes + 8, header, header_len);
  if (data_len) memcpy(bytes + 8 + header_len, data, data_len);
  write_bytes(path, bytes, 8 + header_len + data_len);
  free(bytes);
}

static int same_shape(const mien_st_tensor *t, const mien_st_entry *e) {
  if (t->ndim != e->ndim) return 0;
  for (int d = 0; d < e->ndim; d++)
    if (t->shape[d] != e->shape[d]) return 0;
  return 1;
}

/* ---- writer and reader ---- */

static const float f32_a[6] = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e30f};
static const float f32_b[3] = {7.0f, 8.0f, 9.0f};
static const float f32_scalar = 42.5f;
static const double f64_a[4] = {3.141592653589793, -1e-300, 1e300, 0.1};
static const double f64_b[2] = {2.0, -3.0};
static const double f64_scalar = -0.5;
static const int64_t i64_a[4] = {INT64_MIN, -1, 0, INT64_MAX};
static const int64_t i64_b[3] = {1, 2, 3};
static const int64_t i64_scalar = 123456789012345LL;
static const uint8_t u8_a[5] = {0, 1, 127, 128, 255};
static const uint8_t u8_b[3] = {9, 8, 7};
static const uint8_t u8_scalar = 200;
static const uint16_t f16_a[2] = {0x3c00, 0xc000};
static const uint16_t bf16_a[2] = {0x3f80, 0x4049};

static const int64_t shape_2x3[] = {2, 3}, shape_4[] = {4}, shape_2x2[] = {2, 2}, shape_5[] = {5}, shape_3[] = {3},
                     shape_2[] = {2}, shape_0x3[] = {0, 3}, shape_0[] = {0}, shape_2x0[] = {2, 0};

/* Several tensors of each dtype, with scalars and empty tensors. The 5-byte U8
 * tensor comes early so later offsets are not all multiples of 8. */
static const mien_st_entry entries[] = {
    {"f32.a", "F32", 2, shape_2x3, f32_a, sizeof f32_a},
    {"u8.a", "U8", 1, shape_5, u8_a, sizeof u8_a},
    {"f64.a", "F64", 1, shape_4, f64_a, sizeof f64_a},
    {"i64.a", "I64", 2, shape_2x2, i64_a, sizeof i64_a},
    {"f32.scalar", "F32", 0, NULL, &f32_scalar, sizeof f32_scalar},
    {"f64.scalar", "F64", 0, NULL, &f64_scalar, sizeof f64_scalar},
    {"i64.scalar", "I64", 0, NULL, &i64_scalar, sizeof i64_scalar},
    {"u8.scalar", "U8", 0, NULL, &u8_scalar, sizeof u8_scalar},
    {"f32.empty", "F32", 2, shape_0x3, NULL, 0},
    {"f64.empty", "F64", 1, shape_0, NULL, 0},
    {"i64.empty", "I64", 2, shape_2x0, NULL, 0},
    {"u8.empty", "U8", 1, shape_0, NULL, 0},
    {"f32.b", "F32", 1, shape_3, f32_b, sizeof f32_b},
    {"f64.b", "F64", 1, shape_2, f64_b, sizeof f64_b},
    {"i64.b", "I64", 1, shape_3, i64_b, sizeof i64_b},
    {"u8.b", "U8", 1, shape_3, u8_b, sizeof u8_b},
    {"f16", "F16", 1, shape_2, f16_a, sizeof f16_a},
    {"bf16", "BF16", 1, shape_2, bf16_a, sizeof bf16_a},
};
#define N_ENTRIES (int)(sizeof entries / sizeof entries[0])

static const char *const meta_keys[] = {"format", "quote", "control", "unicode", "empty"};
static const char *const meta_values[] = {"pt", "a \"b\" \\ c", "line1\nline2\ttab\x01", "h\xc3\xa9llo \xe2\x9c\x93", ""};
#define N_META 5

static void test_round_trip(void) {
  char path[128];
  temp_path(path, sizeof path, "model.safetensors");
  CHECK(mien_safetensors_write(path, N_ENTRIES, entries, meta_keys, meta_values, N_META) == 0);
  CHECK(temp_dir_count(NULL) == 1);

  mien_safetensors *st = mien_safetensors_open(path);
  CHECK(st != NULL);
  if (!st) {
    fprintf(stderr, "  %s\n", mien_last_error());
    return;
  }
  CHECK(mien_safetensors_count(st) == N_ENTRIES);
  for (int i = 0; i < N_ENTRIES; i++) {
    const mien_st_entry *e = &entries[i];
    const mien_st_tensor *t = mien_safetensors_get(st, i);
    CHECK(t != NULL && strcmp(t->name, e->name) == 0); /* given order kept */
    if (!t) continue;
    CHECK(strcmp(t->dtype, e->dtype) == 0);
    CHECK((int)t->type == mien_st_dtype_from_name(e->dtype));
    CHECK(same_shape(t, e));
    CHECK(t->nbytes == e->nbytes);
    CHECK(e->nbytes == 0 || memcmp(t->data, e->data, e->nbytes) == 0);
    CHECK(mien_safetensors_find(st, e->name) == t);
  }
  CHECK(mien_safetensors_get(st, -1) == NULL);
  CHECK(mien_safetensors_get(st, N_ENTRIES) == NULL);
  CHECK(error_mentions(path, "out of range", NULL));
  CHECK(mien_safetensors_find(st, "nope") == NULL);
  CHECK(error_mentions(path, "'nope'", NULL));

  CHECK(mien_safetensors_meta_count(st) == N_META);
  for (int i = 0; i < N_META; i++) {
    CHECK(strcmp(mien_safetensors_meta_key(st, i), meta_keys[i]) == 0);
    const char *value = mien_safetensors_meta(st, meta_keys[i]);
    CHECK(value && strcmp(value, meta_values[i]) == 0);
  }
  CHECK(mien_safetensors_meta(st, "absent") == NULL);
  CHECK(mien_safetensors_meta_key(st, N_META) == NULL);
  mien_safetensors_close(st);
  unlink(path);
}

/* The header is space-padded so the data section starts 8-aligned in the
 * file, and the tensors follow each other with no gaps. */
static void test_layout(void) {
  char path[128];
  temp_path(path, sizeof path, "layout.safetensors");
  CHECK(mien_safetensors_write(path, N_ENTRIES, entries, NULL, NULL, 0) == 0);
  size_t size = 0;
  unsigned char *bytes = read_file(path, &size);
  uint64_t header_len = 0;
  for (int k = 7; k >= 0; k--) header_len = header_len << 8 | bytes[k];
  size_t data_len = 0;
  for (int i = 0; i < N_ENTRIES; i++) data_len += entries[i].nbytes;
  CHECK(header_len % 8 == 0);
  CHECK(size == 8 + header_len + data_len);
  CHECK(bytes[8] == '{');
  size_t last = 8 + header_len - 1;
  while (bytes[last] == ' ') last--;
  CHECK(bytes[last] == '}');
  CHECK(8 + header_len - 1 - last < 8);
  CHECK(memcmp(bytes + 8 + header_len, f32_a, sizeof f32_a) == 0);
  CHECK(memcmp(bytes + 8 + header_len + sizeof f32_a, u8_a, sizeof u8_a) == 0);
  CHECK(strstr((const char *)bytes + 8, "\"f64.a\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[29,61]}"));
  CHECK(strstr((const char *)bytes + 8, "\"f32.scalar\":{\"dtype\":\"F32\",\"shape\":[],"));
  CHECK(!strstr((const char *)bytes + 8, "__metadata__"));
  free(bytes);

  mien_safetensors *st = mien_safetensors_open(path);
  CHECK(st != NULL);
  if (st) {
    CHECK((uintptr_t)mien_safetensors_get(st, 0)->data % 8 == 0);
    CHECK(mien_safetensors_meta_count(st) == 0);
    mien_safetensors_close(st);
  }
  unlink(path);
}

static void test_no_tensors(void) {
  char path[128];
  temp_path(path, sizeof path, "empty.safetensors");
  CHECK(mien_safetensors_write(path, 0, NULL, NULL, NULL, 0) == 0);
  size_t size = 0;
  unsigned char *bytes = read_file(path, &size);
  CHECK(size == 16 && memcmp(bytes + 8, "{}      ", 8) == 0);
  free(bytes);
  mien_safetensors *st = mien_safetensors_open(path);
  CHECK(st && mien_safetensors_count(st) == 0);
  CHECK(st && mien_safetensors_find(st, "x") == NULL);
  mien_safetensors_close(st);
  unlink(path);
}

/* A file whose bytes the test builds itself: header not padded to 8, keys not
 * in data order, metadata between tensors, dtypes mien only reports. */
static void test_hand_built(void) {
  char path[128];
  temp_path(path, sizeof path, "hand.safetensors");
  const char *header =
      "{\"flag\": {\"dtype\": \"BOOL\", \"shape\": [], \"data_offsets\": [14, 15]},\n"
      " \"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},\n"
      " \"__metadata__\": {\"format\": \"pt\"},\n"
      " \"h\": {\"data_offsets\": [8, 14], \"shape\": [3], \"dtype\": \"F16\"}}  \n";
  const unsigned char data[15] = {
      0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, /* F32 1.5, -2.0 */
      0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b,             /* F16 1.0, -2.0, 65504 */
      0x01,                                           /* BOOL true */
  };
  write_st(path, header, data, sizeof data);

  mien_safetensors *st = mien_safetensors_open(path);
  CHECK(st != NULL);
  if (!st) {
    fprintf(stderr, "  %s\n", mien_last_error());
    return;
  }
  CHECK(mien_safetensors_count(st) == 3);
  CHECK(strcmp(mien_safetensors_get(st, 0)->name, "flag") == 0);
  CHECK(strcmp(mien_safetensors_get(st, 1)->name, "w") == 0);
  CHECK(strcmp(mien_safetensors_get(st, 2)->name, "h") == 0);
  CHECK(strcmp(mien_safetensors_meta(st, "format"), "pt") == 0);

  const mien_st_tensor *w = mien_safetensors_find(st, "w");
  float wv[2];
  CHECK(w && w->type == MIEN_ST_F32 && w->ndim == 1 && w->shape[0] == 2 && w->nbytes == 8);
  memcpy(wv, w->data, sizeof wv);
  CHECK(wv[0] == 1.5f && wv[1] == -2.0f);

  const mien_st_tensor *h = mien_safetensors_find(st, "h");
  uint16_t hv[3];
  CHECK(h && strcmp(h->dtype, "F16") == 0 && h->nbytes == 6);
  memcpy(hv, h->data, sizeof hv);
  CHECK(mien_f16_to_f32(hv[0]) == 1.0f && mien_f16_to_f32(hv[1]) == -2.0f && mien_f16_to_f32(hv[2]) == 65504.0f);

  const mien_st_tensor *flag = mien_safetensors_find(st, "flag");
  CHECK(flag && flag->type == MIEN_ST_BOOL && flag->ndim == 0 && flag->nbytes == 1);
  CHECK(*(const unsigned char *)flag->data == 1);
  mien_safetensors_close(st);
  unlink(path);
}

/* ---- corruption: each names the file and the problem ---- */

typedef struct {
  const char *header;
  size_t data_len;
  const char *expect1, *expect2;
} corrupt_case;

static const corrupt_case corrupt_cases[] = {
    {"{\"w\": {\"dtype\": \"F32\",", 0, "not valid JSON", NULL},
    {"[1, 2]", 0, "not a JSON object", NULL},
    {"{}   x", 0, "unexpected bytes after", NULL},
    {"{\"w\": 5}", 0, "tensor 'w'", "not a JSON object"},
    {"{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "missing dtype"},
    {"{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "missing shape"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "tensor 'w'", "missing data_offsets"},
    {"{\"w\": {\"dtype\": 3, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "dtype is not a string"},
    {"{\"w\": {\"dtype\": \"F33\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "unknown dtype 'F33'"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": 4, \"data_offsets\": [0, 16]}}", 16, "tensor 'w'", "shape is not an array"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "shape[1]"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, "tensor 'w'", "shape[0]"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, "tensor 'w'",
     "data_offsets is not [begin, end]"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, \"4\"]}}", 4, "tensor 'w'",
     "data_offsets is not [begin, end]"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4,
     "tensor 'w'", "too large"},
    {"{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [3, 4], \"data_offsets\": [0, 100]}}", 100,
     "tensor 'fc.weight'", "data_offsets [0, 100] do not match shape [3,4] F32 (48 bytes)"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8, "tensor 'w'",
     "data_offsets [8, 4] do not match"},
    {"{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8, "tensor 'w'",
     "run past the data section (8 bytes)"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
     " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
     12, "tensor 'b'", "overlap tensor 'a'"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
     " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}",
     12, "bytes [4, 8)", "gap before 'b'"},
    {"{\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "bytes [0, 4)", "gap before 'b'"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 8, "data section has 8 bytes",
     "end at byte 4"},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
     " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
     8, "duplicate tensor name 'a'", NULL},
    {"{\"__metadata__\": {\"k\": 1}}", 0, "metadata 'k' is not a string", NULL},
    {"{\"__metadata__\": [\"k\"]}", 0, "__metadata__ is not a JSON object", NULL},
    {"{\"__metadata__\": {\"k\": \"1\", \"k\": \"2\"}}", 0, "duplicate metadata key 'k'", NULL},
    {"{\"__metadata__\": {}, \"__metadata__\": {}}", 0, "duplicate __metadata__", NULL},
};

static void test_corrupt_headers(void) {
  static const unsigned char zeros[128];
  int n = (int)(sizeof corrupt_cases / sizeof corrupt_cases[0]);
  for (int i = 0; i < n; i++) {
    const corrupt_case *c = &corrupt_cases[i];
    char path[128], name[32];
    snprintf(name, sizeof name, "corrupt%d.st", i);
    temp_path(path, sizeof path, name);
    write_st(path, c->header, zeros, c->data_len);
    mien_clear_error();
    mien_safetensors *st = mien_safetensors_open(path);
    if (st) fprintf(stderr, "  corrupt case %d opened: %s\n", i, c->header);
    CHECK(st == NULL);
    mien_safetensors_close(st);
    CHECK(error_mentions(path, c->expect1, c->expect2));
    unlink(path);
  }
}

static void test_corrupt_files(void) {
  char path[128];
  temp_path(path, sizeof path, "bad.st");

  write_bytes(path, "\x10\x00\x00", 3);
  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "file too short (3 bytes)", NULL));

  const unsigned char beyond[12] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
  write_bytes(path, beyond, sizeof beyond);
  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "header length 200 exceeds the 4 bytes", NULL));

  const unsigned char huge[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}', ' ', ' '};
  write_bytes(path, huge, sizeof huge);
  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "header length 18446744073709551615 exceeds", NULL));

  /* a sparse file big enough for the claimed header */
  const unsigned char too_big[8] = {0x08, 0xe1, 0xf5, 0x05, 0, 0, 0, 0}; /* 100000008 */
  write_bytes(path, too_big, sizeof too_big);
  CHECK(truncate(path, 8 + 100000008) == 0);
  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "header length 100000008 exceeds the limit of 100000000 bytes", NULL));

  write_st(path, "", NULL, 0);
  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "not valid JSON", NULL));
  unlink(path);

  CHECK(mien_safetensors_open(path) == NULL);
  CHECK(error_mentions(path, "cannot open", NULL));
  CHECK(mien_safetensors_open(temp_dir) == NULL);
  CHECK(error_mentions(temp_dir, "not a regular file", NULL));
}

/* ---- writer errors: the old file stays, no temp file is left ---- */

static void expect_write_error(const char *path, int n, const mien_st_entry *e, const char *const *keys,
                               const char *const *values, int n_meta, const char *expect) {
  CHECK(mien_safetensors_write(path, n, e, keys, values, n_meta) == -1);
  CHECK(error_mentions(path, expect, NULL));
  mien_safetensors *st = mien_safetensors_open(path);
  CHECK(st && mien_safetensors_count(st) == 1 && mien_safetensors_find(st, "old"));
  mien_safetensors_close(st);
  CHECK(temp_dir_count(NULL) == 1);
}

static void test_write_errors(void) {
  char path[128];
  temp_path(path, sizeof path, "keep.safetensors");
  const mien_st_entry old = {"old", "U8", 1, shape_3, u8_b, sizeof u8_b};
  CHECK(mien_safetensors_write(path, 1, &old, NULL, NULL, 0) == 0);

  const mien_st_entry dup[3] = {
      {"w", "F32", 1, shape_3, f32_b, sizeof f32_b},
      {"b", "U8", 1, shape_3, u8_b, sizeof u8_b},
      {"w", "U8", 1, shape_3, u8_b, sizeof u8_b},
  };
  expect_write_error(path, 3, dup, NULL, NULL, 0, "duplicate tensor name 'w'");

  const mien_st_entry bad_size = {"w", "F32", 1, shape_3, f32_b, 10};
  expect_write_error(path, 1, &bad_size, NULL, NULL, 0, "tensor 'w': nbytes 10 do not match shape [3] F32 (12 bytes)");

  const mien_st_entry bad_dtype = {"w", "Q8", 1, shape_3, u8_b, 3};
  expect_write_error(path, 1, &bad_dtype, NULL, NULL, 0, "tensor 'w': unknown dtype 'Q8'");

  const int64_t negative[] = {-3};
  const mien_st_entry bad_shape = {"w", "U8", 1, negative, u8_b, 3};
  expect_write_error(path, 1, &bad_shape, NULL, NULL, 0, "tensor 'w': invalid shape [-3]");

  const mien_st_entry reserved = {"__metadata__", "U8", 1, shape_3, u8_b, 3};
  expect_write_error(path, 1, &reserved, NULL, NULL, 0, "reserved");

  const char *const keys[] = {"k", "j", "k"}, *const values[] = {"1", "2", "3"};
  expect_write_error(path, 1, &old, keys, values, 3, "duplicate metadata key 'k'");

  char missing[160];
  temp_path(missing, sizeof missing, "no/such/dir.safetensors");
  CHECK(mien_safetensors_write(missing, 1, &old, NULL, NULL, 0) == -1);
  CHECK(error_mentions(missing, NULL, NULL));
  CHECK(temp_dir_count(NULL) == 1);
  unlink(path);
}

static void test_half_conversions(void) {
  CHECK(mien_f16_to_f32(0x3c00) == 1.0f);
  CHECK(mien_f16_to_f32(0xc000) == -2.0f);
  CHECK(mien_f16_to_f32(0x3555) == 0.333251953125f);
  CHECK(mien_f16_to_f32(0x7bff) == 65504.0f);
  CHECK(mien_f16_to_f32(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
  CHECK(mien_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
  CHECK(mien_f16_to_f32(0x83ff) == -1023.0f * ldexpf(1.0f, -24));
  CHECK(mien_f16_to_f32(0x0000) == 0.0f && !signbit(mien_f16_to_f32(0x0000)));
  CHECK(mien_f16_to_f32(0x8000) == 0.0f && signbit(mien_f16_to_f32(0x8000)));
  CHECK(isinf(mien_f16_to_f32(0x7c00)) && mien_f16_to_f32(0x7c00) > 0);
  CHECK(isinf(mien_f16_to_f32(0xfc00)) && mien_f16_to_f32(0xfc00) < 0);
  CHECK(isnan(mien_f16_to_f32(0x7e00)));
  CHECK(mien_bf16_to_f32(0x3f80) == 1.0f);
  CHECK(mien_bf16_to_f32(0xc049) == -3.140625f);
}

static void test_dtype_table(void) {
  const char *names[] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"};
  const size_t sizes[] = {8, 4, 2, 2, 8, 4, 2, 1, 8, 4, 2, 1, 1};
  for (int i = 0; i < 13; i++) {
    int type = mien_st_dtype_from_name(names[i]);
    CHECK(type >= 0 && strcmp(mien_st_dtype_name((mien_st_dtype)type), names[i]) == 0);
    CHECK(type >= 0 && mien_st_dtype_size((mien_st_dtype)type) == sizes[i]);
  }
  CHECK(mien_st_dtype_from_name("f32") == -1);
  CHECK(mien_st_dtype_from_name("F8_E4M3") == -1);
}

int main(void) {
  if (temp_dir_create("st") != 0) return 1;
  test_dtype_table();
  test_half_conversions();
  test_round_trip();
  test_layout();
  test_no_tensors();
  test_hand_built();
  test_corrupt_headers();
  test_corrupt_files();
  test_write_errors();
  CHECK(temp_dir_count(NULL) == 0);
  temp_dir_remove();
  return check_exit("test_safetensors");
}
