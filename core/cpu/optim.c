/* CPU kernels of the fused optimizer updates: one pass over each parameter
 * reads its gradient and state and writes the new state and parameter, in
 * double (each state value rounded to its storage type before it is used,
 * as a separate pass would). Multi-tensor: the parameters of one call are
 * cut into chunks, and the chunks of all of them dealt to the threads in one
 * parallel region, so small tensors cost no fork each and large ones are
 * split. The loops are vectorised (AVX-512, AVX2 or SSE2, picked at load
 * time); this file is built with -fno-math-errno so that sqrt vectorises. */
#include <math.h>
#include <stdlib.h>

#include "cpu/kernels.h"
#include "cpu/threads.h"

/* Elements per work item: a few hundred KB of traffic per chunk. */
#define OPTIM_CHUNK 16384

#if defined(__x86_64__) && defined(__ELF__) && !defined(__clang__) && __GNUC__ >= 12
#define OPTIM_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OPTIM_MULTIVERSION
#endif
#define ALWAYS_INLINE static inline __attribute__((always_inline))

typedef struct work_item {
  int slot;
  int64_t lo, hi;
} work_item;

typedef void (*chunk_fn)(const void *consts, const mien_optim_slot *slot, int64_t lo, int64_t hi);

/* Runs fn over every chunk of every slot, in parallel when there is enough. */
static int for_each_chunk(const char *op, int count, const mien_optim_slot *slots, const void *consts, chunk_fn fn) {
  int64_t nitems = 0, total = 0;
  for (int k = 0; k < count; k++) {
    nitems += (slots[k].numel + OPTIM_CHUNK - 1) / OPTIM_CHUNK;
    total += slots[k].numel;
  }
  if (nitems == 0) return 0;
  work_item *items = malloc(sizeof *items * (size_t)nitems);
  if (!items) return mien_cpu_error("%s: out of memory for %lld work items", op, (long long)nitems);
  int64_t j = 0;
  for (int k = 0; k < count; k++)
    for (int64_t lo = 0; lo < slots[k].numel; lo += OPTIM_CHUNK)
      items[j++] = (work_item){k, lo, lo + OPTIM_CHUNK < slots[k].numel ? lo + OPTIM_CHUNK : slots[k].numel};
#pragma omp parallel for schedule(static) if (total > MIEN_PARALLEL_GRAIN)
  for (int64_t i = 0; i < nitems; i++) fn(consts, &slots[items[i].slot], items[i].lo, items[i].hi);
  free(items);
  return 0;
}

/* ---- SGD ---- */

typedef struct sgd_consts {
  double lr, mom, damp, wd;
  bool nesterov, first, use_mom;
} sgd_consts;

#define SGD_LOOP(T)                                                                              \
  do {                                                                                           \
    T *restrict p = (T *)sl->param, *restrict buf = (T *)sl->state[0];                            \
    const T *restrict gr = (const T *)sl->grad;                                                   \
    const double lr = k->lr, mom = k->mom, damp = k->damp, wd = k->wd;                            \
    const bool nesterov = k->nesterov, first = k->first, use_mom = k->use_mom;                    \
    _Pragma("omp simd") for (int64_t i = lo; i < hi; i++) {                                      \
      const double pi = (double)p[i];                                                            \
      double d = (double)gr[i];                                                                  \
      if (wd != 0.0) d += wd * pi;                                                               \
      if (use_mom) {                                                                             \
        const T b = (T)(first ? d : mom * (double)buf[i] + damp * d);                           \
        buf[i] = b;                                                                              \
        d = nesterov ? d + mom * (double)b : (double)b;                                          \
      }                                                                                          \
      p[i] = (T)(pi - lr * d);                                                                   \
    }                                                                                            \
  } while (0)

static OPTIM_MULTIVERSION void sgd_f32(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const sgd_consts *k = c;
  SGD_LOOP(float);
}
static OPTIM_MULTIVERSION void sgd_f64(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const sgd_consts *k = c;
  SGD_LOOP(double);
}

int mien_cpu_sgd_update(const mien_sgd_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  const sgd_consts k = {o->lr, o->momentum, 1.0 - o->dampening, o->weight_decay, o->nesterov, o->first,
                        o->momentum != 0.0};
  return for_each_chunk("sgd", count, slots, &k, dtype == MIEN_FLOAT32 ? sgd_f32 : sgd_f64);
}

/* ---- Adam / AdamW ---- */

typedef struct adam_consts {
  double b1, b2, eps, wd, step_size, inv_sqrt_bc2, decay;
  bool l2, decoupled, amsgrad;
} adam_consts;

/* The loop with its three switches as constants, so each variant is its own
 * straight vector loop. */
#define ADAM_LOOP(T, L2, DECOUPLED, AMSGRAD)                                                     \
  do {                                                                                           \
    T *restrict p = (T *)sl->param, *restrict m = (T *)sl->state[0], *restrict v = (T *)sl->state[1]; \
    T *restrict vmax = (T *)sl->state[2];                                                         \
    const T *restrict gr = (const T *)sl->grad;                                                   \
    const double b1 = k->b1, b2 = k->b2, c1 = 1.0 - k->b1, c2 = 1.0 - k->b2, eps = k->eps;        \
    const double wd = k->wd, decay = k->decay, step_size = k->step_size, inv_sqrt_bc2 = k->inv_sqrt_bc2; \
    _Pragma("omp simd") for (int64_t i = lo; i < hi; i++) {                                      \
      double pi = (double)p[i];                                                                  \
      double d = (double)gr[i];                                                                  \
      if (DECOUPLED) pi *= decay;                                                                \
      if (L2) d += wd * pi;                                                                      \
      const T mt = (T)(b1 * (double)m[i] + c1 * d);                                              \
      const T vt = (T)(b2 * (double)v[i] + c2 * d * d);                                          \
      m[i] = mt;                                                                                 \
      v[i] = vt;                                                                                 \
      T vu = vt;                                                                                 \
      if (AMSGRAD) {                                                                             \
        vu = vmax[i] > vt ? vmax[i] : vt;                                                        \
        vmax[i] = vu;                                                                            \
      }                                                                                          \
      p[i] = (T)(pi - step_size * (double)mt / (sqrt((double)vu) * inv_sqrt_bc2 + eps));         \
    }                                                                                            \
  } while (0)

#define ADAM_VARIANTS(T)                                                                         \
  do {                                                                                           \
    if (k->amsgrad) {                                                                            \
      if (k->decoupled) ADAM_LOOP(T, 0, 1, 1);                                                   \
      else if (k->l2) ADAM_LOOP(T, 1, 0, 1);                                                     \
      else ADAM_LOOP(T, 0, 0, 1);                                                                \
    } else {                                                                                     \
      if (k->decoupled) ADAM_LOOP(T, 0, 1, 0);                                                   \
      else if (k->l2) ADAM_LOOP(T, 1, 0, 0);                                                     \
      else ADAM_LOOP(T, 0, 0, 0);                                                                \
    }                                                                                            \
  } while (0)

static OPTIM_MULTIVERSION void adam_f32(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const adam_consts *k = c;
  ADAM_VARIANTS(float);
}
static OPTIM_MULTIVERSION void adam_f64(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const adam_consts *k = c;
  ADAM_VARIANTS(double);
}

int mien_cpu_adam_update(const mien_adam_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  const double bc1 = 1.0 - pow(o->beta1, (double)o->step), bc2 = 1.0 - pow(o->beta2, (double)o->step);
  const adam_consts k = {o->beta1, o->beta2, o->eps, o->weight_decay, o->lr / bc1, 1.0 / sqrt(bc2),
                         1.0 - o->lr * o->weight_decay, !o->decoupled && o->weight_decay != 0.0, o->decoupled,
                         o->amsgrad};
  return for_each_chunk(o->decoupled ? "adamw" : "adam", count, slots, &k, dtype == MIEN_FLOAT32 ? adam_f32 : adam_f64);
}

/* ---- RMSProp ---- */

typedef struct rmsprop_consts {
  double lr, alpha, eps, wd, mom;
  bool centered, use_mom;
} rmsprop_consts;

#define RMSPROP_LOOP(T)                                                                          \
  do {                                                                                           \
    T *restrict p = (T *)sl->param, *restrict sq = (T *)sl->state[0], *restrict ga = (T *)sl->state[1]; \
    T *restrict buf = (T *)sl->state[2];                                                          \
    const T *restrict gr = (const T *)sl->grad;                                                   \
    const double lr = k->lr, alpha = k->alpha, c = 1.0 - k->alpha, eps = k->eps, wd = k->wd, mom = k->mom; \
    const bool centered = k->centered, use_mom = k->use_mom;                                      \
    _Pragma("omp simd") for (int64_t i = lo; i < hi; i++) {                                      \
      const double pi = (double)p[i];                                                            \
      double d = (double)gr[i];                                                                  \
      if (wd != 0.0) d += wd * pi;                                                               \
      const T s = (T)(alpha * (double)sq[i] + c * d * d);                                        \
      sq[i] = s;                                                                                 \
      double avg;                                                                                \
      if (centered) {                                                                            \
        const T a = (T)(alpha * (double)ga[i] + c * d);                                          \
        ga[i] = a;                                                                               \
        avg = sqrt((double)s - (double)a * (double)a) + eps;                                     \
      } else {                                                                                   \
        avg = sqrt((double)s) + eps;                                                             \
      }                                                                                          \
      if (use_mom) {                                                                             \
        const T b = (T)(mom * (double)buf[i] + d / avg);                                         \
        buf[i] = b;                                                                              \
        p[i] = (T)(pi - lr * (double)b);                                                         \
      } else {                                                                                   \
        p[i] = (T)(pi - lr * d / avg);                                                           \
      }                                                                                          \
    }                                                                                            \
  } while (0)

static OPTIM_MULTIVERSION void rmsprop_f32(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const rmsprop_consts *k = c;
  RMSPROP_LOOP(float);
}
static OPTIM_MULTIVERSION void rmsprop_f64(const void *c, const mien_optim_slot *sl, int64_t lo, int64_t hi) {
  const rmsprop_consts *k = c;
  RMSPROP_LOOP(double);
}

int mien_cpu_rmsprop_update(const mien_rmsprop_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  const rmsprop_consts k = {o->lr, o->alpha, o->eps, o->weight_decay, o->momentum, o->centered, o->momentum > 0.0};
  return for_each_chunk("rmsprop", count, slots, &k, dtype == MIEN_FLOAT32 ? rmsprop_f32 : rmsprop_f64);
}

/* Fixed-size blocks summed in parallel, then the block sums in order: the
 * result does not depend on the number of threads. */
#define SUMSQ_BLOCK 4096

#define SUMSQ(T)                                                                        \
  do {                                                                                  \
    const T *x = (const T *)in->data;                                           \
    _Pragma("omp parallel for schedule(static) if (nblocks > 4)")                      \
    for (int64_t b = 0; b < nblocks; b++) {                                             \
      int64_t lo = b * SUMSQ_BLOCK, hi = lo + SUMSQ_BLOCK < n ? lo + SUMSQ_BLOCK : n;   \
      double s = 0.0;                                                                   \
      for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)x[i];               \
      partial[b] = s;                                                                   \
    }                                                                                   \
  } while (0)

int mien_cpu_sum_squares(const mien_strided *in, double *host_out) {
  int64_t n = mien_cpu_numel(in), nblocks = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
  if (!mien_cpu_is_contiguous(in)) return mien_cpu_error("sum_squares: the cpu kernel needs a contiguous tensor");
  double *partial = malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof *partial);
  if (!partial) return mien_cpu_error("sum_squares: out of memory");
  if (in->dtype == MIEN_FLOAT32) SUMSQ(float);
  else SUMSQ(double);
  double s = 0.0;
  for (int64_t b = 0; b < nblocks; b++) s += partial[b];
  free(partial);
  *host_out = s;
  return 0;
}
