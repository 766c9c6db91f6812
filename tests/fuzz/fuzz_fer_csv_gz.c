/* libFuzzer: the FER2013 CSV reader on gzip data (seeds are .csv.gz files,
 * so mutations hit zlib's framing, CRC and truncation paths). */
#include "fuzz_util.h"
#include "image/fer_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mien_fer_data d;
  if (mien_fer_csv_read(fuzz_write("fer2013.csv.gz", data, size), &d) == 0) mien_fer_csv_free(&d);
  return 0;
}
