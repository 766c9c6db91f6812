/* Test support shared by tests/test_*.c, header only (every test is its own
 * executable, so each gets its own copy of the state below):
 *
 *   CHECK(cond), EXPECT(cond, fmt, ...)  count a failure and say where
 *   check_exit(name)                     main's exit code from the count
 *   rng_seed, next_random, uniform, randint   a small deterministic LCG
 *   worse_error, max_abs_error, max_rel_error(_f32)   error measures, NaN = inf
 *   to_f32, from_f32                     float copies of double arrays
 *   error_mentions(a, b, c)              mien_last_error() has a, b and c
 *   temp_dir_*, temp_path                a private directory under /tmp
 *   write_bytes, write_text, read_file   whole files
 *
 * Include it after the system headers; a test that uses the temporary
 * directory defines _POSIX_C_SOURCE 200809L first (mkdtemp). */
#ifndef MIEN_TESTS_CHECK_H
#define MIEN_TESTS_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- failures ---- */

static int failures;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline void check_fail_(const char *file, int line, const char *kind, const char *fmt, ...) {
  va_list ap;
  failures++;
  fprintf(stderr, "%s:%d: %s: ", file, line, kind);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* A failed CHECK prints "file:line: CHECK failed: <the condition>". */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) check_fail_(__FILE__, __LINE__, "CHECK failed", "%s", #cond); \
  } while (0)

/* A failed EXPECT prints "file:line: FAIL: " and the printf-style message. */
#define EXPECT(cond, ...)                                              \
  do {                                                                 \
    if (!(cond)) check_fail_(__FILE__, __LINE__, "FAIL", __VA_ARGS__); \
  } while (0)

/* The end of main: 1 (and the count on stderr) if anything failed, else 0. */
static inline int check_exit(const char *name) {
  if (failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

/* ---- deterministic random numbers (64-bit LCG, top 53 bits) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline void rng_seed(uint64_t seed) { rng_state = seed; }

static inline uint64_t next_random(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return rng_state >> 11;
}

/* Uniform in [-1, 1). */
static inline double uniform(void) { return (double)next_random() * 0x1p-52 - 1.0; }

/* Uniform integer in [lo, hi]. */
static inline int64_t randint(int64_t lo, int64_t hi) {
  return lo + (int64_t)(next_random() % (uint64_t)(hi - lo + 1));
}

/* ---- approximate comparison ---- */

/* The running maximum of errors: the larger of worst and e, where a NaN
 * error counts as infinite (and stays so). */
static inline double worse_error(double worst, double e) { return isnan(e) ? INFINITY : (e > worst ? e : worst); }

/* max |got[i] - want[i]| */
static inline double max_abs_error(const double *got, const double *want, int64_t n) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) worst = worse_error(worst, fabs(got[i] - want[i]));
  return worst;
}

/* max |got[i] - want[i]| / (|want[i]| + scale_floor) */
static inline double max_rel_error(const double *got, const double *want, int64_t n, double scale_floor) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) worst = worse_error(worst, fabs(got[i] - want[i]) / (fabs(want[i]) + scale_floor));
  return worst;
}

/* The same for a float result against a double reference. */
static inline double max_rel_error_f32(const float *got, const double *want, int64_t n, double scale_floor) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) worst = worse_error(worst, fabs(got[i] - want[i]) / (fabs(want[i]) + scale_floor));
  return worst;
}

/* A new float copy of a (never malloc(0)); free it. */
static inline float *to_f32(const double *a, int64_t n) {
  float *f = malloc(sizeof(float) * (n ? n : 1));
  for (int64_t i = 0; i < n; i++) f[i] = (float)a[i];
  return f;
}

/* a[i] = f[i] */
static inline void from_f32(const float *f, int64_t n, double *a) {
  for (int64_t i = 0; i < n; i++) a[i] = f[i];
}

/* ---- error messages ---- */

/* Whether mien_last_error() contains each of a, b and c that is not NULL;
 * prints the message when it does not. */
static inline int error_mentions(const char *a, const char *b, const char *c) {
  const char *msg = mien_last_error();
  int ok = (!a || strstr(msg, a)) && (!b || strstr(msg, b)) && (!c || strstr(msg, c));
  if (!ok) fprintf(stderr, "  unexpected error message: %s\n", msg);
  return ok;
}

/* ---- files ---- */

static inline void write_bytes(const char *path, const void *data, size_t n) {
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    perror(path);
    return;
  }
  fwrite(data, 1, n, fp);
  fclose(fp);
}

static inline void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

/* The whole file, NUL-terminated, in a malloc'd buffer (free it) with its
 * size in *n; NULL if it cannot be opened. */
static inline unsigned char *read_file(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  *n = (size_t)ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *buf = malloc(*n + 1);
  if (fread(buf, 1, *n, fp) != *n) *n = 0;
  buf[*n] = '\0';
  fclose(fp);
  return buf;
}

/* ---- a temporary directory (POSIX) ---- */

#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200809L
#include <dirent.h>
#include <unistd.h>

static char temp_dir[64];

/* Creates /tmp/mien_<name>_XXXXXX into temp_dir; -1 (after perror) if it
 * cannot. */
static inline int temp_dir_create(const char *name) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/mien_%s_XXXXXX", name);
  if (!mkdtemp(temp_dir)) {
    perror("mkdtemp");
    return -1;
  }
  return 0;
}

/* out = temp_dir/name */
static inline void temp_path(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", temp_dir, name); }

/* How many entries of temp_dir (not . or ..) have a name containing
 * `part`, or all of them when part is NULL. */
static inline int temp_dir_count(const char *part) {
  int n = 0;
  DIR *d = opendir(temp_dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && (!part || strstr(e->d_name, part))) n++;
  closedir(d);
  return n;
}

/* Removes the files left in temp_dir, then temp_dir itself. */
static inline void temp_dir_remove(void) {
  DIR *d = opendir(temp_dir);
  if (d) {
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
        temp_path(path, sizeof path, e->d_name);
        unlink(path);
      }
    closedir(d);
  }
  rmdir(temp_dir);
}
#endif

#endif
