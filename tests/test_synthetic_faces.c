/* Synthetic faces: a pure function of (seed, index), balanced classes,
 * real variation within a class and visible differences between classes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/synthetic_faces.h"

enum { S = 48, PIX = S * S, N = 700 };

static uint8_t faces[N * PIX], again[N * PIX];
static int64_t labels[N], labels_again[N];

static void test_determinism_and_balance(void) {
  CHECK(mien_synthetic_faces(N, S, 42, faces, labels) == 0);
  CHECK(mien_synthetic_faces(N, S, 42, again, labels_again) == 0);
  CHECK(memcmp(faces, again, sizeof faces) == 0 && memcmp(labels, labels_again, sizeof labels) == 0);

  /* Face i doesn't depend on n: a shorter run is a prefix. */
  CHECK(mien_synthetic_faces(25, S, 42, again, NULL) == 0);
  CHECK(memcmp(faces, again, 25 * PIX) == 0);

  CHECK(mien_synthetic_faces(N, S, 43, again, labels_again) == 0);
  CHECK(memcmp(faces, again, sizeof faces) != 0 && memcmp(labels, labels_again, sizeof labels) != 0);

  int counts[MIEN_EXPRESSIONS] = {0}, match = 1, in_range = 1;
  for (int i = 0; i < N; i++) {
    in_range &= labels[i] >= 0 && labels[i] < MIEN_EXPRESSIONS;
    if (labels[i] >= 0 && labels[i] < MIEN_EXPRESSIONS) counts[labels[i]]++;
    match &= mien_synthetic_face_label(42, i) == labels[i];
  }
  CHECK(in_range && match);
  for (int k = 0; k < MIEN_EXPRESSIONS; k++) CHECK(counts[k] == N / MIEN_EXPRESSIONS);
  /* Shuffled: not simply i % 7. */
  int plain = 1;
  for (int i = 0; i < N; i++) plain &= labels[i] == i % MIEN_EXPRESSIONS;
  CHECK(!plain);
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b) {
  double s = 0;
  for (int p = 0; p < PIX; p++) s += fabs((double)a[p] - b[p]);
  return s / PIX;
}

static void test_variation(void) {
  /* Every face has contrast; two faces of one class are still far apart. */
  int contrast = 1;
  for (int i = 0; i < N; i++) {
    int lo = 255, hi = 0;
    for (int p = 0; p < PIX; p++) {
      lo = faces[i * PIX + p] < lo ? faces[i * PIX + p] : lo;
      hi = faces[i * PIX + p] > hi ? faces[i * PIX + p] : hi;
    }
    contrast &= hi - lo > 60;
  }
  CHECK(contrast);
  int first[MIEN_EXPRESSIONS], second[MIEN_EXPRESSIONS];
  for (int k = 0; k < MIEN_EXPRESSIONS; k++) first[k] = second[k] = -1;
  for (int i = 0; i < N; i++) {
    int k = (int)labels[i];
    if (first[k] < 0) first[k] = i;
    else if (second[k] < 0) second[k] = i;
  }
  for (int k = 0; k < MIEN_EXPRESSIONS; k++)
    CHECK(mean_abs_diff(faces + first[k] * PIX, faces + second[k] * PIX) > 5.0);

  /* Class means differ from each other: the expressions change the picture. */
  static double mean[MIEN_EXPRESSIONS][PIX];
  memset(mean, 0, sizeof mean);
  for (int i = 0; i < N; i++)
    for (int p = 0; p < PIX; p++) mean[labels[i]][p] += faces[i * PIX + p] / (double)(N / MIEN_EXPRESSIONS);
  double closest = 1e9;
  for (int a = 0; a < MIEN_EXPRESSIONS; a++)
    for (int b = a + 1; b < MIEN_EXPRESSIONS; b++) {
      double d = 0;
      for (int p = 0; p < PIX; p++) d += fabs(mean[a][p] - mean[b][p]);
      closest = d / PIX < closest ? d / PIX : closest;
    }
  CHECK(closest > 2.0); /* about 3.7 for this seed */
}

static void test_sizes_and_errors(void) {
  uint8_t small[14 * 8 * 8], big[7 * 112 * 112];
  CHECK(mien_synthetic_faces(14, 8, 1, small, NULL) == 0);
  CHECK(mien_synthetic_faces(7, 112, 1, big, NULL) == 0);
  CHECK(mien_synthetic_faces(0, 48, 1, NULL, NULL) == 0);
  CHECK(mien_synthetic_faces(3, 4, 1, small, NULL) == -1 && strstr(mien_last_error(), "size 4"));
  CHECK(mien_synthetic_faces(-1, 48, 1, small, NULL) == -1 && strstr(mien_last_error(), "count -1"));
}

int main(void) {
  test_determinism_and_balance();
  test_variation();
  test_sizes_and_errors();
  return check_exit("test_synthetic_faces");
}
