/* Mixed precision: a per-thread mode that the op layer reads.
 *
 * Under MIEN_PRECISION_BF16, conv2d (forward, input and weight gradients)
 * and matmul/linear on float32 tensors compute their products from
 * bf16-rounded inputs with float32 sums, through the backend's bf16 entries
 * (backend.h); their results stay float32. Everything else (batch norm
 * statistics, softmax, the losses, the optimizers, the master weights) is
 * unchanged. An op records the mode in its autograd node, so its backward
 * runs in the forward's precision wherever backward is called. A device
 * without bf16 entries runs the ops in float32; the CPU without AVX512_BF16
 * (or with MIEN_NO_BF16=1 in the environment) does too; mien_bf16_path()
 * says which (the Lua mien.autocast prints it once when it falls back). */
#ifndef MIEN_AUTOCAST_H
#define MIEN_AUTOCAST_H

typedef enum mien_precision { MIEN_PRECISION_FLOAT32 = 0, MIEN_PRECISION_BF16 = 1 } mien_precision;

/* The calling thread's mode (float32 unless set). */
mien_precision mien_autocast_get(void);
/* Sets the calling thread's mode; returns the previous one. */
mien_precision mien_autocast_set(mien_precision p);
/* "float32", "bf16": the name of p. */
const char *mien_precision_name(mien_precision p);
/* 0 and *out for "float32" or "bf16", -1 with an error naming the text otherwise. */
int mien_precision_from_name(const char *name, mien_precision *out);
/* What bf16 products run on here (the CPU backend's line), e.g.
 * "avx512_bf16 (vdpbf16ps)" or "float32 fallback (no AVX512_BF16 on this CPU)". */
const char *mien_bf16_path(void);

#endif
