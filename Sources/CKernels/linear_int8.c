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
// The integer sums are exact, so the portable C code below gives the same outputs bit for bit.
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
    size_t block = ck_dot_block(rows, count, in);
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

// MARK: Dispatch

static ck_path resolve(ck_path path) {
    unsigned needed = CK_FEATURE_AVX512 | CK_FEATURE_AVX512_VNNI;
    if (path == CK_PATH_SCALAR || (ck_cpu_features() & needed) != needed) return CK_PATH_SCALAR;
    return CK_PATH_AVX512;
}

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
        quantize_activations_scalar(x + r * in, chunk, in, xq, stride, rowScales);
        linear_scalar(xq, stride, rowScales, chunk, in, q, scales, out, first, count, bias, y + r * out, accumulate);
    }
    free(buffer.heap);
    return path;
}
