// GEMM with int8 products for many columns: C[m, j] (+)= sw[m] · sx[j] · Σ_k qw[m, k] · qx[k, j]
// (+ bias[m]), the int8 twin of gemm_bf16.c for Mimi's SEANet convolutions under Precision.int8.
// Weights are quantized once per row (symmetric: qw = round(w · 127 / max|w|), as
// ck_quantize_int8_f32), activations per call per column (time step) over that column's K values
// (in-channels × taps of a conv), the same rule. Each column's scale and sums depend on its own
// values only, so a stream's columns come out bit for bit the same alone or batched.
//
// AVX512-VNNI `vpdpbusd` multiplies four unsigned bytes by four signed bytes per int32 lane: the
// activations go in as u = q + 128 (unsigned) and the kernel subtracts 128 · Σ_k qw[m, k]
// (linear_int8.c). Layouts (uint32 words, each four bytes: k = 4i in the lowest):
//   weights     [ceil(M / 8)][ceil(K / 4)][8]   panels of 8 rows; zero rows and k past the end
//   activations [ceil(K / 4)][ldp] words, then one row of ldp f32 column scales
// The int32 sums are exact (|Σ u·w| ≤ 255 · 127 · K < 2³¹ for K < 66 000), then one f32 step per
// output: (float)(dot − 128·Σqw) · (sx · sw) (+ bias) (+ C): the portable C code gives the same bits.
#include <math.h>
#include <string.h>
#include "internal.h"

#pragma STDC FP_CONTRACT OFF

#define PANEL 8

/// round_even(v · inverse) clamped to -127...127 (NaN to -127, as the AVX-512 code does).
static inline int32_t quantize(float v, float inverse) {
    float scaled = v * inverse;
    if (!(scaled >= -127.0f)) return -127;
    if (scaled > 127.0f) return 127;
    return (int32_t)rintf(scaled);
}

/// The scale m / 127 and the multiplier 127 / m of a set whose largest magnitude is m.
static inline void scales_for(float m, float *scale, float *inverse) {
    *scale = m / 127.0f;
    *inverse = m > 0.0f ? 127.0f / m : 0.0f;
}

size_t ck_gemm_int8_weight_words(size_t m, size_t k) { return (m + PANEL - 1) / PANEL * ((k + 3) / 4) * PANEL; }

size_t ck_gemm_int8_activation_words(size_t k, size_t ldp) { return ((k + 3) / 4 + 1) * ldp; }

void ck_gemm_int8_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride,
                               uint32_t *panels, float *scales, int32_t *sums) {
    size_t k4 = (k + 3) / 4;
    memset(panels, 0, ck_gemm_int8_weight_words(m, k) * sizeof *panels);
    for (size_t row = 0; row < m; row++) {
        const float *src = w + row * row_stride;
        float largest = 0.0f;
        for (size_t i = 0; i < k; i++) {
            float a = fabsf(src[i * k_stride]);
            largest = a > largest ? a : largest;
        }
        float inverse;
        scales_for(largest, &scales[row], &inverse);
        int32_t sum = 0;
        uint32_t *panel = panels + (row / PANEL) * k4 * PANEL + row % PANEL;
        for (size_t i = 0; i < k; i++) {
            int32_t q = quantize(src[i * k_stride], inverse);
            sum += q;
            panel[(i / 4) * PANEL] |= (uint32_t)(uint8_t)(int8_t)q << (8 * (i % 4));
        }
        sums[row] = sum;
    }
}

// MARK: Portable C (any CPU)

/// Element (r, j) of X: row r = c · taps + t.
static inline const float *element(const float *x, size_t r, size_t j, size_t taps, size_t channel_stride,
                                   size_t tap_stride, size_t column_stride) {
    return x + (r / taps) * channel_stride + (r % taps) * tap_stride + j * column_stride;
}

static void pack_activations_scalar(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                    size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp) {
    size_t k4 = (k + 3) / 4;
    float *scales = (float *)(void *)(packed + k4 * ldp);
    for (size_t j = 0; j < n; j++) {
        float largest = 0.0f;
        for (size_t r = 0; r < k; r++) {
            float a = fabsf(*element(x, r, j, taps, channel_stride, tap_stride, column_stride));
            largest = a > largest ? a : largest;
        }
        float inverse;
        scales_for(largest, &scales[j], &inverse);
        for (size_t i = 0; i < k4; i++) {
            uint32_t word = 0;
            for (size_t b = 0; b < 4; b++) {
                size_t r = 4 * i + b;
                int32_t q = r < k ? quantize(*element(x, r, j, taps, channel_stride, tap_stride, column_stride), inverse) : 0;
                word |= (uint32_t)(q + 128) << (8 * b);
            }
            packed[i * ldp + j] = word;
        }
    }
}

/// The one f32 step of both paths.
static inline float finish(int32_t dot, int32_t sum, float sx, float sw, const float *bias, size_t row, const float *c,
                           int accumulate) {
    float v = (float)(dot - 128 * sum) * (sx * sw);
    if (bias) v = v + bias[row];
    return accumulate ? *c + v : v;
}

static void gemm_scalar(const uint32_t *panels, const float *scales, const int32_t *sums, size_t m, size_t k,
                        const uint32_t *packed, size_t n, size_t ldp, const float *bias, float *c, size_t ldc,
                        size_t cs, int accumulate) {
    size_t k4 = (k + 3) / 4;
    const float *columnScales = (const float *)(const void *)(packed + k4 * ldp);
    for (size_t row = 0; row < m; row++) {
        const uint32_t *w = panels + (row / PANEL) * k4 * PANEL + row % PANEL;
        for (size_t j = 0; j < n; j++) {
            int32_t dot = 0;
            for (size_t i = 0; i < k4; i++) {
                uint32_t a = w[i * PANEL], u = packed[i * ldp + j];
                for (int b = 0; b < 4; b++) dot += (int32_t)((u >> (8 * b)) & 0xFF) * (int32_t)(int8_t)(a >> (8 * b));
            }
            float *o = c + row * ldc + j * cs;
            *o = finish(dot, sums[row], columnScales[j], scales[row], bias, row, o, accumulate);
        }
    }
}

// MARK: AVX512-VNNI

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512vnni,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

/// u = clamp(round_even(x · inverse), -127, 127) + 128 per lane.
VNNI INLINE __m512i quantize16(__m512 x, __m512 inverse) {
    __m512i v = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x, inverse), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
    return _mm512_add_epi32(v, _mm512_set1_epi32(128));
}

/// Columns contiguous (column_stride 1), 16 at a time: the max over the column's K values, the
/// scale, then the words of four rows each.
VNNI static void pack_activations_avx512(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                         size_t tap_stride, uint32_t *packed, size_t ldp) {
    size_t k4 = (k + 3) / 4;
    float *scales = (float *)(void *)(packed + k4 * ldp);
    for (size_t j = 0; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? 0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 largest = _mm512_setzero_ps();
        for (size_t r = 0; r < k; r++) {
            const float *s = x + (r / taps) * channel_stride + (r % taps) * tap_stride + j;
            largest = _mm512_max_ps(_mm512_abs_ps(_mm512_maskz_loadu_ps(mask, s)), largest);
        }
        __m512 scale = _mm512_div_ps(largest, _mm512_set1_ps(127.0f));
        __m512 inverse = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(largest, _mm512_setzero_ps(), _CMP_GT_OQ),
                                             _mm512_set1_ps(127.0f), largest);
        _mm512_mask_storeu_ps(scales + j, mask, scale);
        for (size_t i = 0; i < k4; i++) {
            __m512i word = _mm512_setzero_si512();
            for (int b = 0; b < 4; b++) {
                size_t r = 4 * i + (size_t)b;
                __m512i u = _mm512_set1_epi32(128);
                if (r < k) {
                    const float *s = x + (r / taps) * channel_stride + (r % taps) * tap_stride + j;
                    u = quantize16(_mm512_maskz_loadu_ps(mask, s), inverse);
                }
                word = _mm512_or_si512(word, _mm512_slli_epi32(u, 8 * (unsigned)b));
            }
            _mm512_mask_storeu_epi32(packed + i * ldp + j, mask, word);
        }
    }
}

/// One tile: 8 rows (a panel) × NR vectors of 16 columns, over all k.
#define TILE(NR)                                                                                                   \
    VNNI static void tile##NR(const uint32_t *w, size_t k4, const uint32_t *x, const float *sx, size_t ldp,         \
                              size_t row0, size_t rows, size_t cols, const float *scales, const int32_t *sums,      \
                              const float *bias, float *c, size_t ldc, int accumulate) {                            \
        __m512i acc[PANEL][NR];                                                                                     \
        for (int r = 0; r < PANEL; r++)                                                                             \
            for (int v = 0; v < NR; v++) acc[r][v] = _mm512_setzero_si512();                                        \
        for (size_t i = 0; i < k4; i++) {                                                                           \
            __m512i xv[NR];                                                                                         \
            for (int v = 0; v < NR; v++) xv[v] = _mm512_loadu_si512(x + i * ldp + 16 * v);                         \
            const uint32_t *wi = w + i * PANEL;                                                                     \
            for (int r = 0; r < PANEL; r++) {                                                                       \
                __m512i wv = _mm512_set1_epi32((int)wi[r]);                                                         \
                for (int v = 0; v < NR; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], xv[v], wv);               \
            }                                                                                                       \
        }                                                                                                           \
        for (size_t r = 0; r < rows; r++) {                                                                         \
            size_t row = row0 + r;                                                                                  \
            __m512i correction = _mm512_set1_epi32(128 * sums[row]);                                                \
            __m512 sw = _mm512_set1_ps(scales[row]);                                                                \
            for (int v = 0; v < NR; v++) {                                                                          \
                size_t left = cols - 16 * (size_t)v;                                                                \
                __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);                               \
                float *o = c + r * ldc + 16 * v;                                                                    \
                __m512 scale = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, sx + 16 * v), sw);                         \
                __m512 sum = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][v], correction)), scale);     \
                if (bias) sum = _mm512_add_ps(sum, _mm512_set1_ps(bias[row]));                                      \
                if (accumulate) sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, o), sum);                           \
                _mm512_mask_storeu_ps(o, mask, sum);                                                                \
            }                                                                                                       \
        }                                                                                                           \
    }
TILE(1)
TILE(3)

/// Columns per block: 5 tiles of 48.
#define COLUMN_BLOCK 240

/// Row-major C only (cs 1); other layouts take the portable code.
VNNI static void gemm_avx512(const uint32_t *panels, const float *scales, const int32_t *sums, size_t m, size_t k,
                             const uint32_t *packed, size_t n, size_t ldp, const float *bias, float *c, size_t ldc,
                             int accumulate) {
    size_t k4 = (k + 3) / 4;
    const float *sx = (const float *)(const void *)(packed + k4 * ldp);
    size_t panel_count = (m + PANEL - 1) / PANEL;
    for (size_t j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
        size_t j1 = j0 + COLUMN_BLOCK < n ? j0 + COLUMN_BLOCK : n;
        for (size_t p = 0; p < panel_count; p++) {
            const uint32_t *w = panels + p * k4 * PANEL;
            size_t row0 = p * PANEL;
            size_t rows = m - row0 < PANEL ? m - row0 : PANEL;
            size_t j = j0;
            for (; j + 32 < j1; j += 48) {
                size_t cols = j1 - j < 48 ? j1 - j : 48;
                tile3(w, k4, packed + j, sx + j, ldp, row0, rows, cols, scales, sums, bias, c + row0 * ldc + j, ldc,
                      accumulate);
            }
            for (; j < j1; j += 16) {
                size_t cols = j1 - j < 16 ? j1 - j : 16;
                tile1(w, k4, packed + j, sx + j, ldp, row0, rows, cols, scales, sums, bias, c + row0 * ldc + j, ldc,
                      accumulate);
            }
        }
    }
}
#endif

// MARK: Dispatch

static int use_avx512_vnni(ck_path path) {
#if CK_HAVE_AVX512_CODE
    unsigned needed = CK_FEATURE_AVX512 | CK_FEATURE_AVX512_VNNI;
    return path != CK_PATH_SCALAR && (ck_cpu_features() & needed) == needed;
#else
    (void)path;
    return 0;
#endif
}

ck_path ck_gemm_int8_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                      size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp,
                                      ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512_vnni(path) && column_stride == 1) {
        pack_activations_avx512(x, k, n, taps, channel_stride, tap_stride, packed, ldp);
        return CK_PATH_AVX512;
    }
#endif
    pack_activations_scalar(x, k, n, taps, channel_stride, tap_stride, column_stride, packed, ldp);
    return use_avx512_vnni(path) ? CK_PATH_AVX512 : CK_PATH_SCALAR;
}

ck_path ck_gemm_int8(const uint32_t *panels, const float *scales, const int32_t *sums, size_t m, size_t k,
                     const uint32_t *packed, size_t n, size_t ldp, const float *bias, float *c, size_t ldc, size_t cs,
                     int accumulate, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512_vnni(path) && cs == 1) {
        if (m && n) gemm_avx512(panels, scales, sums, m, k, packed, n, ldp, bias, c, ldc, accumulate);
        return CK_PATH_AVX512;
    }
#endif
    gemm_scalar(panels, scales, sums, m, k, packed, n, ldp, bias, c, ldc, cs, accumulate);
    return use_avx512_vnni(path) && cs == 1 ? CK_PATH_AVX512 : CK_PATH_SCALAR;
}
