// Linear with int8 products: weights quantized once (per output row, symmetric: q = round(w ·
// 127 / max|w|)), activations quantized per call (per row, the same rule), exact int32 dot
// products, then one f32 scale per (row, output): y = dot · (sx · sw) + bias.
//
// AVX512-VNNI `vpdpbusd` multiplies unsigned bytes by signed bytes, four adjacent pairs per
// int32 lane, 64 products per instruction (four times an f32 FMA). The activations go in as
// u = q + 128 (0...255, unsigned) against the signed weights, and Σ u·w = Σ q·w + 128·Σ w: the
// kernel subtracts 128 · Σ_k w[n, k], computed at load (ck_quantize_int8_*). This keeps the
// one-instruction form; the alternative, sign-extending both to int16 and `vpmaddwd`, does half
// the products per instruction and needs the widening shuffles. The pairs are adjacent k in
// torch's [out, in] layout, as in an activation row: no repacking. No product sum can overflow:
// |Σ u·w| ≤ 255 · 127 · in < 2³¹ for in < 66 000.
//
// On CPUs with AVX2 but not AVX-512 VNNI, `vpmaddubsw` + `vpmaddwd` (see the AVX2 section).
// The integer sums are exact, so the portable C and AVX2 code give the same outputs bit for bit.
#include <math.h>
#include <string.h>
#include "linear_dot.h"

#pragma STDC FP_CONTRACT OFF

// MARK: Quantization (at load: weights; per call: activations)

/// round_even(v · inverse) clamped to -127...127 (NaN to -127, as the AVX-512 code does).
static inline int32_t quantize(float v, float inverse) {
    float scaled = v * inverse;
    if (!(scaled >= -127.0f)) return -127;
    if (scaled > 127.0f) return 127;
    return (int32_t)rintf(scaled);
}

/// The row's max |v| (NaNs ignored, as _mm512_max_ps(|v|, m) ignores them).
static inline float max_magnitude(const float *v, size_t count) {
    float m = 0.0f;
    for (size_t k = 0; k < count; k++) {
        float a = fabsf(v[k]);
        m = a > m ? a : m;
    }
    return m;
}

/// The scale m / 127 and the multiplier 127 / m of a row whose largest magnitude is m.
static inline void scales_for(float m, float *scale, float *inverse) {
    *scale = m / 127.0f;
    *inverse = m > 0.0f ? 127.0f / m : 0.0f;
}

static void quantize_rows(const float *w, size_t out, size_t in, int8_t *q, float *scales, int32_t *sums) {
    for (size_t n = 0; n < out; n++) {
        const float *row = w + n * in;
        float inverse;
        scales_for(max_magnitude(row, in), &scales[n], &inverse);
        int32_t sum = 0;
        for (size_t k = 0; k < in; k++) {
            int32_t v = quantize(row[k], inverse);
            q[n * in + k] = (int8_t)v;
            sum += v;
        }
        sums[n] = sum;
    }
}

void ck_quantize_int8_f32(const float *w, size_t out, size_t in, int8_t *q, float *scales, int32_t *sums) {
    quantize_rows(w, out, in, q, scales, sums);
}

void ck_quantize_int8_bf16(const uint16_t *w, size_t out, size_t in, int8_t *q, float *scales, int32_t *sums) {
    float row[1024];  // widened a piece of a row at a time, exactly
    for (size_t n = 0; n < out; n++) {
        float m = 0.0f;
        for (size_t k0 = 0; k0 < in; k0 += 1024) {
            size_t width = in - k0 < 1024 ? in - k0 : 1024;
            for (size_t k = 0; k < width; k++) {
                uint32_t bits = (uint32_t)w[n * in + k0 + k] << 16;
                memcpy(&row[k], &bits, sizeof bits);
            }
            float piece = max_magnitude(row, width);
            m = piece > m ? piece : m;
        }
        float inverse;
        scales_for(m, &scales[n], &inverse);
        int32_t sum = 0;
        for (size_t k = 0; k < in; k++) {
            uint32_t bits = (uint32_t)w[n * in + k] << 16;
            float v;
            memcpy(&v, &bits, sizeof v);
            int32_t value = quantize(v, inverse);
            q[n * in + k] = (int8_t)value;
            sum += value;
        }
        sums[n] = sum;
    }
}

/// Activation rows as unsigned bytes q + 128 (rows `stride` apart) and their scales.
static void quantize_activations_scalar(const float *x, size_t rows, size_t in, uint8_t *dst, size_t stride,
                                        float *scales) {
    for (size_t r = 0; r < rows; r++) {
        float inverse;
        scales_for(max_magnitude(x + r * in, in), &scales[r], &inverse);
        for (size_t k = 0; k < in; k++) dst[r * stride + k] = (uint8_t)(quantize(x[r * in + k], inverse) + 128);
    }
}

/// y[r, n] (+)= (float)dot · (sx[r] · sw[n]) + bias[n]: the one f32 step of both paths.
static inline void store(int32_t dot, float sx, float sw, const float *bias, size_t n, float *p, int accumulate) {
    float v = (float)dot * (sx * sw);
    if (bias) v = v + bias[n];
    *p = accumulate ? *p + v : v;
}

// MARK: Portable C (any CPU)

static void linear_scalar(const uint8_t *xq, size_t stride, const float *xs, size_t rows, size_t in, const int8_t *q,
                          const float *scales, size_t out, size_t first, size_t count, const float *bias, float *y,
                          int accumulate) {
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *xr = xq + r * stride;
        for (size_t n = first; n < first + count; n++) {
            const int8_t *wr = q + n * in;
            int32_t dot = 0;
            for (size_t k = 0; k < in; k++) dot += ((int32_t)xr[k] - 128) * (int32_t)wr[k];
            store(dot, xs[r], scales[n], bias, n, y + r * out + n, accumulate);
        }
    }
}

// MARK: AVX512-VNNI

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512bf16,avx512vnni,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

VNNI static void quantize_activations_avx512(const float *x, size_t rows, size_t in, uint8_t *dst, size_t stride,
                                             float *scales) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * in;
        __m512 m = _mm512_setzero_ps();
        for (size_t k = 0; k < in; k += 16) {
            __mmask16 mask = in - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (in - k)) - 1);
            m = _mm512_max_ps(_mm512_abs_ps(_mm512_maskz_loadu_ps(mask, xr + k)), m);
        }
        float inverse;
        scales_for(_mm512_reduce_max_ps(m), &scales[r], &inverse);
        __m512 multiplier = _mm512_set1_ps(inverse);
        for (size_t k = 0; k < in; k += 16) {
            __mmask16 mask = in - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (in - k)) - 1);
            __m512 scaled = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, xr + k), multiplier);
            __m512i v = _mm512_cvt_roundps_epi32(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
            v = _mm512_add_epi32(v, _mm512_set1_epi32(128));
            _mm_mask_storeu_epi8(dst + r * stride + k, mask, _mm512_cvtepi32_epi8(v));
        }
    }
}

/// acc[r][o] += Σ x[r, k ..< k + 64] · w[o, k ..< k + 64] by fours, bytes outside `mask` as 0.
/// Prefetches the same bytes of the next block's weight rows (`ahead` bytes on; 0: none): the
/// O rows of a block are O short streams that the hardware prefetcher picks up too late.
VNNI INLINE void dot_step(int R, int O, __m512i acc[CK_MAX_TILE_ROWS][8], const uint8_t *x, size_t stride, size_t in,
                          const int8_t *w, size_t k, __mmask64 mask, size_t ahead) {
    __m512i wv[8];
    for (int o = 0; o < O; o++) {
        if (ahead) _mm_prefetch((const char *)(w + (size_t)o * in + k + ahead), _MM_HINT_T0);
        wv[o] = _mm512_maskz_loadu_epi8(mask, w + (size_t)o * in + k);
    }
    for (int r = 0; r < R; r++) {
        __m512i xv = _mm512_maskz_loadu_epi8(mask, x + (size_t)r * stride + k);
        for (int o = 0; o < O; o++) acc[r][o] = _mm512_dpbusd_epi32(acc[r][o], xv, wv[o]);
    }
}

/// The lane sums of a, b, c, d: [Σa, Σb, Σc, Σd] (one shuffle tree for four accumulators
/// instead of four reductions).
VNNI INLINE __m128i reduce4(__m512i a, __m512i b, __m512i c, __m512i d) {
    __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));  // a0 b0 a1 b1 per lane
    __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
    __m512i abcd = _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));  // a b c d per lane
    __m256i half = _mm256_add_epi32(_mm512_castsi512_si256(abcd), _mm512_extracti64x4_epi64(abcd, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
}

/// dots[r·O + o] = Σ_k xq[r, k] · q[o, k] (unsigned × signed) for r < R, o < O.
VNNI INLINE void dot_block(int R, int O, const uint8_t *x, size_t stride, size_t in, const int8_t *w, int32_t *dots,
                           size_t ahead) {
    __m512i acc[CK_MAX_TILE_ROWS][8];
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) acc[r][o] = _mm512_setzero_si512();
    size_t k = 0;
    for (; k + 64 <= in; k += 64) dot_step(R, O, acc, x, stride, in, w, k, ~(__mmask64)0, ahead);
    // A partial last step: masked bytes read nothing and add 0 · 0.
    if (k < in) dot_step(R, O, acc, x, stride, in, w, k, ((__mmask64)1 << (in - k)) - 1, 0);
    // Integer sums: any order gives the same values.
    int count = R * O, i = 0;
    for (; i + 4 <= count; i += 4) {
        __m128i sums = reduce4(acc[i / O][i % O], acc[(i + 1) / O][(i + 1) % O], acc[(i + 2) / O][(i + 2) % O],
                               acc[(i + 3) / O][(i + 3) % O]);
        _mm_storeu_si128((__m128i *)(void *)(dots + i), sums);
    }
    for (; i < count; i++) dots[i] = _mm512_reduce_add_epi32(acc[i / O][i % O]);
}

/// y[r, n + o] (+)= the outputs of dots[r·O + o] (y rows `ldy` apart).
INLINE void store_block(int R, int O, const int32_t *dots, const float *xs, const float *scales, const int32_t *sums,
                        const float *bias, size_t n, float *y, size_t ldy, int accumulate) {
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++)
            store(dots[r * O + o] - 128 * sums[n + o], xs[r], scales[n + o], bias, n + o, y + (size_t)r * ldy + n + o,
                  accumulate);
}

/// One tile of R rows over `count` outputs (q, scales, sums, bias, y from the tile's first
/// output): blocks of O weight rows, then single ones.
VNNI INLINE void tile(int R, int O, const uint8_t *x, size_t stride, const float *xs, size_t in, const int8_t *q,
                      const float *scales, const int32_t *sums, size_t count, const float *bias, float *y, size_t ldy,
                      int accumulate) {
    int32_t dots[CK_MAX_TILE_ROWS * 8];
    size_t n = 0;
    // Prefetch one block ahead while one follows within this call.
    size_t ahead = (size_t)O * in;
    for (; n + (size_t)O <= count; n += (size_t)O) {
        dot_block(R, O, x, stride, in, q + n * in, dots, n + 2 * (size_t)O <= count ? ahead : 0);
        store_block(R, O, dots, xs, scales, sums, bias, n, y, ldy, accumulate);
    }
    for (; n < count; n++) {
        dot_block(R, 1, x, stride, in, q + n * in, dots, 0);
        store_block(R, 1, dots, xs, scales, sums, bias, n, y, ldy, accumulate);
    }
}

typedef void (*tile_function)(const uint8_t *, size_t, const float *, size_t, const int8_t *, const float *,
                              const int32_t *, size_t, const float *, float *, size_t, int);
// One specialization per R, with O weight rows per block (linear_dot.h).
#define TILE(R, O)                                                                                          \
    VNNI static void tile_##R(const uint8_t *x, size_t stride, const float *xs, size_t in, const int8_t *q,    \
                              const float *scales, const int32_t *sums, size_t count, const float *bias,       \
                              float *y, size_t ldy, int accumulate) {                                          \
        tile(R, O, x, stride, xs, in, q, scales, sums, count, bias, y, ldy, accumulate);                       \
    }
TILE(1, 8) TILE(2, 8) TILE(3, 6) TILE(4, 4) TILE(5, 4) TILE(6, 4) TILE(7, 3) TILE(8, 3)
static const tile_function tiles[CK_MAX_TILE_ROWS] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6, tile_7, tile_8};

static void linear_avx512(const uint8_t *xq, size_t stride, const float *xs, size_t rows, size_t in, const int8_t *q,
                          const float *scales, const int32_t *sums, size_t out, size_t first, size_t count,
                          const float *bias, float *y, int accumulate) {
    size_t block = ck_dot_block(rows, CK_MAX_TILE_ROWS, count, in);
    for (size_t n = first; n < first + count; n += block) {
        size_t width = first + count - n < block ? first + count - n : block;
        for (size_t r = 0; r < rows; r += CK_MAX_TILE_ROWS) {
            size_t R = rows - r < CK_MAX_TILE_ROWS ? rows - r : CK_MAX_TILE_ROWS;
            tiles[R - 1](xq + r * stride, stride, xs + r, in, q + n * in, scales + n, sums + n, width,
                         bias ? bias + n : NULL, y + r * out + n, out, accumulate);
        }
    }
}
#endif

// MARK: AVX2 + FMA (CPUs without AVX-512)
//
// AVX2 has no byte dot product into int32. `vpmaddubsw` multiplies unsigned bytes by signed ones
// and adds adjacent pairs into int16, saturating: with u = q + 128 (up to 255) against weights up
// to ±127 a pair reaches 64 770, past 32 767. So the sign moves onto the weight instead: |q|
// (0...127) as the unsigned operand, sign(q)·w (`vpsignb`; 0 where q = 0; no weight is -128) as
// the signed one. Each product |q|·sign(q)·w = q·w, and a pair is at most 2 · 127 · 127 = 32 258:
// it never saturates. `vpmaddwd` against ones adds pairs of those into int32 lanes (exact). The
// sums are the exact Σ q·w of the other paths (no 128 · Σ w to take off): the same outputs bit
// for bit. Activations are kept as signed bytes, zero from `in` up to a multiple of 32, so a
// partial last step adds sign(0)·w = 0 whatever weight bytes it reads (those come from a zeroed
// copy: the last row's may lie past the matrix).

#if CK_HAVE_AVX2_CODE
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/// 8 floats from p, the first `count` of them when fewer than 8 remain (0: none), zeros after.
AVX2_INLINE __m256 load_floats_avx2(const float *p, size_t count) {
    if (count >= 8) return _mm256_loadu_ps(p);
    __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes));
}

/// The rows of x quantized as quantize_activations_scalar does, as signed bytes q (not q + 128),
/// zero from `in` up to the next multiple of 32 (stride ≥ that).
AVX2 static void quantize_activations_avx2(const float *x, size_t rows, size_t in, int8_t *dst, size_t stride,
                                           float *scales) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * in;
        __m256 m = _mm256_setzero_ps();
        // max(|v|, m) keeps m where v is NaN, as the scalar code does; max is exact in any order.
        for (size_t k = 0; k < in; k += 8) m = _mm256_max_ps(_mm256_and_ps(load_floats_avx2(xr + k, in - k), magnitude), m);
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float inverse;
        scales_for(_mm_cvtss_f32(m4), &scales[r], &inverse);
        const __m256 multiplier = _mm256_set1_ps(inverse), low = _mm256_set1_ps(-127.0f), high = _mm256_set1_ps(127.0f);
        for (size_t k = 0; k < in; k += 32) {
            __m256i v[4];
            for (size_t j = 0; j < 4; j++) {
                size_t at = k + 8 * j;
                __m256 scaled = _mm256_mul_ps(load_floats_avx2(xr + at, at < in ? in - at : 0), multiplier);
                // max(scaled, -127) is -127 for NaN too; then round to nearest even (MXCSR's default).
                v[j] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(scaled, low), high));
            }
            // Packing works within 128-bit lanes: 4-byte groups come out 0 2 4 6 1 3 5 7.
            __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
            _mm256_store_si256((__m256i *)(void *)(dst + r * stride + k), _mm256_permutevar8x32_epi32(bytes, order));
        }
    }
}

/// 32 weight bytes from p, or the first `count` (< 32) of them and zeros.
AVX2_INLINE __m256i load_weights_avx2(const int8_t *p, size_t count) {
    if (count >= 32) return _mm256_loadu_si256((const __m256i *)(const void *)p);
    int8_t tail[32] __attribute__((aligned(32))) = {0};
    memcpy(tail, p, count);
    return _mm256_load_si256((const __m256i *)(void *)tail);
}

/// acc[r][o] += Σ x[r, k ..< k + 32] · w[o, k ..< k + 32] (int32 lanes); `count` weight bytes
/// remain from k.
AVX2_INLINE void dot_step_avx2(int R, int O, __m256i acc[CK_AVX2_TILE_ROWS][8], const int8_t *x, size_t stride,
                               size_t in, const int8_t *w, size_t k, size_t count) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i xv[CK_AVX2_TILE_ROWS], ax[CK_AVX2_TILE_ROWS];
    for (int r = 0; r < R; r++) {
        xv[r] = _mm256_load_si256((const __m256i *)(const void *)(x + (size_t)r * stride + k));
        ax[r] = _mm256_abs_epi8(xv[r]);
    }
    for (int o = 0; o < O; o++) {
        __m256i wv = load_weights_avx2(w + (size_t)o * in + k, count);
        for (int r = 0; r < R; r++) {
            __m256i pairs = _mm256_maddubs_epi16(ax[r], _mm256_sign_epi8(wv, xv[r]));  // exact: see above
            acc[r][o] = _mm256_add_epi32(acc[r][o], _mm256_madd_epi16(pairs, ones));
        }
    }
}

/// dots[r·O + o] = Σ_k x[r, k] · w[o, k] for r < R, o < O; prefetches the next block's rows
/// `ahead` bytes on (0: none), a cache line per 64 bytes.
AVX2_INLINE void dot_block_avx2(int R, int O, const int8_t *x, size_t stride, size_t in, const int8_t *w,
                                int32_t *dots, size_t ahead) {
    __m256i acc[CK_AVX2_TILE_ROWS][8];
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) acc[r][o] = _mm256_setzero_si256();
    size_t k = 0;
    for (; k + 64 <= in; k += 64) {
        if (ahead)
            for (int o = 0; o < O; o++) _mm_prefetch((const char *)(w + (size_t)o * in + k + ahead), _MM_HINT_T0);
        dot_step_avx2(R, O, acc, x, stride, in, w, k, 32);
        dot_step_avx2(R, O, acc, x, stride, in, w, k + 32, 32);
    }
    for (; k < in; k += 32) dot_step_avx2(R, O, acc, x, stride, in, w, k, in - k);
    for (int r = 0; r < R; r++) {
        for (int o = 0; o < O; o++) {  // integer sums: any order gives the same values
            __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc[r][o]), _mm256_extracti128_si256(acc[r][o], 1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
            dots[r * O + o] = _mm_cvtsi128_si32(s);
        }
    }
}

/// One tile of R rows over `count` outputs (q, scales, bias, y from the tile's first output):
/// blocks of O weight rows, then single ones.
AVX2_INLINE void tile_avx2(int R, int O, const int8_t *x, size_t stride, const float *xs, size_t in, const int8_t *q,
                           const float *scales, size_t count, const float *bias, float *y, size_t ldy, int accumulate) {
    int32_t dots[CK_AVX2_TILE_ROWS * 8];
    size_t n = 0;
    for (; n + (size_t)O <= count; n += (size_t)O) {
        dot_block_avx2(R, O, x, stride, in, q + n * in, dots, n + 2 * (size_t)O <= count ? (size_t)O * in : 0);
        for (int r = 0; r < R; r++)
            for (int o = 0; o < O; o++)
                store(dots[r * O + o], xs[r], scales[n + o], bias, n + o, y + (size_t)r * ldy + n + o, accumulate);
    }
    for (; n < count; n++) {
        dot_block_avx2(R, 1, x, stride, in, q + n * in, dots, 0);
        for (int r = 0; r < R; r++) store(dots[r], xs[r], scales[n], bias, n, y + (size_t)r * ldy + n, accumulate);
    }
}

typedef void (*tile_function_avx2)(const int8_t *, size_t, const float *, size_t, const int8_t *, const float *,
                                   size_t, const float *, float *, size_t, int);
// One specialization per R, with O weight rows per block (R·O accumulators, R activation rows
// and their magnitudes, within the 16 ymm registers as far as they go).
#define TILE_AVX2(R, O)                                                                                      \
    AVX2 static void tile_avx2_##R(const int8_t *x, size_t stride, const float *xs, size_t in, const int8_t *q, \
                                   const float *scales, size_t count, const float *bias, float *y, size_t ldy,  \
                                   int accumulate) {                                                            \
        tile_avx2(R, O, x, stride, xs, in, q, scales, count, bias, y, ldy, accumulate);                         \
    }
TILE_AVX2(1, 8) TILE_AVX2(2, 4) TILE_AVX2(3, 3) TILE_AVX2(4, 2)
static const tile_function_avx2 tiles_avx2[CK_AVX2_TILE_ROWS] = {tile_avx2_1, tile_avx2_2, tile_avx2_3, tile_avx2_4};

static void linear_avx2(const int8_t *xq, size_t stride, const float *xs, size_t rows, size_t in, const int8_t *q,
                        const float *scales, size_t out, size_t first, size_t count, const float *bias, float *y,
                        int accumulate) {
    size_t block = ck_dot_block(rows, CK_AVX2_TILE_ROWS, count, in);
    for (size_t n = first; n < first + count; n += block) {
        size_t width = first + count - n < block ? first + count - n : block;
        for (size_t r = 0; r < rows; r += CK_AVX2_TILE_ROWS) {
            size_t R = rows - r < CK_AVX2_TILE_ROWS ? rows - r : CK_AVX2_TILE_ROWS;
            tiles_avx2[R - 1](xq + r * stride, stride, xs + r, in, q + n * in, scales + n, width,
                              bias ? bias + n : NULL, y + r * out + n, out, accumulate);
        }
    }
}
#endif

// MARK: Dispatch

static ck_path resolve(ck_path path) { return ck_resolve_path(path, CK_FEATURE_AVX512 | CK_FEATURE_AVX512_VNNI, 1); }

ck_path ck_linear_int8dot_outputs(const float *x, size_t rows, size_t in, const int8_t *q, const float *scales,
                                  const int32_t *sums, size_t out, size_t first, size_t count, const float *bias,
                                  float *y, int accumulate, ck_path path) {
    path = resolve(path);
    if (rows == 0 || count == 0) return path;
    // The prepared rows: their scales, then their bytes (64 bytes per row covers the scales).
    unsigned char stack[CK_DOT_STACK_BYTES] __attribute__((aligned(64)));
    size_t stride = ck_dot_stride(in);
    ck_dot_buffer buffer = ck_dot_buffer_make(stack, sizeof stack, rows, 64 + in);
    float *rowScales = (float *)(void *)buffer.data;
    uint8_t *xq = buffer.data + ck_dot_stride(buffer.rows * sizeof(float));
    for (size_t r = 0; r < rows; r += buffer.rows) {
        size_t chunk = rows - r < buffer.rows ? rows - r : buffer.rows;
#if CK_HAVE_AVX512_CODE
        if (path == CK_PATH_AVX512) {
            quantize_activations_avx512(x + r * in, chunk, in, xq, stride, rowScales);
            linear_avx512(xq, stride, rowScales, chunk, in, q, scales, sums, out, first, count, bias, y + r * out,
                          accumulate);
            continue;
        }
#endif
#if CK_HAVE_AVX2_CODE
        if (path == CK_PATH_AVX2) {
            quantize_activations_avx2(x + r * in, chunk, in, (int8_t *)xq, stride, rowScales);
            linear_avx2((const int8_t *)xq, stride, rowScales, chunk, in, q, scales, out, first, count, bias,
                        y + r * out, accumulate);
            continue;
        }
#endif
        quantize_activations_scalar(x + r * in, chunk, in, xq, stride, rowScales);
        linear_scalar(xq, stride, rowScales, chunk, in, q, scales, out, first, count, bias, y + r * out, accumulate);
    }
    free(buffer.heap);
    return path;
}
