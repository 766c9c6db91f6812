/* Synthetic expression faces: per-face parameters from Philox, then a
 * per-pixel rasteriser of soft-edged shapes in a face-centred frame. */
#include "synthetic_faces.h"

#include <math.h>

#include "error.h"
#include "face_shapes.h"
#include "rng.h"

#define LABEL_TAG (UINT64_C(1) << 60)
#define NOISE_TAG (UINT64_C(1) << 61)
#define SHAPE_BLOCKS 8
#define NEUTRAL 6

/* Mean expression geometry, in face units (the face is about 1.8 tall). */
typedef struct expression {
  float brow_raise; /* brows move by this; negative is up */
  float brow_slant; /* inner ends move down by this (angry), up if negative (sad) */
  float brow_arch;  /* middle of the brow rises by this */
  float eye_open;   /* eye height relative to neutral */
  float mouth_curve; /* corners rise by this (smile); negative turns them down */
  float mouth_open;  /* half-height of the open mouth */
  float mouth_width; /* relative to neutral */
  float lip_tilt;    /* one corner rises by this (disgust) */
  float wrinkle;     /* nose wrinkles, 0..1 */
  int teeth;
} expression;

static const expression expressions[MIEN_EXPRESSIONS] = {
    /* angry    */ {0.05f, 0.09f, 0.00f, 0.70f, -0.03f, 0.00f, 0.90f, 0.00f, 0.3f, 0},
    /* disgust  */ {0.03f, 0.04f, 0.00f, 0.55f, -0.05f, 0.03f, 1.00f, 0.04f, 1.0f, 0},
    /* fear     */ {-0.07f, -0.06f, 0.00f, 1.45f, -0.03f, 0.07f, 1.20f, 0.00f, 0.0f, 1},
    /* happy    */ {-0.01f, 0.00f, 0.02f, 0.70f, 0.10f, 0.05f, 1.25f, 0.00f, 0.0f, 1},
    /* sad      */ {-0.01f, -0.08f, 0.00f, 0.75f, -0.08f, 0.00f, 0.95f, 0.00f, 0.0f, 0},
    /* surprise */ {-0.11f, 0.00f, 0.05f, 1.50f, 0.00f, 0.16f, 0.60f, 0.00f, 0.0f, 0},
    /* neutral  */ {0.00f, 0.00f, 0.01f, 1.00f, 0.00f, 0.00f, 1.00f, 0.00f, 0.0f, 0},
};

/* Where a group of features can paint, before the blur margin. */
typedef struct box {
  float half_width, top, bottom;
} box;

typedef struct face {
  float cos_r, sin_r, scale, shift_x, shift_y; /* pose */
  float face_rx, face_ry, face_cy, hairline;
  float eye_x, eye_y, eye_rx, eye_ry, iris_r;
  float brow_y, brow_inner_x, brow_outer_x, brow_half;
  float nose_y, mouth_y, mouth_w;
  float skin, hair, bg, brow_tone;
  expression e;
  box eyes, nose, mouth;
  float light_x, light_y, noise;
} face;

static float lerpf(float lo, float hi, float u) { return lo + (hi - lo) * u; }
static float jitter(float u, float amount) { return (2.0f * u - 1.0f) * amount; }

int64_t mien_synthetic_face_label(uint64_t seed, int64_t i) {
  int64_t group = i / MIEN_EXPRESSIONS;
  uint32_t w[8];
  mien_philox(seed, LABEL_TAG + 2 * (uint64_t)group, w);
  mien_philox(seed, LABEL_TAG + 2 * (uint64_t)group + 1, w + 4);
  int perm[MIEN_EXPRESSIONS];
  for (int k = 0; k < MIEN_EXPRESSIONS; k++) perm[k] = k;
  for (int k = MIEN_EXPRESSIONS - 1; k > 0; k--) { /* Fisher-Yates */
    int j = (int)(((uint64_t)w[k] * (uint64_t)(k + 1)) >> 32);
    int t = perm[k];
    perm[k] = perm[j];
    perm[j] = t;
  }
  return perm[i % MIEN_EXPRESSIONS];
}

/* Brow control points of one side (s = -1 left, +1 right). */
static void brow_points(const face *f, float s, float pt[6]) {
  float inner_y = f->brow_y + f->e.brow_slant, outer_y = f->brow_y - 0.4f * f->e.brow_slant;
  pt[0] = s * f->brow_inner_x;
  pt[1] = inner_y;
  pt[2] = s * 0.5f * (f->brow_inner_x + f->brow_outer_x);
  pt[3] = 0.5f * (inner_y + outer_y) - f->e.brow_arch;
  pt[4] = s * f->brow_outer_x;
  pt[5] = outer_y;
}

/* Bounds of the shapes painted by the three feature painters, so the
 * rasteriser can skip most pixels; the painters' own sizes are repeated here. */
static void feature_boxes(face *f) {
  float b[6];
  brow_points(f, 1.0f, b);
  f->eyes.half_width = maxf(b[4] + f->brow_half, f->eye_x + f->eye_rx + 0.02f);
  f->eyes.top = minf(minf(b[1], b[3]), b[5]) - f->brow_half;
  f->eyes.bottom = maxf(maxf(maxf(b[1], b[3]), b[5]) + f->brow_half, f->eye_y + f->eye_ry + 0.018f);
  f->nose.half_width = 0.15f;
  f->nose.top = f->eye_y + 0.015f;
  f->nose.bottom = maxf(f->nose_y + 0.02f, f->eye_y + 0.185f);
  float reach = fabsf(f->e.lip_tilt) + f->e.mouth_open + 0.022f;
  f->mouth.half_width = f->mouth_w;
  f->mouth.top = f->mouth_y - maxf(f->e.mouth_curve, 0.0f) - reach;
  f->mouth.bottom = f->mouth_y + maxf(-f->e.mouth_curve, 0.0f) + reach;
}

static int in_box(const box *b, float x, float y, float margin) {
  return fabsf(x) < b->half_width + margin && y > b->top - margin && y < b->bottom + margin;
}

static void draw_face(uint64_t seed, int64_t i, int label, face *f) {
  float u[4 * SHAPE_BLOCKS];
  for (int b = 0; b < SHAPE_BLOCKS; b++) {
    uint32_t w[4];
    mien_philox(seed, (uint64_t)i * SHAPE_BLOCKS + (uint64_t)b, w);
    for (int k = 0; k < 4; k++) u[4 * b + k] = mien_unit_float(w[k]);
  }
  const float deg = 3.14159265f / 180.0f;
  float rot = jitter(u[15], 10.0f) * deg;
  f->cos_r = cosf(rot);
  f->sin_r = sinf(rot);
  f->scale = lerpf(0.88f, 1.08f, u[18]);
  f->shift_x = jitter(u[16], 0.08f);
  f->shift_y = jitter(u[17], 0.08f);

  /* Intensity scales the expression's departure from neutral: some faces
   * are subtle, some exaggerated. */
  const expression *n = &expressions[NEUTRAL];
  expression e = expressions[label];
  float intensity = lerpf(0.55f, 1.15f, u[31]);
  e.brow_raise = n->brow_raise + intensity * (e.brow_raise - n->brow_raise);
  e.brow_slant = n->brow_slant + intensity * (e.brow_slant - n->brow_slant);
  e.brow_arch = n->brow_arch + intensity * (e.brow_arch - n->brow_arch);
  e.eye_open = n->eye_open + intensity * (e.eye_open - n->eye_open);
  e.mouth_curve = n->mouth_curve + intensity * (e.mouth_curve - n->mouth_curve);
  e.mouth_open = n->mouth_open + intensity * (e.mouth_open - n->mouth_open);
  e.mouth_width = n->mouth_width + intensity * (e.mouth_width - n->mouth_width);
  e.lip_tilt *= intensity;
  e.wrinkle *= intensity;
  e.brow_raise += jitter(u[22], 0.02f);
  e.brow_slant += jitter(u[23], 0.025f);
  e.brow_arch += jitter(u[24], 0.015f);
  e.eye_open *= 1.0f + jitter(u[25], 0.15f);
  e.mouth_curve += jitter(u[26], 0.025f);
  e.mouth_open = maxf(0.0f, e.mouth_open + jitter(u[27], 0.025f));
  e.mouth_width *= 1.0f + jitter(u[28], 0.08f);
  e.lip_tilt *= u[29] < 0.5f ? -1.0f : 1.0f; /* either corner */
  e.wrinkle = minf(1.0f, e.wrinkle * lerpf(0.6f, 1.0f, u[30]));
  f->e = e;

  f->face_rx = lerpf(0.62f, 0.76f, u[0]);
  f->face_ry = lerpf(0.84f, 0.98f, u[1]);
  f->face_cy = 0.06f;
  f->hairline = lerpf(-0.8f, -0.5f, u[14]);
  f->eye_x = lerpf(0.26f, 0.34f, u[2]);
  f->eye_y = lerpf(-0.2f, -0.1f, u[3]);
  f->eye_rx = lerpf(0.1f, 0.13f, u[4]);
  f->eye_ry = 0.05f * e.eye_open;
  f->iris_r = 0.55f * f->eye_rx;
  f->brow_y = f->eye_y - lerpf(0.12f, 0.16f, u[5]) + e.brow_raise;
  f->brow_half = lerpf(0.022f, 0.034f, u[6]);
  float brow_len = lerpf(0.24f, 0.3f, u[7]);
  f->brow_inner_x = f->eye_x - 0.45f * brow_len;
  f->brow_outer_x = f->eye_x + 0.55f * brow_len;
  f->nose_y = f->eye_y + lerpf(0.28f, 0.36f, u[8]);
  f->mouth_y = f->nose_y + lerpf(0.16f, 0.22f, u[9]);
  f->mouth_w = lerpf(0.2f, 0.27f, u[10]) * e.mouth_width;
  f->skin = lerpf(110.0f, 215.0f, u[11]);
  f->hair = lerpf(10.0f, 90.0f, u[12]);
  f->bg = lerpf(20.0f, 200.0f, u[13]);
  f->brow_tone = 0.2f * f->skin + 0.6f * f->hair;
  f->light_x = jitter(u[19], 0.3f);
  f->light_y = jitter(u[20], 0.3f);
  f->noise = lerpf(2.0f, 12.0f, u[21]);
  feature_boxes(f);
}

static float paint_eyes_and_brows(const face *f, float x, float y, float pix, float v) {
  for (int side = -1; side <= 1; side += 2) {
    float s = (float)side, cx = s * f->eye_x;
    /* Brow: two segments, inner end -> raised middle -> outer end. */
    float b[6];
    brow_points(f, s, b);
    float brow = minf(capsule_dist(x, y, b[0], b[1], b[2], b[3], f->brow_half),
                      capsule_dist(x, y, b[2], b[3], b[4], b[5], f->brow_half));
    v = blend(v, f->brow_tone, coverage(brow, pix));
    /* Eye: dark lids and lashes, the white, then the iris clipped to it. */
    float lids = ellipse_dist(x, y, cx, f->eye_y, f->eye_rx + 0.02f, f->eye_ry + 0.018f);
    float white = ellipse_dist(x, y, cx, f->eye_y, f->eye_rx, f->eye_ry);
    float iris = maxf(ellipse_dist(x, y, cx, f->eye_y, f->iris_r, f->iris_r), white);
    v = blend(v, 0.3f * f->skin, coverage(lids, pix));
    v = blend(v, 205.0f, coverage(white, pix));
    v = blend(v, 30.0f, coverage(iris, pix));
  }
  return v;
}

static float paint_nose(const face *f, float x, float y, float pix, float v) {
  float ridge = capsule_dist(x, y, 0.02f, f->eye_y + 0.08f, 0.04f, f->nose_y - 0.03f, 0.012f);
  v = blend(v, 0.7f * f->skin, 0.6f * coverage(ridge, pix));
  for (int side = -1; side <= 1; side += 2) {
    float nostril = ellipse_dist(x, y, (float)side * 0.06f, f->nose_y, 0.035f, 0.02f);
    v = blend(v, 0.4f * f->skin, 0.8f * coverage(nostril, pix));
    if (f->e.wrinkle > 0.0f) { /* disgust: creases beside the nose and across the bridge */
      float s = (float)side;
      float crease = capsule_dist(x, y, s * 0.05f, f->eye_y + 0.1f, s * 0.13f, f->eye_y + 0.17f, 0.012f);
      v = blend(v, 0.5f * f->skin, f->e.wrinkle * coverage(crease, pix));
    }
  }
  if (f->e.wrinkle > 0.0f) {
    float bridge = capsule_dist(x, y, -0.06f, f->eye_y + 0.03f, 0.06f, f->eye_y + 0.03f, 0.01f);
    v = blend(v, 0.5f * f->skin, f->e.wrinkle * coverage(bridge, pix));
  }
  return v;
}

/* Mouth: a lens around the curve yc(x) = mouth_y - curve*xn^2 + tilt*xn,
 * xn = x / mouth_w, half-open by mouth_open*sqrt(1 - xn^2), lips around it. */
static float paint_mouth(const face *f, float x, float y, float pix, float v) {
  float xn = x / f->mouth_w;
  float yc = f->mouth_y - f->e.mouth_curve * xn * xn + f->e.lip_tilt * xn;
  float half = f->e.mouth_open * sqrtf(maxf(0.0f, 1.0f - xn * xn));
  float dy = fabsf(y - yc);
  float lips = maxf(dy - half - 0.022f, fabsf(x) - f->mouth_w);
  v = blend(v, 0.55f * f->skin, coverage(lips, pix));
  if (f->e.mouth_open > 0.005f) {
    float cavity = maxf(dy - half, fabsf(x) - 0.92f * f->mouth_w);
    v = blend(v, 0.15f * f->skin, coverage(cavity, pix));
    if (f->e.teeth) {
      float teeth = maxf(cavity, (y - yc) + 0.25f * half);
      v = blend(v, 215.0f, coverage(teeth, pix));
    }
  }
  return v;
}

/* Intensity of the face at face-frame point (x, y), before light and noise. */
static float paint(const face *f, float x, float y, float pix) {
  float v = f->bg;
  float head = maxf(ellipse_dist(x, y, 0.0f, f->face_cy - 0.06f, 1.12f * f->face_rx, 1.08f * f->face_ry),
                     y - (f->face_cy + 0.25f));
  v = blend(v, f->hair, coverage(head, pix));
  v = blend(v, 0.75f * f->skin, coverage(capsule_dist(x, y, 0.0f, 0.6f, 0.0f, 2.0f, 0.3f), pix)); /* neck */
  float face_d = ellipse_dist(x, y, 0.0f, f->face_cy, f->face_rx, f->face_ry);
  float rx = x / f->face_rx, ry = (y - f->face_cy) / f->face_ry;
  v = blend(v, f->skin * (1.0f - 0.18f * (rx * rx + ry * ry)), coverage(face_d, pix)); /* rounded shading */
  float fringe = maxf(head, y - (f->hairline + 0.12f * rx * rx)); /* the head, so no skin halo */
  v = blend(v, f->hair, coverage(fringe, pix));
  float margin = 2.0f * pix; /* coverage reaches half a pixel past a shape */
  if (in_box(&f->eyes, x, y, margin)) v = paint_eyes_and_brows(f, x, y, pix, v);
  if (in_box(&f->nose, x, y, margin)) v = paint_nose(f, x, y, pix, v);
  if (in_box(&f->mouth, x, y, margin)) v = paint_mouth(f, x, y, pix, v);
  return v;
}

/* Roughly Gaussian noise with mean 0 and variance 1: the sum of the four
 * uniforms of one Philox block (Irwin-Hall), centred and scaled. */
static float unit_noise(uint64_t seed, uint64_t block) {
  uint32_t w[4];
  mien_philox(seed, block, w);
  float sum = mien_unit_float(w[0]) + mien_unit_float(w[1]) + mien_unit_float(w[2]) + mien_unit_float(w[3]);
  return (sum - 2.0f) * 1.7320508f; /* variance of the sum is 4/12 */
}

static void render(const face *f, int size, uint64_t seed, int64_t i, uint8_t *out) {
  float pix = 2.0f / (float)size / f->scale; /* one pixel in face units */
  uint64_t noise_base = NOISE_TAG + (uint64_t)i * (uint64_t)size * (uint64_t)size;
  for (int py = 0; py < size; py++)
    for (int px = 0; px < size; px++) {
      /* Image coordinates in [-1, 1], then the inverse pose into the face frame. */
      float iu = ((float)px + 0.5f) / (float)size * 2.0f - 1.0f, iv = ((float)py + 0.5f) / (float)size * 2.0f - 1.0f;
      float du = (iu - f->shift_x) / f->scale, dv = (iv - f->shift_y) / f->scale;
      float x = f->cos_r * du + f->sin_r * dv, y = -f->sin_r * du + f->cos_r * dv;
      float v = paint(f, x, y, pix) * (1.0f + f->light_x * iu + f->light_y * iv);
      int p = py * size + px;
      v += f->noise * unit_noise(seed, noise_base + (uint64_t)p);
      v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
      out[p] = (uint8_t)(v + 0.5f);
    }
}

const int mien_synthetic_au_numbers[MIEN_SYNTHETIC_AUS] = {1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 20, 23, 25, 26};

static float unit(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

/* The expression parameters as AU intensities (see the header). The
 * divisors are each parameter's departure at a full-intensity prototype
 * (the table above), so a prototype face reads about 1. */
static void expression_aus(const expression *e, float *au) {
  float smile = unit(e->mouth_curve / 0.05f), narrow = unit((1.0f - e->eye_open) / 0.3f);
  float closed = 1.0f - unit(e->mouth_open / 0.05f);
  au[0] = unit((-e->brow_slant + maxf(0.0f, -e->brow_raise)) / 0.08f);   /* AU1 */
  au[1] = unit(-(e->brow_raise - 0.4f * e->brow_slant) / 0.08f);         /* AU2 */
  au[2] = unit((e->brow_slant + maxf(0.0f, e->brow_raise)) / 0.08f);     /* AU4 */
  au[3] = unit((e->eye_open - 1.0f) / 0.4f);                             /* AU5 */
  au[4] = narrow * smile;                                                /* AU6 */
  au[5] = narrow * (1.0f - smile);                                       /* AU7 */
  au[6] = unit(e->wrinkle);                                              /* AU9 */
  au[7] = unit(fabsf(e->lip_tilt) / 0.04f);                              /* AU10 */
  au[8] = unit(e->mouth_curve / 0.08f);                                  /* AU12 */
  au[9] = unit(-e->mouth_curve / 0.06f);                                 /* AU15 */
  au[10] = unit((e->mouth_width - 1.0f) / 0.2f) * (1.0f - smile);        /* AU20 */
  au[11] = unit((1.0f - e->mouth_width) / 0.1f) * closed;                /* AU23 */
  au[12] = unit(e->mouth_open / 0.04f);                                  /* AU25 */
  au[13] = unit((e->mouth_open - 0.04f) / 0.08f);                        /* AU26 */
}

int mien_synthetic_face_aus(int64_t n, uint64_t seed, float *aus) {
  if (n < 0) {
    mien_set_error("synthetic faces: invalid count %lld", (long long)n);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    face f;
    draw_face(seed, i, (int)mien_synthetic_face_label(seed, i), &f);
    expression_aus(&f.e, aus + i * MIEN_SYNTHETIC_AUS);
  }
  return 0;
}

int mien_synthetic_faces(int64_t n, int size, uint64_t seed, uint8_t *pixels, int64_t *labels) {
  if (n < 0 || size < 8) {
    mien_set_error("synthetic faces: invalid count %lld or size %d (need n >= 0, size >= 8)", (long long)n, size);
    return -1;
  }
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 0; i < n; i++) {
    int label = (int)mien_synthetic_face_label(seed, i);
    face f;
    draw_face(seed, i, label, &f);
    render(&f, size, seed, i, pixels + i * (int64_t)size * size);
    if (labels) labels[i] = label;
  }
  return 0;
}
