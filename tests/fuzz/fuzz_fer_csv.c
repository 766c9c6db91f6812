/* libFuzzer: the FER2013 CSV reader on plain text (the file as given). */
#include "fuzz_util.h"
#include "image/fer_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mien_fer_data d;
  if (mien_fer_csv_read(fuzz_write("fer2013.csv", data, size), &d) == 0) {
    for (int u = 0; u < MIEN_FER_USAGES; u++)
      for (int64_t i = 0; i < d.split[u].n; i++)
        if (d.split[u].labels[i] < 0 || d.split[u].labels[i] >= MIEN_FER_CLASSES) abort();
    mien_fer_csv_free(&d);
  }
  return 0;
}
