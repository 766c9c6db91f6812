/* Signed distances (negative inside) and soft coverage for the synthetic
 * face rasteriser. Internal to core/image. Distances are combined with
 * maxf (intersection) and minf (union): ternaries, since GCC calls libm for
 * fmaxf/fminf without -ffinite-math-only. */
#ifndef MIEN_IMAGE_FACE_SHAPES_H
#define MIEN_IMAGE_FACE_SHAPES_H

#include <math.h>

static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

/* Approximate distance to an axis-aligned ellipse centred at (cx, cy): the
 * radial scale of the point, times the smaller radius. Exact for circles and
 * close to the edge, which is all anti-aliasing needs. */
static inline float ellipse_dist(float x, float y, float cx, float cy, float rx, float ry) {
  float dx = (x - cx) / rx, dy = (y - cy) / ry;
  return (sqrtf(dx * dx + dy * dy) - 1.0f) * (rx < ry ? rx : ry);
}

/* Distance to the segment (ax, ay)-(bx, by), minus its half-thickness. */
static inline float capsule_dist(float x, float y, float ax, float ay, float bx, float by, float half) {
  float px = x - ax, py = y - ay, ux = bx - ax, uy = by - ay;
  float t = (px * ux + py * uy) / (ux * ux + uy * uy);
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  float dx = px - t * ux, dy = py - t * uy;
  return sqrtf(dx * dx + dy * dy) - half;
}

/* Fraction of a pixel of side pix covered by the shape at distance d. */
static inline float coverage(float d, float pix) {
  float c = 0.5f - d / pix;
  return c < 0.0f ? 0.0f : c > 1.0f ? 1.0f : c;
}

/* Paint tone over value with opacity alpha. */
static inline float blend(float value, float tone, float alpha) { return value + (tone - value) * alpha; }

#endif
