// GEMM in f32 for many columns: C[m, j] (+)= Σ_k W[m, k] · X[k, j] (+ bias[m]), the f32 twin of
// gemm_bf16.c for the layers where f32 FMAs are faster than bfloat16 products (this CPU issues
// vdpbf16ps at half the FMA rate: wide, compute-bound convolutions). Same structure:
//   weights     [ceil(M / 8)][K][8]   panels of 8 rows, zero rows past the end
//   activations [K][ldp]              columns side by side (ldp ≥ N)
// Each output is one fused multiply-add chain from zero over k in order, + bias, + C: the same
// bits whatever N and whichever columns share the call.
#include <math.h>
#include <string.h>
#include "internal.h"

#define PANEL 8

size_t ck_gemm_f32_weight_words(size_t m, size_t k) { return (m + PANEL - 1) / PANEL * k * PANEL; }

void ck_gemm_f32_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride, float *panels) {
    for (size_t p = 0; p < (m + PANEL - 1) / PANEL; p++)
        for (size_t i = 0; i < k; i++)
            for (size_t r = 0; r < PANEL; r++) {
                size_t row = p * PANEL + r;
                panels[(p * k + i) * PANEL + r] = row < m ? w[row * row_stride + i * k_stride] : 0.0f;
            }
}

void ck_gemm_f32_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                  size_t tap_stride, size_t column_stride, float *packed, size_t ldp) {
    for (size_t r = 0; r < k; r++) {
        const float *s = x + (r / taps) * channel_stride + (r % taps) * tap_stride;
        float *d = packed + r * ldp;
        if (column_stride == 1) {
            memcpy(d, s, n * sizeof *d);
        } else {
            for (size_t j = 0; j < n; j++) d[j] = s[j * column_stride];
        }
    }
}

static void gemm_scalar(const float *panels, size_t m, size_t k, const float *packed, size_t n, size_t ldp,
                        const float *bias, float *c, size_t ldc, size_t cs, int accumulate) {
    for (size_t row = 0; row < m; row++) {
        const float *w = panels + (row / PANEL) * k * PANEL + row % PANEL;
        for (size_t j = 0; j < n; j++) {
            float sum = 0;
            for (size_t i = 0; i < k; i++) sum = fmaf(w[i * PANEL], packed[i * ldp + j], sum);
            if (bias) sum = sum + bias[row];
            float *o = c + row * ldc + j * cs;
            *o = accumulate ? *o + sum : sum;
        }
    }
}

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define INLINE static inline __attribute__((always_inline))

/// 16 outputs of C at o, o + cs, o + 2·cs, ...: one vector when cs is 1, else a gather / scatter.
AVX512 INLINE __m512 load_c(const float *o, __mmask16 mask, size_t cs) {
    if (cs == 1) return _mm512_maskz_loadu_ps(mask, o);
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32((int)cs));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, index, o, 4);
}

AVX512 INLINE void store_c(float *o, __mmask16 mask, size_t cs, __m512 v) {
    if (cs == 1) {
        _mm512_mask_storeu_ps(o, mask, v);
        return;
    }
    __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                       _mm512_set1_epi32((int)cs));
    _mm512_mask_i32scatter_ps(o, mask, index, v, 4);
}

#define TILE(NR)                                                                                               \
    AVX512 static void tile##NR(const float *w, size_t k, const float *x, size_t ldp, size_t row0, size_t rows, \
                                size_t cols, const float *bias, float *c, size_t ldc, size_t cs, int accumulate) {         \
        __m512 acc[PANEL][NR];                                                                                  \
        for (int r = 0; r < PANEL; r++)                                                                         \
            for (int v = 0; v < NR; v++) acc[r][v] = _mm512_setzero_ps();                                       \
        for (size_t i = 0; i < k; i++) {                                                                        \
            __m512 xv[NR];                                                                                      \
            for (int v = 0; v < NR; v++) xv[v] = _mm512_loadu_ps(x + i * ldp + 16 * v);                       \
            const float *wi = w + i * PANEL;                                                                    \
            for (int r = 0; r < PANEL; r++) {                                                                   \
                __m512 wv = _mm512_set1_ps(wi[r]);                                                              \
                for (int v = 0; v < NR; v++) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);                \
            }                                                                                                   \
        }                                                                                                       \
        for (size_t r = 0; r < rows; r++) {                                                                     \
            __m512 b = _mm512_set1_ps(bias ? bias[row0 + r] : 0.0f);                                            \
            for (int v = 0; v < NR; v++) {                                                                      \
                size_t left = cols - 16 * (size_t)v;                                                            \
                __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);                           \
                float *o = c + r * ldc + 16 * v * cs;                                                                \
                __m512 sum = bias ? _mm512_add_ps(acc[r][v], b) : acc[r][v];                                    \
                if (accumulate) sum = _mm512_add_ps(load_c(o, mask, cs), sum);                       \
                store_c(o, mask, cs, sum);                                                            \
            }                                                                                                   \
        }                                                                                                       \
    }
TILE(1)
TILE(3)

#define COLUMN_BLOCK 240

AVX512 static void gemm_avx512(const float *panels, size_t m, size_t k, const float *packed, size_t n, size_t ldp,
                               const float *bias, float *c, size_t ldc, size_t cs, int accumulate) {
    size_t panel_count = (m + PANEL - 1) / PANEL;
    for (size_t j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
        size_t j1 = j0 + COLUMN_BLOCK < n ? j0 + COLUMN_BLOCK : n;
        for (size_t p = 0; p < panel_count; p++) {
            const float *w = panels + p * k * PANEL;
            size_t row0 = p * PANEL;
            size_t rows = m - row0 < PANEL ? m - row0 : PANEL;
            size_t j = j0;
            for (; j + 32 < j1; j += 48) {
                size_t cols = j1 - j < 48 ? j1 - j : 48;
                tile3(w, k, packed + j, ldp, row0, rows, cols, bias, c + row0 * ldc + j * cs, ldc, cs, accumulate);
            }
            for (; j < j1; j += 16) {
                size_t cols = j1 - j < 16 ? j1 - j : 16;
                tile1(w, k, packed + j, ldp, row0, rows, cols, bias, c + row0 * ldc + j * cs, ldc, cs, accumulate);
            }
        }
    }
}
#endif

ck_path ck_gemm_f32(const float *panels, size_t m, size_t k, const float *packed, size_t n, size_t ldp,
                    const float *bias, float *c, size_t ldc, size_t cs, int accumulate, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512)) {
        if (m && n) gemm_avx512(panels, m, k, packed, n, ldp, bias, c, ldc, cs, accumulate);
        return CK_PATH_AVX512;
    }
#endif
    gemm_scalar(panels, m, k, packed, n, ldp, bias, c, ldc, cs, accumulate);
    return CK_PATH_SCALAR;
}

// MARK: One output row (a conv with one output channel: SEANet's last), straight from X

static void row_scalar(const float *w, size_t ws, size_t k, size_t taps, const float *x, size_t channel_stride, size_t tap_stride,
                       size_t n, const float *bias, float *y) {
    for (size_t j = 0; j < n; j++) {
        float sum = 0;
        for (size_t r = 0; r < k; r++) sum = fmaf(w[r * ws], x[(r / taps) * channel_stride + (r % taps) * tap_stride + j], sum);
        y[j] = bias ? sum + *bias : sum;
    }
}

#if CK_HAVE_AVX512_CODE
/// 64 columns at a time (four chains), then 16.
AVX512 static void row_avx512(const float *w, size_t ws, size_t k, size_t taps, const float *x, size_t channel_stride,
                              size_t tap_stride, size_t n, const float *bias, float *y) {
    __m512 b = _mm512_set1_ps(bias ? *bias : 0.0f);
    size_t j = 0;
    for (; j + 64 <= n; j += 64) {
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (size_t r = 0; r < k; r++) {
            const float *s = x + (r / taps) * channel_stride + (r % taps) * tap_stride + j;
            __m512 wv = _mm512_set1_ps(w[r * ws]);
            for (int v = 0; v < 4; v++) acc[v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 16 * v), acc[v]);
        }
        for (int v = 0; v < 4; v++) _mm512_storeu_ps(y + j + 16 * v, bias ? _mm512_add_ps(acc[v], b) : acc[v]);
    }
    for (; j < n; j += 16) {
        __mmask16 mask = n - j >= 16 ? 0xFFFF : (__mmask16)((1u << (n - j)) - 1);
        __m512 acc = _mm512_setzero_ps();
        for (size_t r = 0; r < k; r++) {
            const float *s = x + (r / taps) * channel_stride + (r % taps) * tap_stride + j;
            acc = _mm512_fmadd_ps(_mm512_set1_ps(w[r * ws]), _mm512_maskz_loadu_ps(mask, s), acc);
        }
        _mm512_mask_storeu_ps(y + j, mask, bias ? _mm512_add_ps(acc, b) : acc);
    }
}
#endif

ck_path ck_gemm_f32_row(const float *w, size_t w_stride, size_t k, size_t taps, const float *x, size_t channel_stride, size_t tap_stride,
                        size_t n, const float *bias, float *y, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512)) {
        row_avx512(w, w_stride, k, taps, x, channel_stride, tap_stride, n, bias, y);
        return CK_PATH_AVX512;
    }
#endif
    row_scalar(w, w_stride, k, taps, x, channel_stride, tap_stride, n, bias, y);
    return CK_PATH_SCALAR;
}
