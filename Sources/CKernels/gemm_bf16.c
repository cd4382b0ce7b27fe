// GEMM with bfloat16 products for many columns: C[m, j] (+)= Σ_k W[m, k] · X[k, j] (+ bias[m]),
// W rounded to bfloat16 once (packed at load), X rounded to bfloat16 per call while it is
// packed (im2col fused in), exact products of two bfloat16 summed in f32 (AVX512-BF16
// `vdpbf16ps`). Meant for Mimi's convolutions and transformer linears, where N (time steps,
// times streams) is 16...thousands.
//
// Layouts (uint32 words, each a pair of bfloat16: k = 2i in the low half, 2i + 1 in the high):
//   weights     [ceil(M / 8)][ceil(K / 2)][8]   panels of 8 rows, zero rows and k past the end
//   activations [ceil(K / 2)][ldp]              columns side by side (ldp ≥ N)
// Every output element is the same sequence of operations whatever N, the column's place in
// the call and which other columns share it: a sum from zero over the pairs in k order (lane j
// adds the product at 2i + 1, then the one at 2i, as vdpbf16ps does), then + bias, then + C.
// So a stream's columns come out bit for bit the same alone or batched with other streams'.
#include <string.h>
#include "internal.h"

#pragma STDC FP_CONTRACT OFF

#define PANEL 8

// MARK: Portable C (any CPU): the same arithmetic as the AVX512-BF16 code

/// bfloat16 bits of x, to nearest even; subnormals to a zero of the same sign, NaN quieted
/// (what vcvtneps2bf16 does).
static inline uint32_t round_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7F800000u) == 0) return (bits >> 16) & 0x8000u;
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return ((bits >> 16) | 0x0040u) & 0xFFFFu;
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return bits >> 16;
}

/// The f32 value of bfloat16 bits, subnormals as zero (vdpbf16ps reads them so).
static inline float widen_bf16(uint32_t b) {
    uint32_t bits = (b & 0xFFFFu) << 16;
    if ((bits & 0x7F800000u) == 0) bits &= 0x80000000u;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

size_t ck_gemm_bf16_weight_words(size_t m, size_t k) { return (m + PANEL - 1) / PANEL * ((k + 1) / 2) * PANEL; }

void ck_gemm_bf16_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride,
                               uint32_t *panels) {
    size_t k2 = (k + 1) / 2;
    for (size_t p = 0; p < (m + PANEL - 1) / PANEL; p++) {
        for (size_t i = 0; i < k2; i++) {
            for (size_t r = 0; r < PANEL; r++) {
                size_t row = p * PANEL + r;
                uint32_t lo = 0, hi = 0;
                if (row < m) {
                    lo = round_bf16(w[row * row_stride + 2 * i * k_stride]);
                    if (2 * i + 1 < k) hi = round_bf16(w[row * row_stride + (2 * i + 1) * k_stride]);
                }
                panels[(p * k2 + i) * PANEL + r] = lo | (hi << 16);
            }
        }
    }
}

static void pack_activations_scalar(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                    size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp) {
    for (size_t i = 0; i < (k + 1) / 2; i++) {
        size_t r0 = 2 * i, r1 = 2 * i + 1;
        const float *s0 = x + (r0 / taps) * channel_stride + (r0 % taps) * tap_stride;
        const float *s1 = r1 < k ? x + (r1 / taps) * channel_stride + (r1 % taps) * tap_stride : NULL;
        uint32_t *d = packed + i * ldp;
        for (size_t j = 0; j < n; j++) {
            uint32_t hi = s1 ? round_bf16(s1[j * column_stride]) : 0;
            d[j] = round_bf16(s0[j * column_stride]) | (hi << 16);
        }
    }
}

static inline float finish(float sum, const float *bias, size_t row, const float *c, int accumulate) {
    if (bias) sum = sum + bias[row];
    return accumulate ? *c + sum : sum;
}

static void gemm_scalar(const uint32_t *panels, size_t m, size_t k, const uint32_t *packed, size_t n, size_t ldp,
                        const float *bias, float *c, size_t ldc, size_t cs, int accumulate) {
    size_t k2 = (k + 1) / 2;
    for (size_t row = 0; row < m; row++) {
        const uint32_t *w = panels + (row / PANEL) * k2 * PANEL + row % PANEL;
        for (size_t j = 0; j < n; j++) {
            float sum = 0;
            for (size_t i = 0; i < k2; i++) {
                uint32_t a = w[i * PANEL], b = packed[i * ldp + j];
                sum = sum + widen_bf16(a >> 16) * widen_bf16(b >> 16);
                sum = sum + widen_bf16(a) * widen_bf16(b);
            }
            float *o = c + row * ldc + j * cs;
            *o = finish(sum, bias, row, o, accumulate);
        }
    }
}

// MARK: AVX512-BF16

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

/// Pairs of rows (r0, r1) of 16 columns to one vector of words: bf16(r0) low, bf16(r1) high.
BF16 INLINE __m512i pair16(__m512 r0, __m512 r1) {
    __m256i lo = (__m256i)_mm512_cvtneps_pbh(r0);
    __m256i hi = (__m256i)_mm512_cvtneps_pbh(r1);
    return _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
}

BF16 static void pack_activations_avx512(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                         size_t tap_stride, uint32_t *packed, size_t ldp) {
    for (size_t i = 0; i < (k + 1) / 2; i++) {
        size_t r0 = 2 * i, r1 = 2 * i + 1;
        const float *s0 = x + (r0 / taps) * channel_stride + (r0 % taps) * tap_stride;
        const float *s1 = r1 < k ? x + (r1 / taps) * channel_stride + (r1 % taps) * tap_stride : NULL;
        uint32_t *d = packed + i * ldp;
        for (size_t j = 0; j < n; j += 16) {
            __mmask16 mask = n - j >= 16 ? 0xFFFF : (__mmask16)((1u << (n - j)) - 1);
            __m512 a = _mm512_maskz_loadu_ps(mask, s0 + j);
            __m512 b = s1 ? _mm512_maskz_loadu_ps(mask, s1 + j) : _mm512_setzero_ps();
            _mm512_mask_storeu_epi32(d + j, mask, pair16(a, b));
        }
    }
}

/// Activations given as rows [N, K] (x[j, k] at j·column_stride + k): each row's k pairs are
/// adjacent already, so 32 floats round to 16 words of one column, scattered down the packing.
BF16 static void pack_rows_avx512(const float *x, size_t k, size_t n, size_t column_stride, uint32_t *packed,
                                  size_t ldp) {
    size_t k2 = (k + 1) / 2;
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32((int)ldp));
    for (size_t j = 0; j < n; j++) {
        const float *row = x + j * column_stride;
        for (size_t i = 0; i < k2; i += 16) {
            size_t left = k - 2 * i;
            __mmask16 m0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
            __mmask16 m1 = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
            __m512 a = _mm512_maskz_loadu_ps(m0, row + 2 * i);
            __m512 b = _mm512_maskz_loadu_ps(m1, row + 2 * i + 16);
            __m512i words = (__m512i)_mm512_cvtne2ps_pbh(b, a);
            __mmask16 store = k2 - i >= 16 ? 0xFFFF : (__mmask16)((1u << (k2 - i)) - 1);
            _mm512_mask_i32scatter_epi32(packed + i * ldp + j, store, index, words, 4);
        }
    }
}

/// 16 outputs of C at o, o + cs, o + 2·cs, ...: one vector when cs is 1, else a gather / scatter.
BF16 INLINE __m512 load_c(const float *o, __mmask16 mask, size_t cs) {
    if (cs == 1) return _mm512_maskz_loadu_ps(mask, o);
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32((int)cs));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, o, 4);
}

BF16 INLINE void store_c(float *o, __mmask16 mask, size_t cs, __m512 v) {
    if (cs == 1) {
        _mm512_mask_storeu_ps(o, mask, v);
        return;
    }
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32((int)cs));
    _mm512_mask_i32scatter_ps(o, mask, index, v, 4);
}

/// One tile: 8 rows (a panel) × NR vectors of 16 columns, over all k.
#define TILE(NR)                                                                                              \
    BF16 static void tile##NR(const uint32_t *w, size_t k2, const uint32_t *x, size_t ldp, size_t row0,        \
                              size_t rows, size_t cols, const float *bias, float *c, size_t ldc, size_t cs, int accumulate) { \
        __m512 acc[PANEL][NR];                                                                                 \
        for (int r = 0; r < PANEL; r++)                                                                        \
            for (int v = 0; v < NR; v++) acc[r][v] = _mm512_setzero_ps();                                      \
        for (size_t i = 0; i < k2; i++) {                                                                      \
            __m512bh xv[NR];                                                                                   \
            for (int v = 0; v < NR; v++) xv[v] = (__m512bh)_mm512_loadu_si512(x + i * ldp + 16 * v);          \
            const uint32_t *wi = w + i * PANEL;                                                                \
            for (int r = 0; r < PANEL; r++) {                                                                  \
                __m512bh wv = (__m512bh)_mm512_set1_epi32((int)wi[r]);                                         \
                for (int v = 0; v < NR; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], wv, xv[v]);             \
            }                                                                                                  \
        }                                                                                                      \
        for (size_t r = 0; r < rows; r++) {                                                                    \
            __m512 b = _mm512_set1_ps(bias ? bias[row0 + r] : 0.0f);                                           \
            for (int v = 0; v < NR; v++) {                                                                     \
                size_t left = cols - 16 * (size_t)v;                                                           \
                __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);                          \
                float *o = c + r * ldc + 16 * v * cs;                                                               \
                __m512 sum = bias ? _mm512_add_ps(acc[r][v], b) : acc[r][v];                                   \
                if (accumulate) sum = _mm512_add_ps(load_c(o, mask, cs), sum);                      \
                store_c(o, mask, cs, sum);                                                           \
            }                                                                                                  \
        }                                                                                                      \
    }
TILE(1)
TILE(2)

/// Columns per block: the activations of one block stay in L2 while every panel passes over them.
#define COLUMN_BLOCK 256

BF16 static void gemm_avx512(const uint32_t *panels, size_t m, size_t k, const uint32_t *packed, size_t n,
                             size_t ldp, const float *bias, float *c, size_t ldc, size_t cs, int accumulate) {
    size_t k2 = (k + 1) / 2;
    size_t panel_count = (m + PANEL - 1) / PANEL;
    for (size_t j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
        size_t j1 = j0 + COLUMN_BLOCK < n ? j0 + COLUMN_BLOCK : n;
        for (size_t p = 0; p < panel_count; p++) {
            const uint32_t *w = panels + p * k2 * PANEL;
            size_t row0 = p * PANEL;
            size_t rows = m - row0 < PANEL ? m - row0 : PANEL;
            size_t j = j0;
            for (; j + 16 < j1; j += 32) {
                size_t cols = j1 - j < 32 ? j1 - j : 32;
                tile2(w, k2, packed + j, ldp, row0, rows, cols, bias, c + row0 * ldc + j * cs, ldc, cs, accumulate);
            }
            if (j < j1) tile1(w, k2, packed + j, ldp, row0, rows, j1 - j, bias, c + row0 * ldc + j * cs, ldc, cs, accumulate);
        }
    }
}
#endif

// MARK: Dispatch

static int use_avx512_bf16(ck_path path) {
#if CK_HAVE_AVX512_CODE
    unsigned needed = CK_FEATURE_AVX512 | CK_FEATURE_AVX512_BF16;
    return path != CK_PATH_SCALAR && (ck_cpu_features() & needed) == needed;
#else
    (void)path;
    return 0;
#endif
}

size_t ck_gemm_bf16_activation_stride(size_t n) { return (n + 15) / 16 * 16; }

ck_path ck_gemm_bf16_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                      size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp,
                                      ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512_bf16(path) && column_stride == 1) {
        pack_activations_avx512(x, k, n, taps, channel_stride, tap_stride, packed, ldp);
        return CK_PATH_AVX512;
    }
    if (use_avx512_bf16(path) && taps == 1 && channel_stride == 1) {
        pack_rows_avx512(x, k, n, column_stride, packed, ldp);
        return CK_PATH_AVX512;
    }
#endif
    pack_activations_scalar(x, k, n, taps, channel_stride, tap_stride, column_stride, packed, ldp);
    return use_avx512_bf16(path) ? CK_PATH_AVX512 : CK_PATH_SCALAR;
}

ck_path ck_gemm_bf16(const uint32_t *panels, size_t m, size_t k, const uint32_t *packed, size_t n, size_t ldp,
                     const float *bias, float *c, size_t ldc, size_t cs, int accumulate, ck_path path) {
    if (m == 0 || n == 0) return use_avx512_bf16(path) ? CK_PATH_AVX512 : CK_PATH_SCALAR;
#if CK_HAVE_AVX512_CODE
    if (use_avx512_bf16(path)) {
        gemm_avx512(panels, m, k, packed, n, ldp, bias, c, ldc, cs, accumulate);
        return CK_PATH_AVX512;
    }
#endif
    gemm_scalar(panels, m, k, packed, n, ldp, bias, c, ldc, cs, accumulate);
    return CK_PATH_SCALAR;
}
