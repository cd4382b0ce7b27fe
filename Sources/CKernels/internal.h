// Internal declarations shared by the CKernels sources (not part of the public header).
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include "ckernels.h"

/// Weight element type of a linear kernel.
typedef enum ck_weight_kind { CK_WEIGHTS_F32, CK_WEIGHTS_BF16 } ck_weight_kind;

/// Largest row tile of the AVX-512 kernels (the rows sharing one pass over the weights).
#define CK_MAX_TILE_ROWS 8

#if defined(__x86_64__)
#define CK_HAVE_AVX512_CODE 1
/// AVX-512 linear over any row count, tiling rows by 8 (linear_avx512.c).
void ck_linear_avx512(ck_weight_kind kind, const float *x, size_t rows, size_t in, const void *w,
                      size_t out, const float *bias, float *y, int accumulate);
void ck_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t count);
#else
#define CK_HAVE_AVX512_CODE 0
#endif

#endif
