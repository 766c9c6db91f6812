#define _POSIX_C_SOURCE 200809L

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define TMP_SUFFIX ".tmp.XXXXXX"

struct mien_atomic_file {
  FILE *fp;
  char *path;     /* the target */
  char *tmp_path; /* where the data goes until commit */
};

static void release(mien_atomic_file *f) {
  free(f->path);
  free(f->tmp_path);
  free(f);
}

/* mkstemp creates files 0600; give ours the mode fopen would have given, or
 * keep the mode of the file being replaced. */
static mode_t target_mode(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0) return st.st_mode & 0777;
  /* umask can only be read by setting it; it is restored at once. */
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

mien_atomic_file *mien_atomic_open(const char *path) {
  size_t len = strlen(path);
  mien_atomic_file *f = calloc(1, sizeof *f);
  if (f) {
    f->path = strdup(path);
    f->tmp_path = malloc(len + sizeof TMP_SUFFIX);
  }
  if (!f || !f->path || !f->tmp_path) {
    if (f) release(f);
    mien_set_error("cannot write '%s': out of memory", path);
    return NULL;
  }
  memcpy(f->tmp_path, path, len);
  memcpy(f->tmp_path + len, TMP_SUFFIX, sizeof TMP_SUFFIX);

  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    mien_set_error("cannot create a temporary file for '%s': %s", path, strerror(errno));
    release(f);
    return NULL;
  }
  if (fchmod(fd, target_mode(path)) != 0 || !(f->fp = fdopen(fd, "wb"))) {
    mien_set_error("cannot prepare temporary file '%s': %s", f->tmp_path, strerror(errno));
    close(fd);
    unlink(f->tmp_path);
    release(f);
    return NULL;
  }
  return f;
}

int mien_atomic_write(mien_atomic_file *f, const void *buf, size_t n) {
  if (n == 0) return 0;
  if (fwrite(buf, 1, n, f->fp) != n) {
    mien_set_error("cannot write '%s': %s", f->path, strerror(errno));
    return -1;
  }
  return 0;
}

/* Make the rename itself durable. File systems that cannot fsync a directory
 * say EINVAL; there is nothing more to do on those. */
static int sync_directory(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) {
    mien_set_error("'%s' was replaced, but syncing its directory failed: out of memory", path);
    return -1;
  }
  int rc = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
    mien_set_error("'%s' was replaced, but syncing directory '%s' failed: %s", path, dir, strerror(errno));
    rc = -1;
  }
  if (fd >= 0) close(fd);
  free(dir);
  return rc;
}

int mien_atomic_commit(mien_atomic_file *f) {
  const char *failed = NULL;
  int err = 0;
  if (ferror(f->fp)) {
    failed = "an earlier write failed";
  } else if (fflush(f->fp) != 0) {
    failed = "flush failed";
    err = errno;
  } else if (fsync(fileno(f->fp)) != 0) {
    failed = "fsync failed";
    err = errno;
  }
  if (fclose(f->fp) != 0 && !failed) {
    failed = "close failed";
    err = errno;
  }
  if (!failed && rename(f->tmp_path, f->path) != 0) {
    failed = "rename failed";
    err = errno;
  }
  if (failed) {
    mien_set_error("cannot write '%s': %s%s%s", f->path, failed, err ? ": " : "", err ? strerror(err) : "");
    unlink(f->tmp_path);
    release(f);
    return -1;
  }
  int rc = sync_directory(f->path);
  release(f);
  return rc;
}

void mien_atomic_abort(mien_atomic_file *f) {
  if (!f) return;
  fclose(f->fp);
  unlink(f->tmp_path);
  release(f);
}

int mien_write_file_atomic(const char *path, const void *buf, size_t n) {
  mien_atomic_file *f = mien_atomic_open(path);
  if (!f) return -1;
  if (mien_atomic_write(f, buf, n) != 0) {
    mien_atomic_abort(f);
    return -1;
  }
  return mien_atomic_commit(f);
}
