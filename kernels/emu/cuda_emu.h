/* The CPU grid emulator: what a .cu kernel source needs from CUDA, for the
 * host C++ compiler. Every CUDA thread of a block runs as a fiber (ucontext)
 * on one OS thread; __syncthreads and the full-mask warp shuffles are
 * barriers at which fibers yield; __shared__ variables are statics, which is
 * one copy per block because blocks run one after another; atomics are plain
 * read-modify-writes, since fibers never preempt each other. A seed shuffles
 * the order in which fibers (and blocks) run, so a missing barrier shows as a
 * wrong answer under some seed. Faults (a barrier not reached by every
 * thread, a shuffle after a lane exited, a bad launch shape) end the launch
 * and are reported by mien_emu::launch. Not thread-safe: one launch at a time. */
#ifndef MIEN_CUDA_EMU_H
#define MIEN_CUDA_EMU_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
typedef struct mien_emu_stream *cudaStream_t;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(...)
#define __shared__ static

inline dim3 threadIdx, blockIdx, blockDim, gridDim;
constexpr int warpSize = 32;

namespace mien_emu {
/* Runs body once per thread of the grid; 0, or -1 with error() set. */
int launch(dim3 grid, dim3 block, const std::function<void()> &body);
void set_seed(uint64_t seed);
const char *error(void);
/* Launches so far (tests check that a launcher launched at all). */
uint64_t launches(void);

void sync_block(void);
void sync_warp(void);
/* This thread's slot of its warp's exchange area, and another lane's. */
void *exchange_slot(unsigned tid);
unsigned flat_tid(void);
void fault(const char *what);
}  // namespace mien_emu

inline void __syncthreads() { mien_emu::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  if (mask != 0xffffffffu) mien_emu::fault("__syncwarp: only the full mask is emulated");
  mien_emu::sync_warp();
}

/* A shuffle: every lane posts its value, the warp meets, each reads its
 * source lane, and the warp meets again before the slots are reused. */
template <class T>
inline T mien_emu_shfl(unsigned mask, T v, int src_lane_in_warp) {
  static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
  if (mask != 0xffffffffu) mien_emu::fault("__shfl_*_sync: only the full mask is emulated");
  const unsigned tid = mien_emu::flat_tid(), base = tid / 32u * 32u;
  std::memcpy(mien_emu::exchange_slot(tid), &v, sizeof(T));
  mien_emu::sync_warp();
  T r;
  std::memcpy(&r, mien_emu::exchange_slot(base + (unsigned)src_lane_in_warp), sizeof(T));
  mien_emu::sync_warp();
  return r;
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = (int)(mien_emu::flat_tid() % 32u), seg = lane % width;
  return mien_emu_shfl(mask, v, seg + (int)delta < width ? lane + (int)delta : lane);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = (int)(mien_emu::flat_tid() % 32u), seg = lane % width;
  return mien_emu_shfl(mask, v, seg >= (int)delta ? lane - (int)delta : lane);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = (int)(mien_emu::flat_tid() % 32u), src = lane ^ lane_mask;
  return mien_emu_shfl(mask, v, src / width == lane / width ? src : lane);
}
template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  const int lane = (int)(mien_emu::flat_tid() % 32u);
  return mien_emu_shfl(mask, v, lane / width * width + ((src % width) + width) % width);
}

template <class T>
inline T atomicAdd(T *p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
template <class T>
inline T atomicMax(T *p, T v) {
  const T old = *p;
  *p = old < v ? v : old;
  return old;
}
template <class T>
inline T atomicCAS(T *p, T expected, T v) {
  const T old = *p;
  if (old == expected) *p = v;
  return old;
}
template <class T>
inline T __ldg(const T *p) { return *p; }

#endif
