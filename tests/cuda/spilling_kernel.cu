/* A kernel that must spill: 48 live values under a 32-register cap
 * (__launch_bounds__(1024, 2)). scripts/cuda-spill-check.sh compiles it with
 * the backend's nvcc flags and passes only if the build fails on the spill.
 * Never part of the backend. */
__global__ void __launch_bounds__(1024, 2) spilling_kernel(float *out, const float *in) {
  float r[48];
#pragma unroll
  for (int k = 0; k < 48; k++) r[k] = in[threadIdx.x * 48 + k];
  float s = 0.0f;
#pragma unroll
  for (int j = 1; j < 5; j++)
#pragma unroll
    for (int k = 0; k < 48; k++) s += r[k] * r[(k * j + 7) % 48];
  out[threadIdx.x] = s;
}
