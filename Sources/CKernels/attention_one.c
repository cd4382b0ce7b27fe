// One query against a whole contiguous KV cache (the FlowLM step of the reduced precisions):
// scores of every head key by key, so each key row (all heads, row stride apart) is read once,
// front to back; softmax per head; then the values, again row by row, a group of heads at a
// time. The BLAS form (Attention.swift: one sgemv per head and per pass) strides through the
// cache once per head. Every head's arithmetic is the same whichever heads a call covers, so
// calls over disjoint head ranges (two threads) give the values of one call.
// The cache is f32 (ck_attend_one) or bfloat16 bits (ck_attend_one_bf16, the FlowLM cache of the
// reduced precisions), widened exactly to f32 as it is loaded: the same arithmetic after the load.
#include <math.h>
#include <string.h>
#include "internal.h"

#pragma STDC FP_CONTRACT OFF

/// softmax over s[j · H + h], j < keys, for h < H (scores of H heads, key-major), in place.
static void softmax_columns(float *s, size_t keys, size_t H) {
    for (size_t h = 0; h < H; h++) {
        float m = -INFINITY;
        for (size_t j = 0; j < keys; j++) m = s[j * H + h] > m ? s[j * H + h] : m;
        float sum = 0.0f;
        for (size_t j = 0; j < keys; j++) {
            float e = expf(s[j * H + h] - m);
            s[j * H + h] = e;
            sum += e;
        }
        float inverse = 1.0f / sum;
        for (size_t j = 0; j < keys; j++) s[j * H + h] *= inverse;
    }
}

// MARK: Portable C (any CPU)

/// Element i of a cache row: f32, or bfloat16 bits widened exactly.
static inline float cache_at(const void *row, size_t i, int bf16) {
    if (!bf16) return ((const float *)row)[i];
    uint32_t bits = (uint32_t)((const uint16_t *)row)[i] << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// Address of element i of a cache (f32 or bfloat16 elements).
static inline const void *cache_offset(const void *base, size_t i, int bf16) {
    return bf16 ? (const void *)((const uint16_t *)base + i) : (const void *)((const float *)base + i);
}

static inline __attribute__((always_inline)) void attend_scalar(
    const float *q, size_t first, size_t H, size_t D, const void *keys, const void *values, size_t count,
    size_t stride, float scale, float *s, float *out, int bf16) {
    for (size_t j = 0; j < count; j++) {
        const void *k = cache_offset(keys, j * stride + first * D, bf16);
        for (size_t h = 0; h < H; h++) {
            float dot = 0.0f;
            for (size_t i = 0; i < D; i++) dot += q[(first + h) * D + i] * cache_at(k, h * D + i, bf16);
            s[j * H + h] = dot * scale;
        }
    }
    softmax_columns(s, count, H);
    for (size_t h = 0; h < H; h++) {
        float *o = out + (first + h) * D;
        for (size_t i = 0; i < D; i++) o[i] = 0.0f;
        for (size_t j = 0; j < count; j++) {
            const void *v = cache_offset(values, j * stride + (first + h) * D, bf16);
            float p = s[j * H + h];
            for (size_t i = 0; i < D; i++) o[i] += p * cache_at(v, i, bf16);
        }
    }
}

// MARK: AVX-512 (head size a multiple of 16, at most 256)

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

/// 16 cache elements from p (f32, or bfloat16 bits widened exactly: the bits shifted up 16).
AVX512 static inline __m512 load16(const void *p, int bf16) {
    if (!bf16) return _mm512_loadu_ps(p);
    __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

AVX512 static inline __attribute__((always_inline)) void attend_avx512(
    const float *q, size_t first, size_t H, size_t D, const void *keys, const void *values, size_t count,
    size_t stride, float scale, float *s, float *out, int bf16) {
    size_t V = D / 16;  // vectors per head
    size_t bytes = bf16 ? 2 : 4;  // per cache element
    const char *K = keys, *Vs = values;
    for (size_t j = 0; j < count; j++) {
        const char *k = K + (j * stride + first * D) * bytes;
        for (size_t h = 0; h < H; h++) {
            const float *qh = q + (first + h) * D;
            const char *kh = k + h * D * bytes;
            if (j + 4 < count)  // the same head of a row ahead: H·D floats per row are more than the prefetcher sees
                for (size_t i = 0; i < D * bytes; i += 64) _mm_prefetch(kh + 4 * stride * bytes + i, _MM_HINT_T0);
            __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(qh), load16(kh, bf16));
            for (size_t v = 1; v < V; v++)
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(qh + 16 * v), load16(kh + 16 * v * bytes, bf16), acc);
            s[j * H + h] = _mm512_reduce_add_ps(acc) * scale;
        }
    }
    softmax_columns(s, count, H);
    // Outputs of G heads (G·V ≤ 16 accumulators) over all keys, then the next G.
    size_t G = 16 / V;
    for (size_t h0 = 0; h0 < H; h0 += G) {
        size_t heads = H - h0 < G ? H - h0 : G;
        __m512 acc[16];
        for (size_t a = 0; a < heads * V; a++) acc[a] = _mm512_setzero_ps();
        for (size_t j = 0; j < count; j++) {
            const char *v = Vs + (j * stride + (first + h0) * D) * bytes;
            if (j + 4 < count)
                for (size_t i = 0; i < heads * D * bytes; i += 64) _mm_prefetch(v + 4 * stride * bytes + i, _MM_HINT_T0);
            for (size_t g = 0; g < heads; g++) {
                __m512 p = _mm512_set1_ps(s[j * H + h0 + g]);
                for (size_t i = 0; i < V; i++)
                    acc[g * V + i] = _mm512_fmadd_ps(p, load16(v + (g * D + 16 * i) * bytes, bf16), acc[g * V + i]);
            }
        }
        for (size_t g = 0; g < heads; g++)
            for (size_t i = 0; i < V; i++) _mm512_storeu_ps(out + (first + h0 + g) * D + 16 * i, acc[g * V + i]);
    }
}

AVX512 static void attend_avx512_f32(const float *q, size_t first, size_t H, size_t D, const void *keys,
                                     const void *values, size_t count, size_t stride, float scale, float *s,
                                     float *out) {
    attend_avx512(q, first, H, D, keys, values, count, stride, scale, s, out, 0);
}

AVX512 static void attend_avx512_bf16(const float *q, size_t first, size_t H, size_t D, const void *keys,
                                      const void *values, size_t count, size_t stride, float scale, float *s,
                                      float *out) {
    attend_avx512(q, first, H, D, keys, values, count, stride, scale, s, out, 1);
}
#endif

// MARK: AVX2 + FMA (CPUs without AVX-512; head size a multiple of 8, at most 256)
//
// The AVX-512 code with 8 lanes: its own sums (8-lane partial dot products), so within float
// rounding of the other paths. Outputs go in units of at most 8 accumulators: several heads of
// up to 64 values, or 64-value pieces of a wider head.

#if CK_HAVE_AVX2_CODE
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/// 8 cache elements from p (f32, or bfloat16 bits widened exactly: the bits shifted up 16).
AVX2 static inline __attribute__((always_inline)) __m256 load8(const void *p, int bf16) {
    if (!bf16) return _mm256_loadu_ps(p);
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

AVX2 static inline __attribute__((always_inline)) void attend_avx2(
    const float *q, size_t first, size_t H, size_t D, const void *keys, const void *values, size_t count,
    size_t stride, float scale, float *s, float *out, int bf16) {
    size_t V = D / 8;  // vectors per head
    size_t bytes = bf16 ? 2 : 4;  // per cache element
    const char *K = keys, *Vs = values;
    for (size_t j = 0; j < count; j++) {
        const char *k = K + (j * stride + first * D) * bytes;
        for (size_t h = 0; h < H; h++) {
            const float *qh = q + (first + h) * D;
            const char *kh = k + h * D * bytes;
            if (j + 4 < count)
                for (size_t i = 0; i < D * bytes; i += 64) _mm_prefetch(kh + 4 * stride * bytes + i, _MM_HINT_T0);
            __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(qh), load8(kh, bf16));
            for (size_t v = 1; v < V; v++)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(qh + 8 * v), load8(kh + 8 * v * bytes, bf16), acc);
            __m128 t = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
            t = _mm_add_ps(t, _mm_movehl_ps(t, t));
            s[j * H + h] = _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t))) * scale;
        }
    }
    softmax_columns(s, count, H);
    // Units of G heads × C vectors (G·C ≤ 8 accumulators), each over all keys.
    size_t C = V < 8 ? V : 8, G = 8 / C;
    for (size_t h0 = 0; h0 < H; h0 += G) {
        size_t heads = H - h0 < G ? H - h0 : G;
        for (size_t c0 = 0; c0 < V; c0 += C) {
            size_t width = V - c0 < C ? V - c0 : C;
            __m256 acc[8];
            for (size_t a = 0; a < heads * width; a++) acc[a] = _mm256_setzero_ps();
            for (size_t j = 0; j < count; j++) {
                const char *v = Vs + (j * stride + (first + h0) * D + 8 * c0) * bytes;
                if (j + 4 < count)
                    for (size_t g = 0; g < heads; g++)
                        for (size_t i = 0; i < width * 8 * bytes; i += 64)
                            _mm_prefetch(v + (4 * stride + g * D) * bytes + i, _MM_HINT_T0);
                for (size_t g = 0; g < heads; g++) {
                    __m256 p = _mm256_set1_ps(s[j * H + h0 + g]);
                    for (size_t i = 0; i < width; i++)
                        acc[g * width + i] = _mm256_fmadd_ps(p, load8(v + (g * D + 8 * i) * bytes, bf16), acc[g * width + i]);
                }
            }
            for (size_t g = 0; g < heads; g++)
                for (size_t i = 0; i < width; i++)
                    _mm256_storeu_ps(out + (first + h0 + g) * D + 8 * (c0 + i), acc[g * width + i]);
        }
    }
}

AVX2 static void attend_avx2_f32(const float *q, size_t first, size_t H, size_t D, const void *keys,
                                 const void *values, size_t count, size_t stride, float scale, float *s, float *out) {
    attend_avx2(q, first, H, D, keys, values, count, stride, scale, s, out, 0);
}

AVX2 static void attend_avx2_bf16(const float *q, size_t first, size_t H, size_t D, const void *keys,
                                  const void *values, size_t count, size_t stride, float scale, float *s, float *out) {
    attend_avx2(q, first, H, D, keys, values, count, stride, scale, s, out, 1);
}
#endif

static ck_path attend_one(const float *q, size_t first, size_t heads, size_t head_dim, const void *keys,
                          const void *values, size_t key_count, size_t key_stride, float scale, float *scores,
                          float *out, ck_path path, int bf16) {
    int fits_avx512 = head_dim % 16 == 0 && head_dim <= 256, fits_avx2 = head_dim % 8 == 0 && head_dim <= 256;
    path = ck_resolve_path(path, fits_avx512 ? CK_FEATURE_AVX512 : 0, fits_avx2);
    if (heads == 0) return path;
    if (key_count == 0) {
        for (size_t i = first * head_dim; i < (first + heads) * head_dim; i++) out[i] = 0.0f;
        return path;
    }
#if CK_HAVE_AVX512_CODE
    if (path == CK_PATH_AVX512) {
        (bf16 ? attend_avx512_bf16 : attend_avx512_f32)(q, first, heads, head_dim, keys, values, key_count,
                                                        key_stride, scale, scores, out);
        return path;
    }
#endif
#if CK_HAVE_AVX2_CODE
    if (path == CK_PATH_AVX2) {
        (bf16 ? attend_avx2_bf16 : attend_avx2_f32)(q, first, heads, head_dim, keys, values, key_count, key_stride,
                                                    scale, scores, out);
        return path;
    }
#endif
    if (bf16) attend_scalar(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out, 1);
    else attend_scalar(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out, 0);
    return CK_PATH_SCALAR;
}

ck_path ck_attend_one(const float *q, size_t first, size_t heads, size_t head_dim, const float *keys,
                      const float *values, size_t key_count, size_t key_stride, float scale, float *scores,
                      float *out, ck_path path) {
    return attend_one(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out, path, 0);
}

ck_path ck_attend_one_bf16(const float *q, size_t first, size_t heads, size_t head_dim, const uint16_t *keys,
                           const uint16_t *values, size_t key_count, size_t key_stride, float scale, float *scores,
                           float *out, ck_path path) {
    return attend_one(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out, path, 1);
}
