// CKernels: hot CPU kernels Swift cannot express (AVX-512 intrinsics), with portable fallbacks.
// Plain C; the only state is the CPU's features, queried once. Every function picks its code
// path at run time from them, so the library runs on any x86_64 (or other) CPU; the AVX-512
// code is compiled per function.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features the kernels can use (bit set).
enum {
    /// AVX-512 F + BW + VL (and FMA): the AVX-512 linear kernels.
    CK_FEATURE_AVX512 = 1u << 0,
    /// AVX-512 BF16 (reported for information; the kernels keep activations in f32 and do
    /// not need it).
    CK_FEATURE_AVX512_BF16 = 1u << 1,
};

/// The features of the running CPU (and OS: zmm state enabled), queried on the first call
/// (thread-safe) and remembered.
unsigned ck_cpu_features(void);

/// Which implementation runs: the best supported one, or one forced (tests, benchmarks).
/// Forcing CK_PATH_AVX512 on a CPU without it runs the scalar code instead.
typedef enum ck_path {
    CK_PATH_AUTO = 0,
    CK_PATH_SCALAR = 1,
    CK_PATH_AVX512 = 2,
} ck_path;

/// y[r, n] = sum_k x[r, k] * w[n, k] + bias[n] for r < rows, n < out, k < in
/// (y[r, n] += ... when `accumulate` is non-zero). x: [rows, in], w: [out, in], y: [rows, out],
/// all row-major and contiguous; bias may be NULL. y must not overlap x, w or bias.
/// Reads the weights once per tile of up to 8 rows: meant for few rows (one per stream).
/// Returns the path that ran (CK_PATH_SCALAR or CK_PATH_AVX512).
ck_path ck_linear_f32(const float *x, size_t rows, size_t in, const float *w, size_t out,
                      const float *bias, float *y, int accumulate, ck_path path);

/// As ck_linear_f32 with bfloat16 weights (raw bits: the top half of a float32, little-endian).
/// Each weight is widened exactly to f32; x, bias and the sums stay f32.
ck_path ck_linear_bf16(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out,
                       const float *bias, float *y, int accumulate, ck_path path);

/// As ck_linear_f32 / ck_linear_bf16 for the outputs first ..< first + count only (columns of
/// y[rows, out], rows still `out` apart; first + count <= out). Each output is computed exactly
/// as by the full call, so disjoint ranges may run on different threads at once.
ck_path ck_linear_f32_outputs(const float *x, size_t rows, size_t in, const float *w, size_t out, size_t first,
                              size_t count, const float *bias, float *y, int accumulate, ck_path path);
ck_path ck_linear_bf16_outputs(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out, size_t first,
                               size_t count, const float *bias, float *y, int accumulate, ck_path path);

/// dst[i] = the f32 value of the bfloat16 bits src[i] (exact), i < count.
ck_path ck_bf16_to_f32(const uint16_t *src, float *dst, size_t count, ck_path path);

#ifdef __cplusplus
}
#endif

#endif
