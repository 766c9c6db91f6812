/* Reader for the Kaggle FER2013 CSV (fer2013.csv): a header line naming the
 * columns, then one row per face: emotion (0 angry, 1 disgust, 2 fear,
 * 3 happy, 4 sad, 5 surprise, 6 neutral), pixels (2304 space-separated
 * integers 0..255, a 48x48 grey image, row-major) and Usage (Training,
 * PublicTest or PrivateTest). Columns are found by their header names, in any
 * order (icml_face_data.csv has "emotion, Usage, pixels"); without a Usage
 * column every row counts as Training. The file may be gzip-compressed. */
#ifndef MIEN_IMAGE_FER_CSV_H
#define MIEN_IMAGE_FER_CSV_H

#include <stdint.h>

#define MIEN_FER_SIDE 48
#define MIEN_FER_PIXELS (MIEN_FER_SIDE * MIEN_FER_SIDE)
#define MIEN_FER_CLASSES 7

typedef enum mien_fer_usage {
  MIEN_FER_TRAINING = 0,
  MIEN_FER_PUBLIC_TEST = 1,
  MIEN_FER_PRIVATE_TEST = 2,
  MIEN_FER_USAGES = 3
} mien_fer_usage;

typedef struct mien_fer_split {
  int64_t n;       /* rows of this Usage, in file order */
  int64_t *labels; /* [n], 0..6 */
  uint8_t *pixels; /* [n,48,48] */
} mien_fer_split;

typedef struct mien_fer_data {
  mien_fer_split split[MIEN_FER_USAGES]; /* indexed by mien_fer_usage */
} mien_fer_data;

/* Read the whole file. A malformed row (missing field, wrong pixel count,
 * value out of range, bad label or Usage) fails with an error naming the
 * file and the 1-based line number. Empty lines are skipped. On failure
 * nothing is left allocated. Returns 0 or -1. */
int mien_fer_csv_read(const char *path, mien_fer_data *out);
void mien_fer_csv_free(mien_fer_data *data);

#endif
