/* The CPU storage allocator. Requests from 256 KB are rounded up to a size
 * class (four per power of two), mapped with mmap (2 MB aligned and on huge
 * pages from 4 MB) and, when freed, parked for the next request of their
 * class instead of unmapped: training frees and reallocates the same
 * activation sizes every step, and a freshly mapped block costs a page fault
 * per page when first written. The cache holds at most the larger of 256 MB
 * and the most ever handed out at once; mien_cpu_cache_release empties it.
 * Smaller requests go to malloc. Under AddressSanitizer everything does. */
#ifndef MIEN_CPU_CACHE_H
#define MIEN_CPU_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "storage.h" /* mien_cpu_memory_info */

/* nbytes of memory, zero-filled when `zero`; NULL when out of memory. */
void *mien_cpu_alloc(size_t nbytes, bool zero);
/* Returns a block of mien_cpu_alloc(nbytes, ...) to the cache (or to the
 * system once the cache holds its limit). */
void mien_cpu_free(void *ptr, size_t nbytes);
/* Unmaps every parked block; returns the bytes released. */
size_t mien_cpu_cache_release(void);
/* False under AddressSanitizer, where every request goes to malloc. */
bool mien_cpu_cache_enabled(void);
/* The cache's figures (only mapped blocks, not the malloc'd small ones). */
void mien_cpu_cache_stats(mien_cpu_memory_info *out);

#endif
