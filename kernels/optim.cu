/* Fused optimizer updates over all the parameters of a group in one launch
 * per chunk of MIEN_K_SLOTS tensors: blockIdx.y picks the tensor, the blocks
 * along x stride over its elements. Arithmetic in double, as on the CPU; the
 * per-element updates below are the formulas of core/optim.h. */
#include "common.cuh"

#define MIEN_K_SLOTS 16

struct slot_chunk {
  int count;
  mien_optim_slot slot[MIEN_K_SLOTS];
};

MIEN_HD void mien_k_sgd_step(const mien_sgd_opts &o, double &p, double grad, double *buf) {
  double g = grad + o.weight_decay * p;
  if (o.momentum != 0.0) {
    *buf = o.first ? g : o.momentum * *buf + (1.0 - o.dampening) * g;
    g = o.nesterov ? g + o.momentum * *buf : *buf;
  }
  p -= o.lr * g;
}

/* bc1 = 1 - beta1^step, bc2_sqrt = sqrt(1 - beta2^step) */
MIEN_HD void mien_k_adam_step(const mien_adam_opts &o, double bc1, double bc2_sqrt, double &p, double grad, double &m,
                              double &v, double *vmax) {
  double g = grad;
  if (o.decoupled) p *= 1.0 - o.lr * o.weight_decay;
  else g += o.weight_decay * p;
  m = o.beta1 * m + (1.0 - o.beta1) * g;
  v = o.beta2 * v + (1.0 - o.beta2) * g * g;
  double denom = v;
  if (o.amsgrad) {
    *vmax = *vmax > v ? *vmax : v;
    denom = *vmax;
  }
  p -= o.lr / bc1 * m / (sqrt(denom) / bc2_sqrt + o.eps);
}

MIEN_HD void mien_k_rmsprop_step(const mien_rmsprop_opts &o, double &p, double grad, double &sq, double *ga,
                                 double *buf) {
  const double g = grad + o.weight_decay * p;
  sq = o.alpha * sq + (1.0 - o.alpha) * g * g;
  double avg;
  if (o.centered) {
    *ga = o.alpha * *ga + (1.0 - o.alpha) * g;
    avg = sqrt(sq - *ga * *ga) + o.eps;
  } else {
    avg = sqrt(sq) + o.eps;
  }
  if (o.momentum > 0.0) {
    *buf = o.momentum * *buf + g / avg;
    p -= o.lr * *buf;
  } else {
    p -= o.lr * g / avg;
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) sgd_kernel(mien_sgd_opts o, slot_chunk c) {
  const mien_optim_slot &s = c.slot[blockIdx.y];
  T *p = (T *)s.param, *buf = (T *)s.state[0];
  const T *g = (const T *)s.grad;
  MIEN_GRID_LOOP(i, s.numel) {
    double pv = (double)p[i], bv = buf ? (double)buf[i] : 0.0;
    mien_k_sgd_step(o, pv, (double)g[i], &bv);
    p[i] = (T)pv;
    if (buf) buf[i] = (T)bv;
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) adam_kernel(mien_adam_opts o, double bc1, double bc2_sqrt,
                                                              slot_chunk c) {
  const mien_optim_slot &s = c.slot[blockIdx.y];
  T *p = (T *)s.param, *m = (T *)s.state[0], *v = (T *)s.state[1], *vmax = (T *)s.state[2];
  const T *g = (const T *)s.grad;
  MIEN_GRID_LOOP(i, s.numel) {
    double pv = (double)p[i], mv = (double)m[i], vv = (double)v[i], xv = vmax ? (double)vmax[i] : 0.0;
    mien_k_adam_step(o, bc1, bc2_sqrt, pv, (double)g[i], mv, vv, &xv);
    p[i] = (T)pv, m[i] = (T)mv, v[i] = (T)vv;
    if (vmax) vmax[i] = (T)xv;
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) rmsprop_kernel(mien_rmsprop_opts o, slot_chunk c) {
  const mien_optim_slot &s = c.slot[blockIdx.y];
  T *p = (T *)s.param, *sq = (T *)s.state[0], *ga = (T *)s.state[1], *buf = (T *)s.state[2];
  const T *g = (const T *)s.grad;
  MIEN_GRID_LOOP(i, s.numel) {
    double pv = (double)p[i], sv = (double)sq[i], gav = ga ? (double)ga[i] : 0.0, bv = buf ? (double)buf[i] : 0.0;
    mien_k_rmsprop_step(o, pv, (double)g[i], sv, &gav, &bv);
    p[i] = (T)pv, sq[i] = (T)sv;
    if (ga) ga[i] = (T)gav;
    if (buf) buf[i] = (T)bv;
  }
}

/* Runs launch(chunk, grid) over the slots, MIEN_K_SLOTS at a time. */
template <class F>
static int over_chunks(int n, const mien_optim_slot *slots, F launch) {
  for (int first = 0; first < n; first += MIEN_K_SLOTS) {
    slot_chunk c;
    c.count = n - first < MIEN_K_SLOTS ? n - first : MIEN_K_SLOTS;
    int64_t most = 1;
    for (int k = 0; k < c.count; k++) {
      c.slot[k] = slots[first + k];
      most = c.slot[k].numel > most ? c.slot[k].numel : most;
    }
    const unsigned bx = mien_k_blocks(most) < 1024 ? mien_k_blocks(most) : 1024;
    if (launch(c, dim3(bx, (unsigned)c.count)) != 0) return -1;
  }
  return 0;
}

extern "C" int mien_cuda_sgd_update(const mien_sgd_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots) {
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = over_chunks(n, slots, [&](const slot_chunk &c, dim3 grid) {
      return MIEN_LAUNCH(sgd_kernel<T>, grid, MIEN_K_THREADS, nullptr, *o, c);
    });
  });
  return rc;
}

extern "C" int mien_cuda_adam_update(const mien_adam_opts *o, mien_dtype dtype, int n, const mien_optim_slot *slots) {
  const double bc1 = 1.0 - pow(o->beta1, (double)o->step), bc2_sqrt = sqrt(1.0 - pow(o->beta2, (double)o->step));
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = over_chunks(n, slots, [&](const slot_chunk &c, dim3 grid) {
      return MIEN_LAUNCH(adam_kernel<T>, grid, MIEN_K_THREADS, nullptr, *o, bc1, bc2_sqrt, c);
    });
  });
  return rc;
}

extern "C" int mien_cuda_rmsprop_update(const mien_rmsprop_opts *o, mien_dtype dtype, int n,
                                        const mien_optim_slot *slots) {
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = over_chunks(n, slots, [&](const slot_chunk &c, dim3 grid) {
      return MIEN_LAUNCH(rmsprop_kernel<T>, grid, MIEN_K_THREADS, nullptr, *o, c);
    });
  });
  return rc;
}
