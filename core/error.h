/* Error reporting for the core: functions that can fail return NULL or -1 and
 * leave a message here (one per thread). The Lua binding turns it into a Lua
 * error; the core itself never prints, aborts or exits.
 *
 * Positions in messages (dims, indices, tensor and sample numbers, class
 * labels) are 0-based and written "#N": "dim #0", "index #5 is out of range
 * #0..#4". A binding with another base rewrites each "#N" once, where it
 * raises the error (the Lua binding shows N + 1). */
#ifndef MIEN_ERROR_H
#define MIEN_ERROR_H

#if defined(__GNUC__)
#define MIEN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MIEN_PRINTF(a, b)
#endif

void mien_set_error(const char *fmt, ...) MIEN_PRINTF(1, 2);
const char *mien_last_error(void);
void mien_clear_error(void);

#endif
