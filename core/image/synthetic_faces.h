/* Parametric grey faces for the seven basic expressions, as a stand-in
 * data set for tests and smoke runs: face oval, hair, eyebrows, eyes, nose
 * and mouth drawn with anti-aliased (one-pixel soft) edges. Labels follow
 * the Kaggle FER2013 order: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad,
 * 5 surprise, 6 neutral.
 *
 * The expression sets eyebrow height, slant and arch, eye opening, mouth
 * curvature, width and opening, teeth (happy, fear), lip tilt and nose
 * wrinkles (disgust, a trace in angry), scaled by a per-face intensity
 * (subtle to exaggerated) and jittered. Identity (face width and height, eye
 * spacing, brow thickness, mouth and nose placement, skin, hair and
 * background tones, hairline), pose (rotation +-10 degrees, shift, scale),
 * a lighting gradient and Gaussian pixel noise vary per face.
 *
 * Face i is a pure function of (seed, i), whatever n and the thread count:
 *   label: faces 7b..7b+6 hold a permutation of 0..6 drawn from Philox
 *          blocks 2^60 + 2b and 2^60 + 2b + 1 (so classes are balanced in
 *          every aligned group of seven);
 *   shape: 32 uniforms from blocks 8i .. 8i+7;
 *   noise: pixel p (row-major) from block 2^61 + i*size*size + p
 *          (the sum of its four uniforms, centred and scaled to variance 1). */
#ifndef MIEN_IMAGE_SYNTHETIC_FACES_H
#define MIEN_IMAGE_SYNTHETIC_FACES_H

#include <stdint.h>

#define MIEN_EXPRESSIONS 7

/* Fill pixels [n,size,size] (grey, row-major) and labels [n] (may be NULL)
 * for faces 0..n-1 of the seed. size >= 8. OpenMP over faces. Returns 0, or
 * -1 for a bad n or size. */
int mien_synthetic_faces(int64_t n, int size, uint64_t seed, uint8_t *pixels, int64_t *labels);

/* The label of face i alone. */
int64_t mien_synthetic_face_label(uint64_t seed, int64_t i);

#endif
