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

/* Facial action units (FACS) of the faces: the drawn expression parameters
 * (after intensity and jitter) expressed as AU intensities in 0..1, one
 * column per AU of mien_synthetic_au_numbers:
 *   AU1 inner brow raiser   inner brow ends up (brow slant < 0, or brows raised)
 *   AU2 outer brow raiser   outer brow ends up
 *   AU4 brow lowerer        inner ends down, brows lowered
 *   AU5 upper lid raiser    eyes wider than neutral
 *   AU6 cheek raiser        eyes narrowed with a smile
 *   AU7 lid tightener       eyes narrowed without one
 *   AU9 nose wrinkler       nose creases
 *   AU10 upper lip raiser   one-sided lip raise
 *   AU12 lip corner puller  corners up
 *   AU15 lip corner depressor corners down
 *   AU20 lip stretcher      mouth wider, corners not up
 *   AU23 lip tightener      mouth narrower, closed
 *   AU25 lips part          mouth open
 *   AU26 jaw drop           mouth wide open */
#define MIEN_SYNTHETIC_AUS 14
extern const int mien_synthetic_au_numbers[MIEN_SYNTHETIC_AUS];

/* Fill aus [n, MIEN_SYNTHETIC_AUS] for faces 0..n-1 of the seed (the faces
 * mien_synthetic_faces draws). Returns 0, or -1 for n < 0. */
int mien_synthetic_face_aus(int64_t n, uint64_t seed, float *aus);

#endif
