/* tiff_fixture OUT H W SPP BITS COMPRESSION [PAGES [SEED]]: writes a TIFF
 * fixture (tiff_fixture.h) for the specs. COMPRESSION: none, lzw, deflate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiff_fixture.h"

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: tiff_fixture OUT H W SPP BITS none|lzw|deflate [PAGES [SEED]]\n");
    return 2;
  }
  const char *z = argv[6];
  int compression = strcmp(z, "lzw") == 0       ? COMPRESSION_LZW
                    : strcmp(z, "deflate") == 0 ? COMPRESSION_ADOBE_DEFLATE
                                                : COMPRESSION_NONE;
  int pages = argc > 7 ? atoi(argv[7]) : 1, seed = argc > 8 ? atoi(argv[8]) : 0;
  if (tiff_fixture_write(argv[1], atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), compression, pages,
                         seed) != 0) {
    fprintf(stderr, "tiff_fixture: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
