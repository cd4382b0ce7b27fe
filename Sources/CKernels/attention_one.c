// One query against a whole contiguous KV cache (the FlowLM step of the reduced precisions):
// scores of every head key by key, so each key row (all heads, row stride apart) is read once,
// front to back; softmax per head; then the values, again row by row, a group of heads at a
// time. The BLAS form (Attention.swift: one sgemv per head and per pass) strides through the
// cache once per head. Every head's arithmetic is the same whichever heads a call covers, so
// calls over disjoint head ranges (two threads) give the values of one call.
#include <math.h>
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

static void attend_scalar(const float *q, size_t first, size_t H, size_t D, const float *keys, const float *values,
                          size_t count, size_t stride, float scale, float *s, float *out) {
    for (size_t j = 0; j < count; j++) {
        const float *k = keys + j * stride + first * D;
        for (size_t h = 0; h < H; h++) {
            float dot = 0.0f;
            for (size_t i = 0; i < D; i++) dot += q[(first + h) * D + i] * k[h * D + i];
            s[j * H + h] = dot * scale;
        }
    }
    softmax_columns(s, count, H);
    for (size_t h = 0; h < H; h++) {
        float *o = out + (first + h) * D;
        for (size_t i = 0; i < D; i++) o[i] = 0.0f;
        for (size_t j = 0; j < count; j++) {
            const float *v = values + j * stride + (first + h) * D;
            float p = s[j * H + h];
            for (size_t i = 0; i < D; i++) o[i] += p * v[i];
        }
    }
}

// MARK: AVX-512 (head size a multiple of 16, at most 256)

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

AVX512 static void attend_avx512(const float *q, size_t first, size_t H, size_t D, const float *keys,
                                 const float *values, size_t count, size_t stride, float scale, float *s, float *out) {
    size_t V = D / 16;  // vectors per head
    for (size_t j = 0; j < count; j++) {
        const float *k = keys + j * stride + first * D;
        for (size_t h = 0; h < H; h++) {
            const float *qh = q + (first + h) * D, *kh = k + h * D;
            if (j + 4 < count)  // the same head of a row ahead: H·D floats per row are more than the prefetcher sees
                for (size_t i = 0; i < D; i += 16) _mm_prefetch((const char *)(kh + 4 * stride + i), _MM_HINT_T0);
            __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(qh), _mm512_loadu_ps(kh));
            for (size_t v = 1; v < V; v++) acc = _mm512_fmadd_ps(_mm512_loadu_ps(qh + 16 * v), _mm512_loadu_ps(kh + 16 * v), acc);
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
            const float *v = values + j * stride + (first + h0) * D;
            if (j + 4 < count)
                for (size_t i = 0; i < heads * D; i += 16) _mm_prefetch((const char *)(v + 4 * stride + i), _MM_HINT_T0);
            for (size_t g = 0; g < heads; g++) {
                __m512 p = _mm512_set1_ps(s[j * H + h0 + g]);
                for (size_t i = 0; i < V; i++)
                    acc[g * V + i] = _mm512_fmadd_ps(p, _mm512_loadu_ps(v + g * D + 16 * i), acc[g * V + i]);
            }
        }
        for (size_t g = 0; g < heads; g++)
            for (size_t i = 0; i < V; i++) _mm512_storeu_ps(out + (first + h0 + g) * D + 16 * i, acc[g * V + i]);
    }
}
#endif

ck_path ck_attend_one(const float *q, size_t first, size_t heads, size_t head_dim, const float *keys,
                      const float *values, size_t key_count, size_t key_stride, float scale, float *scores,
                      float *out, ck_path path) {
    int avx512 = path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512) && head_dim % 16 == 0
                 && head_dim <= 256;
    if (heads == 0) return avx512 ? CK_PATH_AVX512 : CK_PATH_SCALAR;
    if (key_count == 0) {
        for (size_t i = first * head_dim; i < (first + heads) * head_dim; i++) out[i] = 0.0f;
        return avx512 ? CK_PATH_AVX512 : CK_PATH_SCALAR;
    }
#if CK_HAVE_AVX512_CODE
    if (avx512) {
        attend_avx512(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out);
        return CK_PATH_AVX512;
    }
#endif
    attend_scalar(q, first, heads, head_dim, keys, values, key_count, key_stride, scale, scores, out);
    return CK_PATH_SCALAR;
}
