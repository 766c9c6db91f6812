/* Shared by the fuzz harnesses: the input written to a file for parsers
 * that take a path (one file per process, rewritten for every input). */
#ifndef MIEN_FUZZ_UTIL_H
#define MIEN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A private folder for this process's files, made once. */
static const char *fuzz_dir(void) {
  static char dir[256];
  if (!dir[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mien-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) abort();
  }
  return dir;
}

/* Writes data to <fuzz_dir>/<name> and returns that path (static buffer). */
__attribute__((unused)) static const char *fuzz_write(const char *name, const uint8_t *data, size_t size) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  if (fclose(f) != 0) abort();
  return path;
}

#endif
