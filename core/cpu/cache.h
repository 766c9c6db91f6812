/* The CPU storage allocator: malloc, except that freed blocks too large for
 * glibc's heap are kept, by size class, for the next request of that class.
 * Training frees and reallocates the same activation sizes every step, and a
 * block that glibc maps fresh costs a page fault per 4 KB page when first
 * written (about 13 us each on the development VM: 120 ms for a 37 MB
 * activation). Requests that need no zeroing skip calloc's memset. */
#ifndef MIEN_CPU_CACHE_H
#define MIEN_CPU_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* nbytes of memory, zero-filled when `zero`; NULL when out of memory. */
void *mien_cpu_alloc(size_t nbytes, bool zero);
/* Returns a block of mien_cpu_alloc(nbytes, ...) to the cache (or to malloc
 * once the cache holds its limit). */
void mien_cpu_free(void *ptr, size_t nbytes);

#endif
