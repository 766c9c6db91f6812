/* conv2d through cuDNN 9 (built in with MIEN_CUDNN, cmake/cuda.cmake):
 * descriptors from conv_plan.c, the algorithm chosen once per shape and pass
 * by cuDNN's heuristics (cached in a mien_conv_cache), the workspace taken
 * from the backend's allocator. Where cuDNN has no algorithm for a shape or
 * says it is not supported (mien_conv_falls_back), the pass runs on our own
 * im2col kernels (conv.cu), and the cache remembers that. The bias passes
 * are ours too. */
#include <cudnn.h>

#include "common.cuh"
#include "conv_plan.h"

extern "C" int mien_cuda_conv2d_add_bias(const mien_conv2d_params *, mien_dtype, const void *, void *);
extern "C" int mien_cuda_conv2d_forward(const mien_conv2d_params *, mien_dtype, const void *, const void *,
                                        const void *, void *);
extern "C" int mien_cuda_conv2d_backward_input(const mien_conv2d_params *, mien_dtype, const void *, const void *,
                                               void *);
extern "C" int mien_cuda_conv2d_backward_weight(const mien_conv2d_params *, mien_dtype, const void *, const void *,
                                                void *);

/* run()'s answer when the pass must take our kernels instead */
#define FALL_BACK 1

enum { PASS_FORWARD, PASS_DATA, PASS_FILTER };

static cudnnHandle_t handle;
static mien_conv_cache cache;
static int last_status; /* of the last cuDNN call that failed */

struct descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  ~descriptors() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
  }
};

static void params_array(const mien_conv2d_params *p, int64_t a[14]) {
  const int64_t v[14] = {p->N,        p->C_in,     p->H,     p->W,     p->C_out, p->KH,    p->KW,
                         p->stride_h, p->stride_w, p->pad_h, p->pad_w, p->dil_h, p->dil_w, p->groups};
  for (int i = 0; i < 14; i++) a[i] = v[i];
}

#define DNN(call)                                                                         \
  do {                                                                                    \
    const cudnnStatus_t s_ = (call);                                                      \
    if (s_ != CUDNN_STATUS_SUCCESS) {                                                     \
      last_status = (int)s_;                                                              \
      return mien_k_fail("conv2d: %s: %s", #call, cudnnGetErrorString(s_));               \
    }                                                                                     \
  } while (0)

static int setup(const mien_conv2d_params *p, mien_dtype dtype, descriptors &d, int64_t prm[14]) {
  mien_conv_plan plan;
  char err[256];
  params_array(p, prm);
  if (mien_conv_plan_make(prm, &plan, err, sizeof err) != 0) return mien_k_fail("%s", err);
  if (dtype != MIEN_FLOAT32 && dtype != MIEN_FLOAT64) return mien_k_fail("conv2d: dtype %d is not a float type", (int)dtype);
  if (!handle) DNN(cudnnCreate(&handle));
  const cudnnDataType_t t = dtype == MIEN_FLOAT32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
  DNN(cudnnCreateTensorDescriptor(&d.x));
  DNN(cudnnCreateTensorDescriptor(&d.y));
  DNN(cudnnCreateFilterDescriptor(&d.w));
  DNN(cudnnCreateConvolutionDescriptor(&d.conv));
  DNN(cudnnSetTensor4dDescriptor(d.x, CUDNN_TENSOR_NCHW, t, plan.x[0], plan.x[1], plan.x[2], plan.x[3]));
  DNN(cudnnSetTensor4dDescriptor(d.y, CUDNN_TENSOR_NCHW, t, plan.y[0], plan.y[1], plan.y[2], plan.y[3]));
  DNN(cudnnSetFilter4dDescriptor(d.w, t, CUDNN_TENSOR_NCHW, plan.w[0], plan.w[1], plan.w[2], plan.w[3]));
  DNN(cudnnSetConvolution2dDescriptor(d.conv, plan.pad[0], plan.pad[1], plan.stride[0], plan.stride[1],
                                      plan.dilation[0], plan.dilation[1], CUDNN_CROSS_CORRELATION, t));
  DNN(cudnnSetConvolutionGroupCount(d.conv, plan.groups));
  if (dtype == MIEN_FLOAT32) DNN(cudnnSetConvolutionMathType(d.conv, CUDNN_FMA_MATH)); /* no TF32: match the CPU */
  return 0;
}

/* cuDNN's first choice for the pass: 0, FALL_BACK when it finds none, or -1
 * (with last_status) when a call fails. */
static int choose_uncached(mien_dtype dtype, int pass, descriptors &d, int *algo, size_t *ws) {
  (void)dtype;
  int found = 0;
  if (pass == PASS_FORWARD) {
    cudnnConvolutionFwdAlgoPerf_t perf;
    DNN(cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x, d.w, d.conv, d.y, 1, &found, &perf));
    *algo = (int)perf.algo;
    DNN(cudnnGetConvolutionForwardWorkspaceSize(handle, d.x, d.w, d.conv, d.y, perf.algo, ws));
  } else if (pass == PASS_DATA) {
    cudnnConvolutionBwdDataAlgoPerf_t perf;
    DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, d.w, d.y, d.conv, d.x, 1, &found, &perf));
    *algo = (int)perf.algo;
    DNN(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, d.w, d.y, d.conv, d.x, perf.algo, ws));
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t perf;
    DNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, d.x, d.y, d.conv, d.w, 1, &found, &perf));
    *algo = (int)perf.algo;
    DNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, d.x, d.y, d.conv, d.w, perf.algo, ws));
  }
  return found < 1 ? FALL_BACK : 0;
}

/* The cached (algo, workspace) of this shape and pass, asking cuDNN once;
 * FALL_BACK (also cached, as algo -1) when it has no algorithm. */
static int choose(const int64_t prm[14], mien_dtype dtype, int pass, descriptors &d, int *algo, size_t *ws) {
  int64_t key[16];
  mien_conv_cache_key(prm, (int)dtype, pass, key);
  if (const mien_conv_cache_entry *e = mien_conv_cache_find(&cache, key)) {
    *algo = e->algo, *ws = e->workspace;
    return e->algo < 0 ? FALL_BACK : 0;
  }
  int rc = choose_uncached(dtype, pass, d, algo, ws);
  if (rc < 0 && !mien_conv_falls_back(last_status)) return -1;
  if (rc != 0) *algo = -1, *ws = 0;
  mien_conv_cache_put(&cache, key, *algo, *ws);
  return *algo < 0 ? FALL_BACK : 0;
}

/* Runs one pass with its workspace from the allocator: 0, -1, or FALL_BACK
 * when cuDNN cannot do it. */
static int run(const mien_conv2d_params *p, mien_dtype dtype, int pass, const void *a, const void *b, void *out) {
  descriptors d;
  int64_t prm[14];
  if (setup(p, dtype, d, prm) != 0) return -1;
  int algo = 0;
  size_t ws = 0;
  const int chosen = choose(prm, dtype, pass, d, &algo, &ws);
  if (chosen != 0) return chosen;
  void *work = ws ? mien_k_mem.alloc(ws) : nullptr;
  if (ws && !work) return -1;
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  const void *al = dtype == MIEN_FLOAT32 ? (const void *)&onef : (const void *)&one;
  const void *be = dtype == MIEN_FLOAT32 ? (const void *)&zerof : (const void *)&zero;
  cudnnStatus_t s;
  if (pass == PASS_FORWARD)
    s = cudnnConvolutionForward(handle, al, d.x, a, d.w, b, d.conv, (cudnnConvolutionFwdAlgo_t)algo, work, ws, be, d.y, out);
  else if (pass == PASS_DATA)
    s = cudnnConvolutionBackwardData(handle, al, d.w, b, d.y, a, d.conv, (cudnnConvolutionBwdDataAlgo_t)algo, work, ws,
                                     be, d.x, out);
  else
    s = cudnnConvolutionBackwardFilter(handle, al, d.x, a, d.y, b, d.conv, (cudnnConvolutionBwdFilterAlgo_t)algo, work,
                                       ws, be, d.w, out);
  if (work) mien_k_mem.free(work, ws);
  if (s == CUDNN_STATUS_SUCCESS) return 0;
  if (mien_conv_falls_back((int)s)) return FALL_BACK;
  return mien_k_fail("conv2d: cuDNN pass %d: %s", pass, cudnnGetErrorString(s));
}

static int conv_forward(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *w, const void *bias,
                        void *y) {
  const int rc = run(p, dtype, PASS_FORWARD, x, w, y);
  if (rc == FALL_BACK) return mien_cuda_conv2d_forward(p, dtype, x, w, bias, y);
  if (rc != 0) return -1;
  return bias ? mien_cuda_conv2d_add_bias(p, dtype, bias, y) : 0;
}
static int conv_backward_input(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, const void *w, void *dx) {
  const int rc = run(p, dtype, PASS_DATA, dy, w, dx);
  return rc == FALL_BACK ? mien_cuda_conv2d_backward_input(p, dtype, dy, w, dx) : rc;
}
static int conv_backward_weight(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *dy, void *dw) {
  const int rc = run(p, dtype, PASS_FILTER, x, dy, dw);
  return rc == FALL_BACK ? mien_cuda_conv2d_backward_weight(p, dtype, x, dy, dw) : rc;
}

/* Puts cuDNN in front of our convolution (the bias pass stays ours). */
extern "C" void mien_cuda_fill_conv(mien_backend *b) {
  b->conv2d_forward = conv_forward;
  b->conv2d_backward_input = conv_backward_input;
  b->conv2d_backward_weight = conv_backward_weight;
}
