/* JPEG structure check before stb_image decodes: walks every marker segment
 * (and the entropy-coded data after each SOS, since progressive files define
 * Huffman tables between scans) and validates each DHT table. stb_image 2.27
 * builds its tables without checking that the 16 code counts sum to at most
 * 256, and writes past a 257-byte array when they do not. */
#include <stdio.h>

#include "error.h"
#include "image_check.h"

/* One DHT segment's body: any number of tables, each a class/id byte, 16
 * code counts and that many symbols. Marks defined[class][id]. */
static int check_dht(const char *name, const uint8_t *p, size_t n, size_t at, unsigned char defined[2][4]) {
  size_t i = 0;
  while (i < n) {
    int tc = p[i] >> 4, th = p[i] & 15;
    if (tc > 1 || th > 3) {
      mien_set_error("'%s': JPEG Huffman table at byte %zu has class %d and id %d (at most 1 and 3)", name, at + i, tc,
                     th);
      return -1;
    }
    if (n - i < 17) {
      mien_set_error("'%s': JPEG Huffman table at byte %zu is cut short", name, at + i);
      return -1;
    }
    /* canonical codes: at each length the codes used so far must leave room */
    unsigned total = 0, code = 0;
    for (int len = 1; len <= 16; len++) {
      unsigned count = p[i + len];
      total += count;
      code += count;
      if (code > (1u << len)) {
        mien_set_error("'%s': JPEG Huffman table at byte %zu has %u codes of length <= %d, more than a prefix code "
                       "allows", name, at + i, code, len);
        return -1;
      }
      code <<= 1;
    }
    if (total > 256) {
      mien_set_error("'%s': JPEG Huffman table at byte %zu has %u codes (at most 256)", name, at + i, total);
      return -1;
    }
    if (n - i - 17 < total) {
      mien_set_error("'%s': JPEG Huffman table at byte %zu lists %u symbols but its segment ends first", name, at + i,
                     total);
      return -1;
    }
    defined[tc][th] = 1;
    i += 17 + total;
  }
  return 0;
}

/* An SOS header's Huffman table selectors must name tables defined before
 * it: stb_image 2.27 decodes with whatever an undefined table's memory
 * holds, and indexes its symbol array with the result. A progressive DC scan
 * uses DC tables only (none when refining), an AC scan AC tables only. */
static int check_sos(const char *name, const uint8_t *p, size_t n, size_t at, int progressive,
                     unsigned char defined[2][4]) {
  if (n < 1 || n < 1 + 2 * (size_t)p[0] + 3) return 0; /* stb rejects the header itself */
  const size_t ns = p[0];
  const int ss = p[1 + 2 * ns], ah = p[3 + 2 * ns] >> 4;
  const int need_dc = !progressive || (ss == 0 && ah == 0), need_ac = !progressive || ss > 0;
  for (size_t k = 0; k < ns; k++) {
    const int td = p[2 + 2 * k] >> 4, ta = p[2 + 2 * k] & 15;
    if (td > 3 || ta > 3) continue; /* stb rejects the selector itself */
    if ((need_dc && !defined[0][td]) || (need_ac && !defined[1][ta])) {
      mien_set_error("'%s': the JPEG scan at byte %zu uses Huffman table %s %d, which is not defined before it", name,
                     at, need_dc && !defined[0][td] ? "DC" : "AC", need_dc && !defined[0][td] ? td : ta);
      return -1;
    }
  }
  return 0;
}

/* Index just past the entropy-coded data that starts at i: the next marker
 * other than a stuffed 0xFF00 or a restart marker; len when none. */
static size_t skip_entropy(const uint8_t *d, size_t len, size_t i) {
  while (i + 1 < len) {
    if (d[i] == 0xFF && d[i + 1] != 0x00 && !(d[i + 1] >= 0xD0 && d[i + 1] <= 0xD7) && d[i + 1] != 0xFF) return i;
    i++;
  }
  return len;
}

int mien_jpeg_check(const char *name, const uint8_t *d, size_t len, size_t *entropy_bytes) {
  size_t entropy = 0, i = 0;
  unsigned char defined[2][4] = {{0}};
  int progressive = -1; /* not known before the frame header */
  /* stb_image, like the standard, allows fill bytes (0xFF) before a marker, SOI included */
  while (i < len && d[i] == 0xFF) i++;
  if (i == 0 || i >= len || d[i] != 0xD8) {
    mien_set_error("'%s': not a JPEG (no start-of-image marker)", name);
    return -1;
  }
  i++;
  for (;;) {
    if (i >= len) {
      mien_set_error("'%s': truncated JPEG (no end-of-image marker; %zu bytes)", name, len);
      return -1;
    }
    if (d[i] != 0xFF) {
      mien_set_error("'%s': JPEG marker expected at byte %zu, found 0x%02x", name, i, d[i]);
      return -1;
    }
    while (i < len && d[i] == 0xFF) i++; /* fill bytes */
    if (i >= len) continue;
    const uint8_t marker = d[i++];
    const size_t at = i - 2;
    if (marker == 0xD9) break; /* EOI */
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; /* no length */
    if (marker == 0xD8 || marker == 0x00) {
      mien_set_error("'%s': unexpected JPEG marker 0x%02x at byte %zu", name, marker, at);
      return -1;
    }
    if (len - i < 2) {
      mien_set_error("'%s': truncated JPEG (segment at byte %zu has no length)", name, at);
      return -1;
    }
    size_t seg = ((size_t)d[i] << 8) | d[i + 1];
    if (seg < 2 || seg > len - i) {
      mien_set_error("'%s': truncated JPEG (segment 0x%02x at byte %zu claims %zu bytes, %zu remain)", name, marker, at,
                     seg, len - i);
      return -1;
    }
    if (marker == 0xC4 && check_dht(name, d + i + 2, seg - 2, i + 2, defined) != 0) return -1;
    /* stb_image takes the first SOF0/1/2 as the frame: SOF2 is decoded progressively */
    if ((marker == 0xC0 || marker == 0xC1 || marker == 0xC2) && progressive < 0) progressive = marker == 0xC2;
    if (marker == 0xDA && check_sos(name, d + i + 2, seg - 2, at, progressive == 1, defined) != 0) return -1;
    i += seg;
    if (marker == 0xDA) { /* SOS: the scan's coded data follows */
      size_t end = skip_entropy(d, len, i);
      entropy += end - i;
      i = end;
    }
  }
  *entropy_bytes = entropy;
  return 0;
}
