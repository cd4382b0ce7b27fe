// Vectorized e^x and erf for AVX-512 (16 floats at a time), shared by the reduced-precision
// kernels (mimi_attention.c, activations.c). Not correctly rounded: e^x within 2 ulp (1.14
// measured), erf within 1.5e-7 absolute (Abramowitz & Stegun 7.1.26, the form PyTorch's
// vectorized CPU erf uses). The exact path keeps libm.
#ifndef CKERNELS_VECTOR_MATH_H
#define CKERNELS_VECTOR_MATH_H

#include "internal.h"

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

/// e^x per lane: n = round(x · log2 e), r = x − n · ln 2 (two-part ln 2, |r| ≤ ln 2 / 2),
/// e^r = 1 + r + r² · P(r) (Cephes expf's degree-5 P), scaled by 2^n. x is clamped to
/// [−104, 88.72]: e^x is 0 at −104 and below (−∞ too), and +∞ only past 88.72.
CK_AVX512 static inline __m512 ck_exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.7228394f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/// erf(x) per lane: sign(x) · (1 − t · R(t) · e^(−x²)), t = 1 / (1 + 0.3275911 |x|),
/// R of degree 4 (Abramowitz & Stegun 7.1.26): |error| ≤ 1.5e-7.
CK_AVX512 static inline __m512 ck_erf512(__m512 x) {
    __m512 a = _mm512_abs_ps(x);
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(a, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 r = _mm512_set1_ps(1.061405429f);
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-1.453152027f));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(1.421413741f));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-0.284496736f));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(0.254829592f));
    __m512 e = ck_exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));  // e^(−x²)
    __m512 y = _mm512_fnmadd_ps(_mm512_mul_ps(r, t), e, _mm512_set1_ps(1.0f));
    // The sign of x back on (erf is odd).
    __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));
}
#endif

#endif
