// Element-wise functions of the reduced precisions with a vectorized e^x / erf (vector_math.h):
// GELU for the Mimi decoder's feed-forward, and e^x itself (tested against libm). The portable
// C code calls libm (expf, erff): on CPUs without AVX-512 the values are libm's.
#include <math.h>
#include "vector_math.h"

#pragma STDC FP_CONTRACT OFF

#if CK_HAVE_AVX512_CODE
CK_AVX512 static void gelu_avx512(float *x, size_t count) {
    const __m512 half = _mm512_set1_ps(0.5f), invSqrt2 = _mm512_set1_ps(0.70710678118654752f);
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        __m512 e = ck_erf512(_mm512_mul_ps(v, invSqrt2));
        _mm512_mask_storeu_ps(x + i, mask, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    }
}

/// x · sigmoid(2u) = 0.5 · x · (1 + tanh(u)), u = √(2/π) · (x + 0.044715 · x³): one e^x, no cancellation.
CK_AVX512 static void gelu_tanh_avx512(float *x, size_t count) {
    const __m512 minusTwoC = _mm512_set1_ps(-2.0f * 0.79788456080286536f), cubic = _mm512_set1_ps(0.044715f);
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(cubic, v), _mm512_mul_ps(v, v), v);
        __m512 e = ck_exp512(_mm512_mul_ps(minusTwoC, inner));
        _mm512_mask_storeu_ps(x + i, mask, _mm512_div_ps(v, _mm512_add_ps(one, e)));
    }
}

CK_AVX512 static void exp_avx512(const float *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, mask, ck_exp512(_mm512_maskz_loadu_ps(mask, src + i)));
    }
}
#endif

static int use_avx512(ck_path path) {
    return CK_HAVE_AVX512_CODE && path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512);
}

ck_path ck_gelu_erf(float *x, size_t count, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512(path)) {
        gelu_avx512(x, count);
        return CK_PATH_AVX512;
    }
#endif
    for (size_t i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
    return CK_PATH_SCALAR;
}

ck_path ck_gelu_tanh(float *x, size_t count, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512(path)) {
        gelu_tanh_avx512(x, count);
        return CK_PATH_AVX512;
    }
#endif
    for (size_t i = 0; i < count; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    }
    return CK_PATH_SCALAR;
}

ck_path ck_exp(const float *src, float *dst, size_t count, ck_path path) {
#if CK_HAVE_AVX512_CODE
    if (use_avx512(path)) {
        exp_avx512(src, dst, count);
        return CK_PATH_AVX512;
    }
#endif
    for (size_t i = 0; i < count; i++) dst[i] = expf(src[i]);
    return CK_PATH_SCALAR;
}
