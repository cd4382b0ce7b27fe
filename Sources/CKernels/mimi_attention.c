// Attention of a chunk of queries over a ring-buffer KV cache with a position mask: the Mimi
// decoder's transformer under the reduced precisions (16 queries × 250 slots × 8 heads of 64
// per frame and layer). The keys are stored transposed, channel-major ([H·D][key_stride]), so
// the scores of 4 queries × 64 slots are 16 vector accumulators fed by one key vector load per
// channel, without horizontal sums; the values stay slot-major ([slots][H·D]), so the weighted
// sum is 4 queries × up to 64 channels of accumulators fed slot by slot. The softmax runs on
// the vectors with a vectorized e^x (vector_math.h), and normalises once, at the output.
// The cache is f32 or bfloat16 bits (widened exactly as loaded), as in attention_one.c.
#include <math.h>
#include <string.h>
#include "vector_math.h"

#pragma STDC FP_CONTRACT OFF

/// Queries per tile (the scratch pads the query rows to a multiple of it).
#define QB 4

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t ck_attend_ring_scratch_floats(size_t queries, size_t key_count, size_t head_dim) {
    size_t nq = round_up(queries, QB), kp = round_up(key_count, 16);
    // q of one head, scores, 1 / sums, visibility bits (16 per float), alignment slack
    return nq * head_dim + nq * kp + nq + (nq * (kp / 16) + 1) / 2 + 16;
}

/// Slot j is visible to the query at position p.
static inline int visible(const ptrdiff_t *positions, size_t j, ptrdiff_t p, size_t window) {
    ptrdiff_t delta = p - positions[j];
    return positions[j] >= 0 && delta >= 0 && (window == 0 || (size_t)delta < window);
}

/// Element i of a cache: f32, or bfloat16 bits widened exactly.
static inline float cache_at(const void *base, size_t i, int bf16) {
    if (!bf16) return ((const float *)base)[i];
    uint32_t bits = (uint32_t)((const uint16_t *)base)[i] << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// MARK: Portable C (any CPU; libm expf)

static void attend_scalar(const float *q, size_t queries, size_t q_stride, ptrdiff_t start, const void *keys,
                          const void *values, const ptrdiff_t *positions, size_t count, size_t key_stride,
                          size_t value_stride, size_t H, size_t D, size_t window, float scale, float *s, float *out,
                          int bf16) {
    for (size_t h = 0; h < H; h++) {
        for (size_t t = 0; t < queries; t++) {
            const float *qt = q + t * q_stride + h * D;
            float m = -INFINITY;
            for (size_t j = 0; j < count; j++) {
                float dot = 0.0f;
                for (size_t i = 0; i < D; i++) dot += qt[i] * scale * cache_at(keys, (h * D + i) * key_stride + j, bf16);
                s[j] = visible(positions, j, start + (ptrdiff_t)t, window) ? dot : -INFINITY;
                m = s[j] > m ? s[j] : m;
            }
            float *o = out + t * H * D + h * D;
            for (size_t i = 0; i < D; i++) o[i] = 0.0f;
            if (m == -INFINITY) continue;  // no visible slot: zeros
            float sum = 0.0f;
            for (size_t j = 0; j < count; j++) {
                s[j] = expf(s[j] - m);
                sum += s[j];
            }
            for (size_t j = 0; j < count; j++)
                for (size_t i = 0; i < D; i++) o[i] += s[j] * cache_at(values, j * value_stride + h * D + i, bf16);
            float inverse = 1.0f / sum;
            for (size_t i = 0; i < D; i++) o[i] *= inverse;
        }
    }
}

// MARK: AVX-512 (head size a multiple of 16)

#if CK_HAVE_AVX512_CODE
#define INLINE static inline __attribute__((always_inline))

/// 16 cache elements from p (f32, or bfloat16 bits widened exactly: the bits shifted up 16).
CK_AVX512 INLINE __m512 load16(const void *p, int bf16) {
    if (!bf16) return _mm512_loadu_ps(p);
    __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

/// s[qi][j0 + 16v + lane] = Σ_d qh[qi][d] · keys[d][j0 + 16v + lane] for qi < QB, v < KV
/// (keys: the head's first channel, channels `kstride` elements apart).
CK_AVX512 INLINE void score_tile(int KV, const float *qh, size_t D, const char *keys, size_t kstride, size_t j0,
                                 int bf16, float *s, size_t lds) {
    size_t bytes = bf16 ? 2 : 4;
    __m512 acc[QB][4];
    for (int qi = 0; qi < QB; qi++)
        for (int v = 0; v < KV; v++) acc[qi][v] = _mm512_setzero_ps();
    for (size_t d = 0; d < D; d++) {
        const char *row = keys + (d * kstride + j0) * bytes;
        __m512 k[4];
        for (int v = 0; v < KV; v++) k[v] = load16(row + 16 * (size_t)v * bytes, bf16);
        for (int qi = 0; qi < QB; qi++) {
            __m512 b = _mm512_set1_ps(qh[(size_t)qi * D + d]);
            for (int v = 0; v < KV; v++) acc[qi][v] = _mm512_fmadd_ps(b, k[v], acc[qi][v]);
        }
    }
    for (int qi = 0; qi < QB; qi++)
        for (int v = 0; v < KV; v++) _mm512_storeu_ps(s + (size_t)qi * lds + j0 + 16 * (size_t)v, acc[qi][v]);
}

/// out[t0 + qi][c0 + 16v + lane] = inv[qi] · Σ_j p[qi][j] · values[j][c0 + 16v + lane] for the
/// rows qi < rows (of QB: the others are computed but not stored), v < VD.
CK_AVX512 INLINE void value_tile(int VD, const float *p, size_t lds, const float *inv, size_t rows, const char *values,
                                 size_t vstride, size_t count, int bf16, float *out, size_t ldo) {
    size_t bytes = bf16 ? 2 : 4;
    __m512 acc[QB][4];
    for (int qi = 0; qi < QB; qi++)
        for (int v = 0; v < VD; v++) acc[qi][v] = _mm512_setzero_ps();
    for (size_t j = 0; j < count; j++) {
        const char *row = values + j * vstride * bytes;
        __m512 x[4];
        for (int v = 0; v < VD; v++) x[v] = load16(row + 16 * (size_t)v * bytes, bf16);
        for (int qi = 0; qi < QB; qi++) {
            __m512 b = _mm512_set1_ps(p[(size_t)qi * lds + j]);
            for (int v = 0; v < VD; v++) acc[qi][v] = _mm512_fmadd_ps(b, x[v], acc[qi][v]);
        }
    }
    for (size_t qi = 0; qi < rows; qi++)
        for (int v = 0; v < VD; v++)
            _mm512_storeu_ps(out + qi * ldo + 16 * (size_t)v, _mm512_mul_ps(acc[qi][v], _mm512_set1_ps(inv[qi])));
}

/// Row s[0 ..< kp] in place: masked lanes (bits clear) out, e^(s − max), returns 1 / Σ (0 when
/// nothing is visible: the row is zeros).
CK_AVX512 INLINE float softmax_row(float *s, size_t kp, const uint16_t *bits) {
    const __m512 minus_infinity = _mm512_set1_ps(-INFINITY);
    __m512 m = minus_infinity;
    for (size_t v = 0; v < kp / 16; v++) {
        __m512 x = _mm512_mask_blend_ps((__mmask16)bits[v], minus_infinity, _mm512_loadu_ps(s + 16 * v));
        _mm512_storeu_ps(s + 16 * v, x);
        m = _mm512_max_ps(m, x);
    }
    float max = _mm512_reduce_max_ps(m);
    if (max == -INFINITY) {
        memset(s, 0, kp * sizeof *s);
        return 0.0f;
    }
    __m512 mv = _mm512_set1_ps(max), sum = _mm512_setzero_ps();
    for (size_t v = 0; v < kp / 16; v++) {
        __m512 e = _mm512_maskz_mov_ps((__mmask16)bits[v], ck_exp512(_mm512_sub_ps(_mm512_loadu_ps(s + 16 * v), mv)));
        _mm512_storeu_ps(s + 16 * v, e);
        sum = _mm512_add_ps(sum, e);
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
}

CK_AVX512 INLINE void attend_avx512(const float *q, size_t queries, size_t q_stride, ptrdiff_t start, const void *keys,
                                    const void *values, const ptrdiff_t *positions, size_t count, size_t key_stride,
                                    size_t value_stride, size_t H, size_t D, size_t window, float scale, float *scratch,
                                    float *out, int bf16) {
    size_t bytes = bf16 ? 2 : 4;
    size_t nq = round_up(queries, QB), kp = round_up(count, 16), vectors = kp / 16;
    float *qh = scratch, *s = qh + nq * D, *inv = s + nq * kp;
    uint16_t *bits = (uint16_t *)(void *)(inv + nq);
    // Visibility, shared by the heads: bit (t, j) of vector j / 16.
    for (size_t t = 0; t < queries; t++)
        for (size_t v = 0; v < vectors; v++) {
            unsigned b = 0;
            for (size_t lane = 0; lane < 16 && 16 * v + lane < count; lane++)
                b |= (unsigned)visible(positions, 16 * v + lane, start + (ptrdiff_t)t, window) << lane;
            bits[t * vectors + v] = (uint16_t)b;
        }
    memset(qh, 0, nq * D * sizeof *qh);  // padding rows of the last tile: their outputs are not stored
    for (size_t h = 0; h < H; h++) {
        for (size_t t = 0; t < queries; t++)
            for (size_t i = 0; i < D; i++) qh[t * D + i] = q[t * q_stride + h * D + i] * scale;
        const char *kh = (const char *)keys + h * D * key_stride * bytes;
        for (size_t t0 = 0; t0 < queries; t0 += QB) {
            size_t v = 0;
            for (; v + 4 <= vectors; v += 4) score_tile(4, qh + t0 * D, D, kh, key_stride, 16 * v, bf16, s + t0 * kp, kp);
            for (; v < vectors; v++) score_tile(1, qh + t0 * D, D, kh, key_stride, 16 * v, bf16, s + t0 * kp, kp);
        }
        for (size_t t = 0; t < queries; t++) inv[t] = softmax_row(s + t * kp, kp, bits + t * vectors);
        const char *vh = (const char *)values + h * D * bytes;
        for (size_t t0 = 0; t0 < queries; t0 += QB) {
            size_t rows = queries - t0 < QB ? queries - t0 : QB;
            for (size_t c = 0; c < D; c += 64) {
                int VD = (int)((D - c) / 16 < 4 ? (D - c) / 16 : 4);
                const char *vc = vh + c * bytes;
                float *o = out + t0 * H * D + h * D + c;
                switch (VD) {
                case 4: value_tile(4, s + t0 * kp, kp, inv + t0, rows, vc, value_stride, count, bf16, o, H * D); break;
                case 3: value_tile(3, s + t0 * kp, kp, inv + t0, rows, vc, value_stride, count, bf16, o, H * D); break;
                case 2: value_tile(2, s + t0 * kp, kp, inv + t0, rows, vc, value_stride, count, bf16, o, H * D); break;
                default: value_tile(1, s + t0 * kp, kp, inv + t0, rows, vc, value_stride, count, bf16, o, H * D); break;
                }
            }
        }
    }
}

CK_AVX512 static void attend_avx512_f32(const float *q, size_t queries, size_t q_stride, ptrdiff_t start,
                                        const void *keys, const void *values, const ptrdiff_t *positions, size_t count,
                                        size_t key_stride, size_t value_stride, size_t H, size_t D, size_t window,
                                        float scale, float *scratch, float *out) {
    attend_avx512(q, queries, q_stride, start, keys, values, positions, count, key_stride, value_stride, H, D, window,
                  scale, scratch, out, 0);
}

CK_AVX512 static void attend_avx512_bf16(const float *q, size_t queries, size_t q_stride, ptrdiff_t start,
                                         const void *keys, const void *values, const ptrdiff_t *positions, size_t count,
                                         size_t key_stride, size_t value_stride, size_t H, size_t D, size_t window,
                                         float scale, float *scratch, float *out) {
    attend_avx512(q, queries, q_stride, start, keys, values, positions, count, key_stride, value_stride, H, D, window,
                  scale, scratch, out, 1);
}
#endif

static ck_path attend_ring(const float *q, size_t queries, size_t q_stride, ptrdiff_t start, const void *keys,
                           const void *values, const ptrdiff_t *positions, size_t count, size_t key_stride,
                           size_t value_stride, size_t H, size_t D, size_t window, float scale, float *scratch,
                           float *out, ck_path path, int bf16) {
    int avx512 = path != CK_PATH_SCALAR && (ck_cpu_features() & CK_FEATURE_AVX512) && D % 16 == 0
                 && key_stride >= round_up(count, 16);
    if (queries == 0 || H == 0) return avx512 ? CK_PATH_AVX512 : CK_PATH_SCALAR;
    if (count == 0) {
        for (size_t i = 0; i < queries * H * D; i++) out[i] = 0.0f;
        return avx512 ? CK_PATH_AVX512 : CK_PATH_SCALAR;
    }
#if CK_HAVE_AVX512_CODE
    if (avx512) {
        (bf16 ? attend_avx512_bf16 : attend_avx512_f32)(q, queries, q_stride, start, keys, values, positions, count,
                                                        key_stride, value_stride, H, D, window, scale, scratch, out);
        return CK_PATH_AVX512;
    }
#endif
    attend_scalar(q, queries, q_stride, start, keys, values, positions, count, key_stride, value_stride, H, D, window,
                  scale, scratch, out, bf16);
    return CK_PATH_SCALAR;
}

ck_path ck_attend_ring(const float *q, size_t queries, size_t q_stride, ptrdiff_t query_start, const float *keys,
                       const float *values, const ptrdiff_t *positions, size_t key_count, size_t key_stride,
                       size_t value_stride, size_t heads, size_t head_dim, size_t window, float scale, float *scratch,
                       float *out, ck_path path) {
    return attend_ring(q, queries, q_stride, query_start, keys, values, positions, key_count, key_stride, value_stride,
                       heads, head_dim, window, scale, scratch, out, path, 0);
}

ck_path ck_attend_ring_bf16(const float *q, size_t queries, size_t q_stride, ptrdiff_t query_start,
                            const uint16_t *keys, const uint16_t *values, const ptrdiff_t *positions, size_t key_count,
                            size_t key_stride, size_t value_stride, size_t heads, size_t head_dim, size_t window,
                            float scale, float *scratch, float *out, ck_path path) {
    return attend_ring(q, queries, q_stride, query_start, keys, values, positions, key_count, key_stride, value_stride,
                       heads, head_dim, window, scale, scratch, out, path, 1);
}

// MARK: Writing the ring

void ck_ring_store(const float *k, const float *v, size_t width, size_t slot, float *keys, size_t key_stride,
                   float *values, size_t value_stride) {
    for (size_t c = 0; c < width; c++) keys[c * key_stride + slot] = k[c];
    memcpy(values + slot * value_stride, v, width * sizeof *v);
}

void ck_ring_store_bf16(const float *k, const float *v, size_t width, size_t slot, uint16_t *keys, size_t key_stride,
                        uint16_t *values, size_t value_stride) {
    uint16_t row[256];
    for (size_t c0 = 0; c0 < width; c0 += 256) {
        size_t n = width - c0 < 256 ? width - c0 : 256;
        ck_f32_to_bf16(k + c0, row, n, CK_PATH_AUTO);
        for (size_t c = 0; c < n; c++) keys[(c0 + c) * key_stride + slot] = row[c];
    }
    ck_f32_to_bf16(v, values + slot * value_stride, width, CK_PATH_AUTO);
}
