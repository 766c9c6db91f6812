/* FER2013 CSV reader: plain and gzip files, column order, CRLF, and
 * malformed rows reported with the file and the 1-based line number. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "error.h"
#include "image/fer_csv.h"

static char path[128], gz_path[128];

/* Pixel j of row r. */
static int pixel(int r, int j) { return (r * 31 + j * 7) % 256; }

/* A pixels field for row r with count values and one optional override. */
static void pixels_field(char *out, int r, int count, int bad_index, const char *bad_value) {
  char *p = out;
  for (int j = 0; j < count; j++) {
    if (j) *p++ = ' ';
    p += j == bad_index ? sprintf(p, "%s", bad_value) : sprintf(p, "%d", pixel(r, j));
  }
  *p = '\0';
}

static const char *usages[] = {"Training", "PublicTest", "Training", "PrivateTest", "PublicTest"};

/* The well-formed file: header plus five rows, label of row r = (r*3) % 7. */
static char *good_csv(const char *eol) {
  static char text[5 * 12000];
  char *p = text, field[12000];
  p += sprintf(p, "emotion,pixels,Usage%s", eol);
  for (int r = 0; r < 5; r++) {
    pixels_field(field, r, MIEN_FER_PIXELS, -1, NULL);
    p += sprintf(p, "%d,%s,%s%s", (r * 3) % 7, field, usages[r], eol);
  }
  return text;
}

static int row_ok(const mien_fer_split *s, int64_t k, int r) {
  if (s->labels[k] != (r * 3) % 7) return 0;
  for (int j = 0; j < MIEN_FER_PIXELS; j++)
    if (s->pixels[k * MIEN_FER_PIXELS + j] != pixel(r, j)) return 0;
  return 1;
}

static void check_good(const mien_fer_data *d) {
  const mien_fer_split *train = &d->split[MIEN_FER_TRAINING], *pub = &d->split[MIEN_FER_PUBLIC_TEST],
                       *priv = &d->split[MIEN_FER_PRIVATE_TEST];
  CHECK(train->n == 2 && pub->n == 2 && priv->n == 1);
  if (train->n == 2 && pub->n == 2 && priv->n == 1)
    CHECK(row_ok(train, 0, 0) && row_ok(train, 1, 2) && row_ok(pub, 0, 1) && row_ok(pub, 1, 4) && row_ok(priv, 0, 3));
}

static void test_good(void) {
  mien_fer_data d;
  write_text(path, good_csv("\n"));
  CHECK(mien_fer_csv_read(path, &d) == 0);
  check_good(&d);
  mien_fer_csv_free(&d);

  write_text(path, good_csv("\r\n"));
  CHECK(mien_fer_csv_read(path, &d) == 0);
  check_good(&d);
  mien_fer_csv_free(&d);

  gzFile gz = gzopen(gz_path, "wb");
  gzputs(gz, good_csv("\n"));
  gzclose(gz);
  CHECK(mien_fer_csv_read(gz_path, &d) == 0);
  check_good(&d);
  mien_fer_csv_free(&d);

  /* icml_face_data.csv order and spacing; no final newline. */
  static char text[12100], field[12000];
  pixels_field(field, 4, MIEN_FER_PIXELS, -1, NULL);
  sprintf(text, "emotion, Usage, pixels\n5, PrivateTest, %s", field);
  write_text(path, text);
  CHECK(mien_fer_csv_read(path, &d) == 0);
  CHECK(d.split[MIEN_FER_PRIVATE_TEST].n == 1 && d.split[MIEN_FER_TRAINING].n == 0);
  if (d.split[MIEN_FER_PRIVATE_TEST].n == 1)
    CHECK(d.split[MIEN_FER_PRIVATE_TEST].labels[0] == 5 &&
          d.split[MIEN_FER_PRIVATE_TEST].pixels[MIEN_FER_PIXELS - 1] == pixel(4, MIEN_FER_PIXELS - 1));
  mien_fer_csv_free(&d);
}

/* The good file with row `row` (0-based, so on line row + 2) replaced. */
static void check_malformed(const char *bad_row, int row, const char *what) {
  static char text[6 * 12100];
  char field[12000], *p = text;
  p += sprintf(p, "emotion,pixels,Usage\n");
  for (int r = 0; r < 5; r++) {
    pixels_field(field, r, MIEN_FER_PIXELS, -1, NULL);
    p += r == row ? sprintf(p, "%s\n", bad_row) : sprintf(p, "%d,%s,%s\n", (r * 3) % 7, field, usages[r]);
  }
  write_text(path, text);
  char line[32];
  sprintf(line, "line %d:", row + 2);
  mien_fer_data d;
  CHECK(mien_fer_csv_read(path, &d) == -1 && error_mentions(line, what, NULL) &&
        error_mentions("data.csv", NULL, NULL));
  CHECK(d.split[0].n == 0 && d.split[0].labels == NULL); /* nothing left allocated */
}

static void test_malformed(void) {
  static char row[12100], field[12000];
  pixels_field(field, 0, MIEN_FER_PIXELS - 1, -1, NULL);
  sprintf(row, "3,%s,Training", field);
  check_malformed(row, 2, "expected 2304 pixel values, found 2303");
  pixels_field(field, 0, MIEN_FER_PIXELS + 1, -1, NULL);
  sprintf(row, "3,%s,Training", field);
  check_malformed(row, 1, "found 2305");
  pixels_field(field, 0, MIEN_FER_PIXELS, 17, "256");
  sprintf(row, "3,%s,Training", field);
  check_malformed(row, 3, "pixel 18 is out of range");
  pixels_field(field, 0, MIEN_FER_PIXELS, 5, "12x");
  sprintf(row, "3,%s,Training", field);
  check_malformed(row, 0, "pixel 6 is not a number");
  pixels_field(field, 0, MIEN_FER_PIXELS, -1, NULL);
  sprintf(row, "7,%s,Training", field);
  check_malformed(row, 4, "emotion '7'");
  sprintf(row, ",%s,Training", field);
  check_malformed(row, 1, "emotion ''");
  sprintf(row, "2,%s,Validation", field);
  check_malformed(row, 2, "Usage 'Validation'");
  sprintf(row, "2,%s", field);
  check_malformed(row, 3, "expected 3 fields, found 2");

  mien_fer_data d;
  write_text(path, "label,image\n1,2\n");
  CHECK(mien_fer_csv_read(path, &d) == -1 && error_mentions("line 1:", "emotion and pixels", NULL));
  write_text(path, "");
  CHECK(mien_fer_csv_read(path, &d) == -1 && error_mentions("empty file", NULL, NULL));
  unlink(path);
  CHECK(mien_fer_csv_read(path, &d) == -1 && error_mentions("cannot open", "data.csv", NULL));

  /* A gzip file cut short fails instead of passing as a shorter file. */
  gzFile gz = gzopen(gz_path, "wb");
  gzputs(gz, good_csv("\n"));
  gzclose(gz);
  size_t n = 0;
  unsigned char *bytes = read_file(gz_path, &n);
  write_bytes(gz_path, bytes, n * 2 / 3);
  free(bytes);
  CHECK(mien_fer_csv_read(gz_path, &d) == -1 && error_mentions("data.csv.gz", "unexpected end of file", NULL));
}

int main(void) {
  if (temp_dir_create("fer_csv") != 0) return 1;
  temp_path(path, sizeof path, "data.csv");
  temp_path(gz_path, sizeof gz_path, "data.csv.gz");
  test_good();
  test_malformed();
  temp_dir_remove();
  return check_exit("test_fer_csv");
}
