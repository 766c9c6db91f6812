/* The kernel entries of the CUDA backend table: every entry but memory,
 * which comes from the device side (device/backend_cuda.cu) or from the
 * emulated backend (emu/emu_backend.cpp). GEMM and convolution here are our
 * own kernels (gemm.cu, conv.cu); the device side puts cuBLAS and, when
 * built in, cuDNN in front of them. */
#include "common.cuh"

extern "C" {
int mien_cuda_binary(mien_binary_op, const mien_strided *, const mien_strided *, const mien_strided *);
int mien_cuda_unary(mien_unary_op, const mien_strided *, const mien_strided *, double, double);
int mien_cuda_where(const mien_strided *, const mien_strided *, const mien_strided *, const mien_strided *);
int mien_cuda_masked_grad(const mien_strided *, const mien_strided *, const mien_strided *, double, double, double);
int mien_cuda_axpy(const mien_strided *, const mien_strided *, double);
int mien_cuda_fill(const mien_strided *, double);
int mien_cuda_arange(void *, mien_dtype, int64_t, double, double);
int mien_cuda_copy_strided(const mien_strided *, const mien_strided *);
int mien_cuda_reduce(mien_reduce_op, const mien_strided *, const mien_strided *, const bool *);
int mien_cuda_arg_reduce(bool, const mien_strided *, const mien_strided *, int);
int mien_cuda_sum_squares(const mien_strided *, double *);
int mien_cuda_batchnorm_forward_train(const mien_batchnorm_params *, mien_dtype, const void *, const void *,
                                      const void *, void *, void *, void *, void *, void *);
int mien_cuda_batchnorm_forward_eval(const mien_batchnorm_params *, mien_dtype, const void *, const void *,
                                     const void *, const void *, const void *, void *);
int mien_cuda_batchnorm_backward_train(const mien_batchnorm_params *, mien_dtype, const void *, const void *,
                                       const void *, const void *, const void *, void *, void *, void *);
int mien_cuda_batchnorm_backward_eval(const mien_batchnorm_params *, mien_dtype, const void *, const void *,
                                      const void *, const void *, const void *, void *, void *, void *);
int mien_cuda_softmax_forward(mien_dtype, bool, int64_t, int64_t, int64_t, const void *, void *);
int mien_cuda_softmax_backward(mien_dtype, bool, int64_t, int64_t, int64_t, const void *, const void *, void *);
int mien_cuda_cross_entropy_forward(mien_dtype, int64_t, int64_t, const void *, const int64_t *, const void *, double,
                                    void *, void *);
int mien_cuda_cross_entropy_backward(mien_dtype, int64_t, int64_t, const void *, const int64_t *, const void *,
                                     double, const void *, void *);
int mien_cuda_uniform(const mien_strided *, uint64_t, uint64_t, double, double);
int mien_cuda_normal(const mien_strided *, uint64_t, uint64_t, double, double);
int mien_cuda_bernoulli(const mien_strided *, uint64_t, uint64_t, double);
int mien_cuda_dropout(mien_dtype, int64_t, const void *, double, uint64_t, uint64_t, void *, uint8_t *);
int mien_cuda_max_pool2d_forward(const mien_pool2d_params *, mien_dtype, const void *, void *, int64_t *);
int mien_cuda_max_pool2d_backward(const mien_pool2d_params *, mien_dtype, const void *, const int64_t *, void *);
int mien_cuda_avg_pool2d_forward(const mien_pool2d_params *, mien_dtype, const void *, void *);
int mien_cuda_avg_pool2d_backward(const mien_pool2d_params *, mien_dtype, const void *, void *);
int mien_cuda_index_select(const mien_strided *, const mien_strided *, int, const int64_t *, int64_t);
int mien_cuda_index_add(const mien_strided *, int, const int64_t *, int64_t, const mien_strided *);
int mien_cuda_gather(const mien_strided *, const mien_strided *, int, const mien_strided *);
int mien_cuda_scatter_add(const mien_strided *, int, const mien_strided *, const mien_strided *);
int mien_cuda_cat(const mien_strided *, int, const mien_strided *, int);
int mien_cuda_sgd_update(const mien_sgd_opts *, mien_dtype, int, const mien_optim_slot *);
int mien_cuda_adam_update(const mien_adam_opts *, mien_dtype, int, const mien_optim_slot *);
int mien_cuda_rmsprop_update(const mien_rmsprop_opts *, mien_dtype, int, const mien_optim_slot *);
int mien_cuda_gemm(mien_dtype, bool, bool, int64_t, int64_t, int64_t, double, const void *, int64_t, const void *,
                   int64_t, double, void *, int64_t);
int mien_cuda_gemm_batched(mien_dtype, bool, bool, int64_t, int64_t, int64_t, double, const void *, int64_t, int64_t,
                           const void *, int64_t, int64_t, double, void *, int64_t, int64_t, int64_t);
int mien_cuda_conv2d_forward(const mien_conv2d_params *, mien_dtype, const void *, const void *, const void *, void *);
int mien_cuda_conv2d_backward_input(const mien_conv2d_params *, mien_dtype, const void *, const void *, void *);
int mien_cuda_conv2d_backward_weight(const mien_conv2d_params *, mien_dtype, const void *, const void *, void *);
int mien_cuda_conv2d_backward_bias(const mien_conv2d_params *, mien_dtype, const void *, void *);
int mien_cuda_resize(mien_dtype, const void *, int, int, int, void *, int, int, mien_resize_mode);
int mien_cuda_warp_affine(const uint8_t *, int, int, int, const double *, uint8_t *, int, int, int);
int mien_cuda_augment_batch(const mien_augment_params *, const uint8_t *, int64_t, int, int, int, const int64_t *,
                            int64_t, uint64_t, uint64_t, float *);
}

extern "C" void mien_cuda_fill_kernels(mien_backend *b) {
  b->copy_strided = mien_cuda_copy_strided;
  b->fill = mien_cuda_fill;
  b->arange = mien_cuda_arange;
  b->binary = mien_cuda_binary;
  b->unary = mien_cuda_unary;
  b->where = mien_cuda_where;
  b->masked_grad = mien_cuda_masked_grad;
  b->axpy = mien_cuda_axpy;
  b->reduce = mien_cuda_reduce;
  b->arg_reduce = mien_cuda_arg_reduce;
  b->sum_squares = mien_cuda_sum_squares;
  b->gemm = mien_cuda_gemm;
  b->gemm_batched = mien_cuda_gemm_batched;
  b->conv2d_forward = mien_cuda_conv2d_forward;
  b->conv2d_backward_input = mien_cuda_conv2d_backward_input;
  b->conv2d_backward_weight = mien_cuda_conv2d_backward_weight;
  b->conv2d_backward_bias = mien_cuda_conv2d_backward_bias;
  b->max_pool2d_forward = mien_cuda_max_pool2d_forward;
  b->max_pool2d_backward = mien_cuda_max_pool2d_backward;
  b->avg_pool2d_forward = mien_cuda_avg_pool2d_forward;
  b->avg_pool2d_backward = mien_cuda_avg_pool2d_backward;
  b->batchnorm_forward_train = mien_cuda_batchnorm_forward_train;
  b->batchnorm_forward_eval = mien_cuda_batchnorm_forward_eval;
  b->batchnorm_backward_train = mien_cuda_batchnorm_backward_train;
  b->batchnorm_backward_eval = mien_cuda_batchnorm_backward_eval;
  b->softmax_forward = mien_cuda_softmax_forward;
  b->softmax_backward = mien_cuda_softmax_backward;
  b->cross_entropy_forward = mien_cuda_cross_entropy_forward;
  b->cross_entropy_backward = mien_cuda_cross_entropy_backward;
  b->uniform = mien_cuda_uniform;
  b->normal = mien_cuda_normal;
  b->bernoulli = mien_cuda_bernoulli;
  b->dropout = mien_cuda_dropout;
  b->index_select = mien_cuda_index_select;
  b->index_add = mien_cuda_index_add;
  b->gather = mien_cuda_gather;
  b->scatter_add = mien_cuda_scatter_add;
  b->cat = mien_cuda_cat;
  b->sgd_update = mien_cuda_sgd_update;
  b->adam_update = mien_cuda_adam_update;
  b->rmsprop_update = mien_cuda_rmsprop_update;
  b->resize = mien_cuda_resize;
  b->warp_affine = mien_cuda_warp_affine;
  b->augment_batch = mien_cuda_augment_batch;
}
