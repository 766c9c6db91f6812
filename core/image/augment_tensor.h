/* Batch augmentation of a data set kept on a device (the resident loader):
 * the op-layer form of mien_augment_batch over tensors, run by the backend
 * of the images' device (its augment_batch entry). */
#ifndef MIEN_IMAGE_AUGMENT_TENSOR_H
#define MIEN_IMAGE_AUGMENT_TENSOR_H

#include <stdint.h>

#include "image/augment.h"
#include "tensor.h"

/* images: contiguous uint8 [N,H,W,C] (C = 1 or 3) on any device; indices:
 * NULL (images 0..N-1) or a host int64 tensor of 0-based image numbers,
 * checked against N here and then copied to the device. Returns float32
 * [B, out_channels, out_h, out_w] on the images' device, the same values
 * as mien_augment_batch for the same (seed, base); NULL with an error
 * naming the problem. */
mien_tensor *mien_augment_tensor(const mien_augment_params *p, mien_tensor *images, mien_tensor *indices,
                                 uint64_t seed, uint64_t base);

#endif
