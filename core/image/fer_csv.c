/* FER2013 CSV reader (plain or gzip, both through zlib's gz* functions). */
#define _POSIX_C_SOURCE 200809L /* strcasecmp, XSI strerror_r */

#include "fer_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "error.h"

#define MAX_FIELDS 16

typedef struct reader {
  const char *path;
  gzFile file;
  char *buf;
  size_t cap;
  int64_t line; /* 1-based number of the line in buf */
} reader;

/* After gzgets returned NULL: -1 with the error set if the stream is
 * broken (a truncated gzip file reads as "unexpected end of file"), else 0. */
static int stream_error(const reader *r) {
  int errnum;
  const char *msg = gzerror(r->file, &errnum);
  if (errnum == Z_OK) return 0;
  size_t path_len = strlen(r->path); /* zlib prefixes its messages with "path: " */
  if (!strncmp(msg, r->path, path_len) && !strncmp(msg + path_len, ": ", 2)) msg += path_len + 2;
  mien_set_error("'%s' line %lld: read error: %s", r->path, (long long)r->line + 1, msg);
  return -1;
}

/* Read the next line into r->buf without its line ending.
 * Returns 1 for a line, 0 at the end of the file, -1 on error. The stream
 * error is only consulted once gzgets runs dry: zlib may flag it while
 * earlier lines are still buffered. */
static int next_line(reader *r) {
  size_t len = 0;
  for (;;) {
    if (!gzgets(r->file, r->buf + len, (int)(r->cap - len))) {
      if (stream_error(r) != 0) return -1;
      break;
    }
    len += strlen(r->buf + len);
    if (len > 0 && r->buf[len - 1] == '\n') break;
    if (len + 1 < r->cap) continue; /* short read: the next gzgets says EOF */
    char *grown = realloc(r->buf, r->cap * 2);
    if (!grown) {
      mien_set_error("'%s' line %lld: out of memory for a %zu-byte line", r->path, (long long)r->line + 1, len);
      return -1;
    }
    r->buf = grown;
    r->cap *= 2;
  }
  r->buf[len] = '\0';
  if (len == 0) return 0; /* an empty line still holds its '\n' */
  r->line++;
  while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r')) r->buf[--len] = '\0';
  return 1;
}

/* Split line in place at commas; trims spaces and surrounding quotes. */
static int split_fields(char *line, char **fields) {
  int n = 0;
  for (char *p = line;; p++) {
    char *start = p;
    while (*p && *p != ',') p++;
    char end = *p;
    *p = '\0';
    while (*start == ' ' || *start == '"') start++;
    for (char *q = p; q > start && (q[-1] == ' ' || q[-1] == '"');) *--q = '\0';
    if (n < MAX_FIELDS) fields[n] = start;
    n++;
    if (!end) return n;
  }
}

typedef struct columns {
  int count, emotion, pixels, usage; /* usage = -1 when absent */
} columns;

static int parse_header(reader *r, columns *col) {
  static const char utf8_bom[] = "\xEF\xBB\xBF";
  char *fields[MAX_FIELDS];
  int n = split_fields(r->buf + (strncmp(r->buf, utf8_bom, 3) ? 0 : 3), fields);
  if (n > MAX_FIELDS) n = MAX_FIELDS;
  col->count = n;
  col->emotion = col->pixels = col->usage = -1;
  for (int i = 0; i < n; i++) {
    if (!strcasecmp(fields[i], "emotion")) col->emotion = i;
    else if (!strcasecmp(fields[i], "pixels")) col->pixels = i;
    else if (!strcasecmp(fields[i], "usage")) col->usage = i;
  }
  if (col->emotion < 0 || col->pixels < 0) {
    mien_set_error("'%s' line %lld: the header must name the columns emotion and pixels", r->path,
                   (long long)r->line);
    return -1;
  }
  return 0;
}

/* Parse exactly MIEN_FER_PIXELS integers 0..255 separated by spaces. */
static int parse_pixels(const reader *r, const char *s, uint8_t *out) {
  int count = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    if (*s < '0' || *s > '9') {
      mien_set_error("'%s' line %lld: pixel %d is not a number", r->path, (long long)r->line, count + 1);
      return -1;
    }
    int value = 0;
    while (*s >= '0' && *s <= '9' && value <= 255) value = value * 10 + (*s++ - '0');
    if (value > 255) {
      mien_set_error("'%s' line %lld: pixel %d is out of range 0..255", r->path, (long long)r->line, count + 1);
      return -1;
    }
    if (*s && *s != ' ' && *s != '\t') {
      mien_set_error("'%s' line %lld: pixel %d is not a number", r->path, (long long)r->line, count + 1);
      return -1;
    }
    if (count < MIEN_FER_PIXELS) out[count] = (uint8_t)value;
    count++;
  }
  if (count != MIEN_FER_PIXELS) {
    mien_set_error("'%s' line %lld: expected %d pixel values, found %d", r->path, (long long)r->line,
                   MIEN_FER_PIXELS, count);
    return -1;
  }
  return 0;
}

static int parse_label(const reader *r, const char *s, int64_t *label) {
  if (s[0] < '0' || s[0] > '0' + MIEN_FER_CLASSES - 1 || s[1] != '\0') {
    mien_set_error("'%s' line %lld: emotion '%s' is not a label 0..%d", r->path, (long long)r->line, s,
                   MIEN_FER_CLASSES - 1);
    return -1;
  }
  *label = s[0] - '0';
  return 0;
}

static int parse_usage(const reader *r, const char *s, mien_fer_usage *usage) {
  static const char *const names[MIEN_FER_USAGES] = {"Training", "PublicTest", "PrivateTest"};
  for (int u = 0; u < MIEN_FER_USAGES; u++)
    if (!strcmp(s, names[u])) {
      *usage = (mien_fer_usage)u;
      return 0;
    }
  mien_set_error("'%s' line %lld: unknown Usage '%s' (expected Training, PublicTest or PrivateTest)", r->path,
                 (long long)r->line, s);
  return -1;
}

/* Room for one more row in split; rows are appended in file order. */
static int reserve_row(const reader *r, mien_fer_split *split, int64_t *cap) {
  if (split->n < *cap) return 0;
  int64_t grown = *cap ? *cap * 2 : 64; /* small files (and fuzzing) stay small; doubling covers the rest */
  int64_t *labels = realloc(split->labels, sizeof(int64_t) * (size_t)grown);
  if (labels) split->labels = labels;
  uint8_t *pixels = labels ? realloc(split->pixels, (size_t)MIEN_FER_PIXELS * (size_t)grown) : NULL;
  if (!pixels) {
    mien_set_error("'%s' line %lld: out of memory for %lld rows", r->path, (long long)r->line, (long long)grown);
    return -1;
  }
  split->pixels = pixels;
  *cap = grown;
  return 0;
}

static int parse_row(reader *r, const columns *col, mien_fer_data *out, int64_t *caps) {
  char *fields[MAX_FIELDS];
  int n = split_fields(r->buf, fields);
  if (n != col->count) {
    mien_set_error("'%s' line %lld: expected %d fields, found %d", r->path, (long long)r->line, col->count, n);
    return -1;
  }
  mien_fer_usage usage = MIEN_FER_TRAINING;
  int64_t label;
  if (parse_label(r, fields[col->emotion], &label) != 0) return -1;
  if (col->usage >= 0 && parse_usage(r, fields[col->usage], &usage) != 0) return -1;
  mien_fer_split *split = &out->split[usage];
  if (reserve_row(r, split, &caps[usage]) != 0) return -1;
  if (parse_pixels(r, fields[col->pixels], split->pixels + split->n * MIEN_FER_PIXELS) != 0) return -1;
  split->labels[split->n++] = label;
  return 0;
}

int mien_fer_csv_read(const char *path, mien_fer_data *out) {
  memset(out, 0, sizeof *out);
  errno = 0;
  reader r = {path, gzopen(path, "rb"), NULL, 16384, 0};
  if (!r.file) {
    char reason[256];
    if (errno == 0 || strerror_r(errno, reason, sizeof reason) != 0) snprintf(reason, sizeof reason, "gzopen failed");
    mien_set_error("cannot open '%s': %s", path, reason);
    return -1;
  }
  gzbuffer(r.file, 1 << 17);
  r.buf = malloc(r.cap);
  int rc = -1;
  if (!r.buf) {
    mien_set_error("'%s': out of memory", path);
  } else {
    columns col;
    int64_t caps[MIEN_FER_USAGES] = {0};
    int got;
    while ((got = next_line(&r)) == 1 && r.buf[0] == '\0') {}
    if (got == 0) mien_set_error("'%s': empty file, expected a header line", path);
    if (got == 1 && parse_header(&r, &col) == 0) {
      while ((got = next_line(&r)) == 1)
        if (r.buf[0] != '\0' && parse_row(&r, &col, out, caps) != 0) break;
      rc = got == 0 ? 0 : -1;
      /* hardening: a header without rows is an error, not three empty splits */
      if (rc == 0 && out->split[0].n + out->split[1].n + out->split[2].n == 0) {
        mien_set_error("'%s': no rows after the header line", path);
        rc = -1;
      }
    }
  }
  gzclose(r.file);
  free(r.buf);
  if (rc != 0) mien_fer_csv_free(out);
  return rc;
}

void mien_fer_csv_free(mien_fer_data *data) {
  for (int u = 0; u < MIEN_FER_USAGES; u++) {
    free(data->split[u].labels);
    free(data->split[u].pixels);
  }
  memset(data, 0, sizeof *data);
}
