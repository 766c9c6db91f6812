/* mien_augment_tensor: checks on the host (params, shapes, every index in
 * range), then the augment_batch entry of the images' device. */
#include <limits.h>

#include "backend.h"
#include "error.h"
#include "image/augment_tensor.h"

mien_tensor *mien_augment_tensor(const mien_augment_params *p, mien_tensor *images, mien_tensor *indices,
                                 uint64_t seed, uint64_t base) {
  if (mien_augment_check(p) != 0) return NULL;
  if (images->dtype != MIEN_UINT8 || images->ndim != 4 || !mien_is_contiguous(images) ||
      (images->shape[3] != 1 && images->shape[3] != 3) || images->shape[1] < 1 || images->shape[2] < 1 ||
      images->shape[1] * images->shape[2] * images->shape[3] > INT_MAX) {
    mien_set_error("augment: images must be a contiguous uint8 [N,H,W,C] tensor with C 1 or 3 (and an image under "
                   "2^31 bytes)");
    return NULL;
  }
  const int64_t n_src = images->shape[0];
  if (indices && (indices->dtype != MIEN_INT64 || mien_tensor_device(indices) != MIEN_HOST)) {
    mien_set_error("augment: indices must be a host int64 tensor, got %s", mien_dtype_name(indices->dtype));
    return NULL;
  }
  const mien_device dev = mien_tensor_device(images);
  const mien_backend *be = MIEN_BACKEND_NEED(dev, augment_batch, "augment");
  if (!be) return NULL;
  mien_tensor *idx = indices ? mien_contiguous(indices) : NULL;
  if (indices && !idx) return NULL;
  const int64_t batch = idx ? mien_numel(idx) : n_src;
  const int64_t *host_idx = idx ? mien_data_ptr(idx) : NULL;
  for (int64_t i = 0; idx && i < batch; i++)
    if (host_idx[i] < 0 || host_idx[i] >= n_src) {
      mien_set_error("augment: index %lld at batch position %lld is out of range [0, %lld)", (long long)host_idx[i],
                     (long long)i, (long long)n_src);
      mien_release(idx);
      return NULL;
    }
  mien_tensor *dev_idx = idx ? mien_to_device(idx, dev) : NULL;
  mien_release(idx);
  const int64_t shape[4] = {batch, p->out_channels, p->out_h, p->out_w};
  mien_tensor *out = !indices || dev_idx ? mien_empty(4, shape, MIEN_FLOAT32, dev) : NULL;
  const int rc = out ? be->augment_batch(p, mien_data_ptr(images), n_src, (int)images->shape[1],
                                         (int)images->shape[2], (int)images->shape[3],
                                         dev_idx ? mien_data_ptr(dev_idx) : NULL, batch, seed, base, mien_data_ptr(out))
                     : -1;
  mien_release(dev_idx);
  if (rc != 0) {
    mien_release(out);
    return NULL;
  }
  return out;
}
