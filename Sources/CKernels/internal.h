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
/// AVX-512 linear over any row count, tiling rows by 8, for outputs first ..< first + count
/// (linear_avx512.c).
void ck_linear_avx512(ck_weight_kind kind, const float *x, size_t rows, size_t in, const void *w,
                      size_t out, size_t first, size_t count, const float *bias, float *y, int accumulate);
void ck_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t count);
/// AVX2 + FMA code (linear_int8.c, linear_bf16.c) is compiled alongside, per function.
#define CK_HAVE_AVX2_CODE 1
#else
#define CK_HAVE_AVX512_CODE 0
#define CK_HAVE_AVX2_CODE 0
#endif

/// The one dispatch rule: the path a kernel runs for a request, given the features its AVX-512
/// code needs (0: it has none) and whether it has AVX2 code. CK_PATH_SCALAR runs scalar code;
/// CK_PATH_AUTO the AVX-512 code where the CPU has `avx512_needed`, else the AVX2 code where it
/// has AVX2 + FMA, else scalar; a forced CK_PATH_AVX512 or CK_PATH_AVX2 that code where the CPU
/// runs it, else scalar.
ck_path ck_resolve_path(ck_path requested, unsigned avx512_needed, int has_avx2_code);

#endif
