/* The emulated CUDA backend (emu_backend.cpp): a mien_backend of type cuda
 * whose memory is host memory and whose kernels run on the grid emulator.
 * A test registers it with mien_backend_register(mien_cuda_emu_backend())
 * and then calls mien_cuda_emu_set_host(b->host) so kernel errors reach the
 * core; or calls its entries directly. */
#ifndef MIEN_CUDA_EMU_BACKEND_H
#define MIEN_CUDA_EMU_BACKEND_H

#ifdef __cplusplus
extern "C" {
#endif

#include "backend.h" /* a C header: C linkage for what it declares */

mien_backend *mien_cuda_emu_backend(void);
void mien_cuda_emu_set_host(const mien_backend_host *host);

#ifdef __cplusplus
}
#endif

#endif
