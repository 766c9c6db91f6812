/* conv2d through cuDNN 9 (only API that cuDNN 9.14 has): descriptors from
 * conv_plan.c, the algorithm chosen once per shape and pass by cuDNN's
 * heuristics (cached in a mien_conv_cache), the workspace taken from the
 * backend's allocator. The bias passes use our own kernels. */
#include <cudnn.h>

#include "common.cuh"
#include "conv_plan.h"

extern "C" int mien_cuda_binary(mien_binary_op, const mien_strided *, const mien_strided *, const mien_strided *);
extern "C" int mien_cuda_reduce(mien_reduce_op, const mien_strided *, const mien_strided *, const bool *);

enum { PASS_FORWARD, PASS_DATA, PASS_FILTER };

static cudnnHandle_t handle;
static mien_conv_cache cache;

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
    if (s_ != CUDNN_STATUS_SUCCESS) return mien_k_fail("conv2d: %s: %s", #call, cudnnGetErrorString(s_)); \
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

/* The cached (algo, workspace) of this shape and pass, asking cuDNN once. */
static int choose(const int64_t prm[14], mien_dtype dtype, int pass, descriptors &d, int *algo, size_t *ws) {
  int64_t key[16];
  mien_conv_cache_key(prm, (int)dtype, pass, key);
  if (const mien_conv_cache_entry *e = mien_conv_cache_find(&cache, key)) {
    *algo = e->algo, *ws = e->workspace;
    return 0;
  }
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
  if (found < 1) return mien_k_fail("conv2d: cuDNN found no algorithm for this shape");
  mien_conv_cache_put(&cache, key, *algo, *ws);
  return 0;
}

/* Runs one pass with its workspace from the allocator. */
static int run(const mien_conv2d_params *p, mien_dtype dtype, int pass, const void *a, const void *b, void *out) {
  descriptors d;
  int64_t prm[14];
  if (setup(p, dtype, d, prm) != 0) return -1;
  int algo = 0;
  size_t ws = 0;
  if (choose(prm, dtype, pass, d, &algo, &ws) != 0) return -1;
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
  return s == CUDNN_STATUS_SUCCESS ? 0 : mien_k_fail("conv2d: cuDNN pass %d: %s", pass, cudnnGetErrorString(s));
}

/* y [N,C,OH,OW] as a strided operand, and the bias [C] broadcast over it. */
static void y_and_bias(const mien_conv2d_params *p, mien_dtype dtype, void *y, const void *bias, mien_strided *sy,
                       mien_strided *sb) {
  const int64_t oh = (p->H + 2 * p->pad_h - p->dil_h * (p->KH - 1) - 1) / p->stride_h + 1;
  const int64_t ow = (p->W + 2 * p->pad_w - p->dil_w * (p->KW - 1) - 1) / p->stride_w + 1;
  const int64_t shape[4] = {p->N, p->C_out, oh, ow};
  *sy = mien_strided{};
  sy->data = y, sy->dtype = dtype, sy->ndim = 4;
  for (int d = 0; d < 4; d++) sy->shape[d] = shape[d];
  sy->stride[3] = 1, sy->stride[2] = ow, sy->stride[1] = oh * ow, sy->stride[0] = p->C_out * oh * ow;
  *sb = *sy;
  sb->data = (void *)bias;
  sb->stride[0] = 0, sb->stride[1] = 1, sb->stride[2] = 0, sb->stride[3] = 0;
}

static int conv_forward(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *w, const void *bias,
                        void *y) {
  if (run(p, dtype, PASS_FORWARD, x, w, y) != 0) return -1;
  if (!bias) return 0;
  mien_strided sy, sb;
  y_and_bias(p, dtype, y, bias, &sy, &sb);
  return mien_cuda_binary(MIEN_ADD, &sy, &sy, &sb);
}
static int conv_backward_input(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, const void *w, void *dx) {
  return run(p, dtype, PASS_DATA, dy, w, dx);
}
static int conv_backward_weight(const mien_conv2d_params *p, mien_dtype dtype, const void *x, const void *dy, void *dw) {
  return run(p, dtype, PASS_FILTER, x, dy, dw);
}
static int conv_backward_bias(const mien_conv2d_params *p, mien_dtype dtype, const void *dy, void *db) {
  mien_strided sdy, sdb;
  y_and_bias(p, dtype, (void *)dy, db, &sdy, &sdb);
  sdb.shape[0] = sdb.shape[2] = sdb.shape[3] = 1; /* [1,C,1,1] */
  const bool reduced[4] = {true, false, true, true};
  return mien_cuda_reduce(MIEN_SUM, &sdb, &sdy, reduced);
}

extern "C" void mien_cuda_fill_conv(mien_backend *b) {
  b->conv2d_forward = conv_forward;
  b->conv2d_backward_input = conv_backward_input;
  b->conv2d_backward_weight = conv_backward_weight;
  b->conv2d_backward_bias = conv_backward_bias;
}
