/* The grid emulator itself: barriers, shuffles and bounds are what it must
 * make visible. A reduction with its barrier removed gives a wrong sum under
 * some schedule seed; a kernel without its bounds guard writes past the end
 * of its buffer, which ASan reports (run as "cuda_emu_grid missing-guard",
 * a ctest entry that expects the report); __syncthreads in divergent code
 * and a shuffle after a lane exited end the launch with an error. */
#include <cstring>
#include <string>

#include "emu_test.h"

template <bool kBarrier>
__global__ void block_sum(const float *in, float *out, int n) {
  __shared__ float s[128];
  const int t = threadIdx.x;
  s[t] = t < n ? in[t] : 0.0f;
  if (kBarrier) __syncthreads();
  for (int half = 64; half > 0; half /= 2) {
    if (t < half) s[t] += s[t + half];
    if (kBarrier) __syncthreads();
  }
  if (t == 0) *out = s[0];
}

__global__ void warp_sum(const float *in, float *out) {
  float v = in[threadIdx.x];
  for (int d = 16; d > 0; d /= 2) v += __shfl_down_sync(0xffffffffu, v, d);
  if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = v;
}

__global__ void xor_max(const int *in, int *out) {
  int v = in[threadIdx.x];
  for (int d = 16; d > 0; d /= 2) {
    const int o = __shfl_xor_sync(0xffffffffu, v, d);
    v = o > v ? o : v;
  }
  out[threadIdx.x] = v;
}

__global__ void divergent_barrier(int *out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void shuffle_after_exit(float *out) {
  if (threadIdx.x == 3) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1);
}

template <bool kGuard>
__global__ void scale(const float *in, float *out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (!kGuard || i < n) out[i] = 2.0f * in[i];
}

static void barriers() {
  const int n = 128;
  std::vector<float> in(n);
  for (int i = 0; i < n; i++) in[i] = (float)(i + 1);
  const float want = n * (n + 1) / 2.0f;
  int wrong_without = 0;
  for (uint64_t seed : kSeeds) {
    float got = 0;
    mien_emu::set_seed(seed);
    CHECK(mien_emu::launch(dim3(1), dim3(128), [&] { block_sum<true>(in.data(), &got, n); }) == 0);
    CHECK(got == want);
    CHECK(mien_emu::launch(dim3(1), dim3(128), [&] { block_sum<false>(in.data(), &got, n); }) == 0);
    wrong_without += got != want;
  }
  printf("removed barrier: wrong sum under %d of %zu seeds\n", wrong_without, sizeof kSeeds / sizeof *kSeeds);
  CHECK(wrong_without > 0);
}

static void shuffles() {
  std::vector<float> in(96);
  for (int i = 0; i < 96; i++) in[i] = (float)i;
  std::vector<float> out(3);
  std::vector<int> iin(64), iout(64);
  for (int i = 0; i < 64; i++) iin[i] = (i * 37) % 101;
  for (uint64_t seed : kSeeds) {
    mien_emu::set_seed(seed);
    CHECK(mien_emu::launch(dim3(1), dim3(96), [&] { warp_sum(in.data(), out.data()); }) == 0);
    for (int w = 0; w < 3; w++) CHECK(out[w] == (float)(32 * 32 * w + 31 * 32 / 2));
    CHECK(mien_emu::launch(dim3(1), dim3(64), [&] { xor_max(iin.data(), iout.data()); }) == 0);
    for (int w = 0; w < 2; w++) {
      int m = 0;
      for (int i = 32 * w; i < 32 * w + 32; i++) m = iin[i] > m ? iin[i] : m;
      for (int i = 32 * w; i < 32 * w + 32; i++) CHECK(iout[i] == m);
    }
  }
}

static void faults() {
  std::vector<int> out(32);
  std::vector<float> fout(32);
  CHECK(mien_emu::launch(dim3(1), dim3(32), [&] { divergent_barrier(out.data()); }) != 0);
  CHECK(std::strstr(mien_emu::error(), "__syncthreads") != nullptr);
  CHECK(mien_emu::launch(dim3(1), dim3(32), [&] { shuffle_after_exit(fout.data()); }) != 0);
  CHECK(std::strstr(mien_emu::error(), "exited") != nullptr);
  CHECK(mien_emu::launch(dim3(1), dim3(2048), [] {}) != 0);
  CHECK(std::strstr(mien_emu::error(), "invalid launch") != nullptr);
}

static void grid_shape() {
  const int n = 1000; /* not a multiple of the block */
  std::vector<float> in(n, 1.5f), out(n);
  for (uint64_t seed : kSeeds) {
    mien_emu::set_seed(seed);
    CHECK(mien_emu::launch(dim3((n + 127) / 128), dim3(128), [&] { scale<true>(in.data(), out.data(), n); }) == 0);
    for (int i = 0; i < n; i++) CHECK(out[i] == 3.0f);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "missing-guard") {
    const int n = 1000; /* heap buffers, so ASan sees the 24 writes past the end */
    float *in = new float[1024], *out = new float[n];
    mien_emu::launch(dim3((n + 127) / 128), dim3(128), [&] { scale<false>(in, out, n); });
    delete[] in;
    delete[] out;
    printf("no error reported\n");
    return 0;
  }
  barriers();
  shuffles();
  faults();
  grid_shape();
  return finish("cuda_emu_grid");
}
