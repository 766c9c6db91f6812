/* Atomic writer: new and replaced files get the right bytes and mode, and a
 * failed or aborted write leaves the old file intact with no temp file behind. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "io/atomic_file.h"

/* Whole file as a string ("" if unreadable). */
static const char *contents(const char *path) {
  static char buf[256];
  buf[0] = '\0';
  FILE *fp = fopen(path, "rb");
  if (!fp) return buf;
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return buf;
}

/* Names in the test directory, sorted and space separated: "a.bin sub". */
static const char *listing(void) {
  static char buf[512];
  struct dirent **entries;
  int n = scandir(temp_dir, &entries, NULL, alphasort);
  buf[0] = '\0';
  for (int i = 0; i < n; i++) {
    const char *name = entries[i]->d_name;
    if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
      if (buf[0]) strncat(buf, " ", sizeof buf - strlen(buf) - 1);
      strncat(buf, name, sizeof buf - strlen(buf) - 1);
    }
    free(entries[i]);
  }
  free(entries);
  return buf;
}

static mode_t mode_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_mode & 0777 : 0;
}

static void test_new_file(void) {
  char path[128];
  temp_path(path, sizeof path, "new.bin");
  CHECK(mien_write_file_atomic(path, "hello", 5) == 0);
  CHECK(strcmp(contents(path), "hello") == 0);
  CHECK(mode_of(path) == 0644); /* 0666 under the umask 022 set in main */
  CHECK(strcmp(listing(), "new.bin") == 0);
  unlink(path);
}

static void test_replace_keeps_mode(void) {
  char path[128];
  temp_path(path, sizeof path, "a.bin");
  write_text(path, "old");
  chmod(path, 0600);
  CHECK(mien_write_file_atomic(path, "new contents", 12) == 0);
  CHECK(strcmp(contents(path), "new contents") == 0);
  CHECK(mode_of(path) == 0600);
  CHECK(strcmp(listing(), "a.bin") == 0);
  unlink(path);
}

static void test_empty_write(void) {
  char path[128];
  temp_path(path, sizeof path, "a.bin");
  write_text(path, "old");
  CHECK(mien_write_file_atomic(path, NULL, 0) == 0);
  CHECK(strcmp(contents(path), "") == 0);
  unlink(path);
}

static void test_abort(void) {
  char path[128];
  temp_path(path, sizeof path, "a.bin");
  write_text(path, "old");
  mien_atomic_file *f = mien_atomic_open(path);
  CHECK(f != NULL);
  CHECK(mien_atomic_write(f, "partial", 7) == 0);
  /* the temp file sits next to the target until then */
  CHECK(strncmp(listing(), "a.bin a.bin.tmp.", 16) == 0);
  mien_atomic_abort(f);
  mien_atomic_abort(NULL);
  CHECK(strcmp(contents(path), "old") == 0);
  CHECK(strcmp(listing(), "a.bin") == 0);
  unlink(path);
}

/* A file size limit makes the writes fail half way, like a full disk. */
static void test_failed_write(void) {
  char path[128];
  temp_path(path, sizeof path, "a.bin");
  write_text(path, "old");
  static char big[1 << 16];
  memset(big, 'x', sizeof big);

  struct rlimit saved, limited;
  getrlimit(RLIMIT_FSIZE, &saved);
  limited = saved;
  limited.rlim_cur = 4096;
  signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &limited);

  CHECK(mien_write_file_atomic(path, big, sizeof big) == -1);
  CHECK(error_mentions(path, NULL, NULL));
  CHECK(strcmp(contents(path), "old") == 0);
  CHECK(strcmp(listing(), "a.bin") == 0);

  /* committing after a failed write fails too */
  mien_atomic_file *f = mien_atomic_open(path);
  CHECK(f != NULL);
  CHECK(mien_atomic_write(f, big, sizeof big) == -1);
  CHECK(mien_atomic_commit(f) == -1);
  CHECK(error_mentions(path, "earlier write failed", NULL));
  CHECK(strcmp(contents(path), "old") == 0);
  CHECK(strcmp(listing(), "a.bin") == 0);

  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, SIG_DFL);
  unlink(path);
}

/* rename cannot replace a non-empty directory: the commit fails late. */
static void test_failed_rename(void) {
  char sub[128], inner[192];
  temp_path(sub, sizeof sub, "sub");
  snprintf(inner, sizeof inner, "%s/keep", sub);
  mkdir(sub, 0755);
  write_text(inner, "kept");
  CHECK(mien_write_file_atomic(sub, "data", 4) == -1);
  CHECK(error_mentions(sub, "rename", NULL));
  CHECK(strcmp(contents(inner), "kept") == 0);
  CHECK(strcmp(listing(), "sub") == 0);
  unlink(inner);
  rmdir(sub);
}

static void test_missing_directory(void) {
  char path[128];
  temp_path(path, sizeof path, "missing/a.bin");
  CHECK(mien_atomic_open(path) == NULL);
  CHECK(error_mentions(path, "temporary file", NULL));
  CHECK(mien_write_file_atomic(path, "x", 1) == -1);
  CHECK(strcmp(listing(), "") == 0);
}

int main(void) {
  umask(022);
  if (temp_dir_create("atomic") != 0) return 1;
  test_new_file();
  test_replace_keeps_mode();
  test_empty_write();
  test_abort();
  test_failed_write();
  test_failed_rename();
  test_missing_directory();
  CHECK(strcmp(listing(), "") == 0);
  temp_dir_remove();
  return check_exit("test_atomic_file");
}
