// SEANet's elementwise passes: the ELU of Kernels.VectorELU in AVX-512 (the same operations in
// the same order, 16 lanes instead of 8: the same bits, tested), and the col2im + overlap-add of
// its streaming transposed convolutions when the kernel is twice the stride.
#include "internal.h"

#pragma STDC FP_CONTRACT OFF

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

/// expm1 for lanes <= 0 (VectorELU.expm1Negative): x = k·ln2 + r, |r| <= ln2/2, a degree-8
/// Taylor polynomial for expm1(r), then 2^k·expm1(r) + (2^k − 1).
AVX512 static inline __attribute__((always_inline)) __m512 expm1_negative(__m512 v) {
    const __m512 ln2_hi = _mm512_set1_ps(0.693145751953125f);
    const __m512 ln2_lo = _mm512_set1_ps(1.428606765330187045e-06f);
    const __m512 inv_ln2 = _mm512_set1_ps(1.4426950408889634f);
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __mmask16 nonpositive = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ);
    __m512 x = _mm512_maskz_mov_ps(nonpositive, v);
    x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ), _mm512_set1_ps(-87.0f));
    __m512 k = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(x, inv_ln2), magic), magic);
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(k, ln2_hi)), _mm512_mul_ps(k, ln2_lo));
    __m512 p = _mm512_set1_ps(1.0f / 40320.0f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 5040.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(0.5f));
    __m512 em1 = _mm512_add_ps(r, _mm512_mul_ps(_mm512_mul_ps(r, r), p));
    __m512i biased = _mm512_and_si512(_mm512_castps_si512(_mm512_add_ps(k, _mm512_set1_ps(127.0f + 8388608.0f))),
                                      _mm512_set1_epi32(0x7FFFFF));
    __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23));
    return _mm512_add_ps(_mm512_mul_ps(scale, em1), _mm512_sub_ps(scale, _mm512_set1_ps(1.0f)));
}

AVX512 static void elu_avx512(float *x, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 mask = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        __mmask16 nonpositive = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ) & mask;
        if (nonpositive) _mm512_mask_storeu_ps(x + i, nonpositive, expm1_negative(v));
    }
}
#endif

int ck_elu_inplace(float *x, size_t n, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512)) {
        elu_avx512(x, n);
        return 1;
    }
#endif
    (void)x, (void)n, (void)path;
    return 0;
}

void ck_col2im_overlap_double_stride(const float *columns, size_t channels, size_t stride, size_t t_count,
                                     const float *bias, float *partial, float *y) {
    size_t kernel = 2 * stride, length = t_count * stride;
    for (size_t c = 0; c < channels; c++) {
        const float *head = columns + c * kernel * t_count;  // rows k < stride
        const float *tail = head + stride * t_count;  // rows k >= stride
        float b = bias ? bias[c] : 0.0f;
        float *row = y + c * length, *kept = partial + c * stride;
        // Output t·S + s: (bias + head[s, t]) + tail[s, t − 1] (t = 0: no tail term), + partial for t = 0.
        for (size_t s = 0; s < stride; s++) row[s] = (b + head[s * t_count]) + kept[s];
        for (size_t t = 1; t < t_count; t++)
            for (size_t s = 0; s < stride; s++)
                row[t * stride + s] = (b + head[s * t_count + t]) + tail[s * t_count + t - 1];
        // The overlap past the end (its only term the tail's), minus the bias, for the next call.
        for (size_t s = 0; s < stride; s++) kept[s] = (b + tail[s * t_count + t_count - 1]) - b;
    }
}
