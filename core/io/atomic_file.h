/* Atomic file replacement: everything is written to a temporary file next to
 * the target ("path.tmp.XXXXXX"), which is then renamed over the target. A
 * reader, or the disk after a crash, sees either the old file or the complete
 * new one, never a partial write. */
#ifndef MIEN_IO_ATOMIC_FILE_H
#define MIEN_IO_ATOMIC_FILE_H

#include <stddef.h>

typedef struct mien_atomic_file mien_atomic_file;

/* Create the temporary file. It gets the mode of the file it will replace, or
 * 0666 minus the umask for a new file. NULL on error. */
mien_atomic_file *mien_atomic_open(const char *path);

/* Append n bytes. -1 on error; the handle stays open and must be aborted
 * (committing it fails as well). */
int mien_atomic_write(mien_atomic_file *f, const void *buf, size_t n);

/* Flush and fsync the data, rename it over the target, fsync the directory.
 * Always releases f. If anything before the rename fails, the temporary file
 * is removed and the target is untouched. If only the final directory fsync
 * fails, the target has already been replaced but may not survive a crash;
 * that is reported as an error too. */
int mien_atomic_commit(mien_atomic_file *f);

/* Remove the temporary file and release f; the target is untouched.
 * f may be NULL. Leaves the last error message alone. */
void mien_atomic_abort(mien_atomic_file *f);

/* open + write + commit. */
int mien_write_file_atomic(const char *path, const void *buf, size_t n);

#endif
