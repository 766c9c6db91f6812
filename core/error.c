#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

void mien_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
}

const char *mien_last_error(void) { return last_error[0] ? last_error : "unknown error"; }

void mien_clear_error(void) { last_error[0] = '\0'; }
