/* Error reporting for the core: functions that can fail return NULL or -1 and
 * leave a message here (one per thread). The Lua binding turns it into a Lua
 * error; the core itself never prints, aborts or exits. */
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
