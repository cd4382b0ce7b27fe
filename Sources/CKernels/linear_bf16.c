// Linear with bfloat16 products: y[r, n] = Σ_k bf16(x[r, k]) · w[n, k] (+ bias[n]). The
// activations are rounded to bfloat16 once per call; each product of two bfloat16 is exact in
// f32 and is added to an f32 sum. AVX512-BF16 `vdpbf16ps` does 32 such products per instruction
// (twice an f32 FMA); the portable C code below does the same arithmetic in the same order.
//
// vdpbf16ps multiplies the adjacent pairs (2j, 2j + 1) of two registers and adds both products
// to f32 lane j. In torch's [out, in] weight layout adjacent elements of a weight row are
// adjacent k, as in an activation row, so the pairs line up as loaded: each lane sums its own k
// and the 16 lanes are reduced at the end (as linear_avx512.c does for f32). No repacking.
#include <string.h>
#include "linear_dot.h"

#pragma STDC FP_CONTRACT OFF

// MARK: Portable C (any CPU): the same arithmetic as vdpbf16ps and _mm512_reduce_add_ps

/// bfloat16 bits of x, to nearest even; subnormals to a zero of the same sign, NaN quieted
/// (what vcvtneps2bf16 does).
static inline uint16_t round_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7F800000u) == 0) return (uint16_t)((bits >> 16) & 0x8000u);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x0040u);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

/// The f32 value of bfloat16 bits, subnormals as zero (vdpbf16ps reads them so).
static inline float widen_bf16(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    if ((bits & 0x7F800000u) == 0) bits &= 0x80000000u;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static void round_rows_scalar(const float *x, size_t rows, size_t in, uint16_t *dst, size_t stride) {
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < in; k++) dst[r * stride + k] = round_bf16(x[r * in + k]);
}

/// x · w over `in` bfloat16 pairs as the AVX-512 code sums them: lane j of each 32-element step
/// adds the product at k + 2j + 1, then the one at k + 2j; then the 16 lanes in halves.
static float dot_scalar(const uint16_t *x, const uint16_t *w, size_t in) {
    float lanes[16] = {0};
    for (size_t k = 0; k < in; k += 32) {
        for (size_t j = 0; j < 16; j++) {
            size_t even = k + 2 * j, odd = even + 1;
            float p1 = odd < in ? widen_bf16(x[odd]) * widen_bf16(w[odd]) : 0.0f;
            float p0 = even < in ? widen_bf16(x[even]) * widen_bf16(w[even]) : 0.0f;
            lanes[j] = lanes[j] + p1;
            lanes[j] = lanes[j] + p0;
        }
    }
    for (size_t width = 8; width >= 1; width /= 2)
        for (size_t j = 0; j < width; j++) lanes[j] = lanes[j] + lanes[j + width];
    return lanes[0];
}

static void linear_scalar(const uint16_t *xb, size_t stride, size_t rows, size_t in, const uint16_t *w, size_t out,
                          size_t first, size_t count, const float *bias, float *y, int accumulate) {
    for (size_t r = 0; r < rows; r++) {
        for (size_t n = first; n < first + count; n++) {
            float v = dot_scalar(xb + r * stride, w + n * in, in);
            if (bias) v = v + bias[n];
            float *o = y + r * out + n;
            *o = accumulate ? *o + v : v;
        }
    }
}

// MARK: AVX512-BF16

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bf16,avx512vnni,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

BF16 static void round_rows_avx512(const float *x, size_t rows, size_t in, uint16_t *dst, size_t stride) {
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < in; k += 16) {
            __mmask16 mask = in - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (in - k)) - 1);
            __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + r * in + k));
            _mm256_mask_storeu_epi16(dst + r * stride + k, mask, (__m256i)b);
        }
    }
}

/// acc[r][o] += x[r, k ..< k + 32] · w[o, k ..< k + 32] pairwise, elements outside `mask` as 0.
BF16 INLINE void dot_step(int R, int O, __m512 acc[CK_MAX_TILE_ROWS][8], const uint16_t *x, size_t stride, size_t in,
                          const uint16_t *w, size_t k, __mmask32 mask) {
    __m512i wv[8];
    for (int o = 0; o < O; o++) wv[o] = _mm512_maskz_loadu_epi16(mask, w + (size_t)o * in + k);
    for (int r = 0; r < R; r++) {
        __m512bh xv = (__m512bh)_mm512_maskz_loadu_epi16(mask, x + (size_t)r * stride + k);
        for (int o = 0; o < O; o++) acc[r][o] = _mm512_dpbf16_ps(acc[r][o], xv, (__m512bh)wv[o]);
    }
}

/// sums[r·O + o] = x[r, :] · w[o, :] for r < R, o < O (x rows `stride` apart, w rows `in` apart).
BF16 INLINE void dot_block(int R, int O, const uint16_t *x, size_t stride, size_t in, const uint16_t *w,
                           float *sums) {
    __m512 acc[CK_MAX_TILE_ROWS][8];
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) acc[r][o] = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 32 <= in; k += 32) dot_step(R, O, acc, x, stride, in, w, k, (__mmask32)0xFFFFFFFFu);
    // A partial last step: masked elements read nothing and add 0 · 0.
    if (k < in) dot_step(R, O, acc, x, stride, in, w, k, (__mmask32)((1u << (in - k)) - 1));
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) sums[r * O + o] = _mm512_reduce_add_ps(acc[r][o]);
}

/// y[r, n + o] (+)= sums[r·O + o] + bias[n + o] (y rows `ldy` apart).
INLINE void store_block(int R, int O, const float *sums, const float *bias, size_t n, float *y, size_t ldy,
                        int accumulate) {
    for (int r = 0; r < R; r++) {
        for (int o = 0; o < O; o++) {
            float v = sums[r * O + o];
            if (bias) v = v + bias[n + o];
            float *p = y + (size_t)r * ldy + n + o;
            *p = accumulate ? *p + v : v;
        }
    }
}

/// One tile of R rows over `count` outputs (w, bias, y from the tile's first output): blocks of
/// O weight rows, then single ones.
BF16 INLINE void tile(int R, int O, const uint16_t *x, size_t stride, size_t in, const uint16_t *w, size_t count,
                      const float *bias, float *y, size_t ldy, int accumulate) {
    float sums[CK_MAX_TILE_ROWS * 8];
    size_t n = 0;
    for (; n + (size_t)O <= count; n += (size_t)O) {
        dot_block(R, O, x, stride, in, w + n * in, sums);
        store_block(R, O, sums, bias, n, y, ldy, accumulate);
    }
    for (; n < count; n++) {
        dot_block(R, 1, x, stride, in, w + n * in, sums);
        store_block(R, 1, sums, bias, n, y, ldy, accumulate);
    }
}

typedef void (*tile_function)(const uint16_t *, size_t, size_t, const uint16_t *, size_t, const float *, float *,
                              size_t, int);
// One specialization per R, with O weight rows per block (linear_dot.h).
#define TILE(R, O)                                                                                          \
    BF16 static void tile_##R(const uint16_t *x, size_t stride, size_t in, const uint16_t *w, size_t count, \
                              const float *bias, float *y, size_t ldy, int accumulate) {                  \
        tile(R, O, x, stride, in, w, count, bias, y, ldy, accumulate);                                      \
    }
TILE(1, 8) TILE(2, 8) TILE(3, 6) TILE(4, 4) TILE(5, 4) TILE(6, 4) TILE(7, 3) TILE(8, 3)
static const tile_function tiles[CK_MAX_TILE_ROWS] = {tile_1, tile_2, tile_3, tile_4, tile_5, tile_6, tile_7, tile_8};

static void linear_avx512(const uint16_t *xb, size_t stride, size_t rows, size_t in, const uint16_t *w, size_t out,
                          size_t first, size_t count, const float *bias, float *y, int accumulate) {
    size_t block = ck_dot_block(rows, CK_MAX_TILE_ROWS, count, in * sizeof(uint16_t));
    for (size_t n = first; n < first + count; n += block) {
        size_t width = first + count - n < block ? first + count - n : block;
        for (size_t r = 0; r < rows; r += CK_MAX_TILE_ROWS) {
            size_t R = rows - r < CK_MAX_TILE_ROWS ? rows - r : CK_MAX_TILE_ROWS;
            tiles[R - 1](xb + r * stride, stride, in, w + n * in, width, bias ? bias + n : NULL, y + r * out + n, out,
                         accumulate);
        }
    }
}
#endif

// MARK: Dispatch

static ck_path resolve(ck_path path) {
    unsigned needed = CK_FEATURE_AVX512 | CK_FEATURE_AVX512_BF16;
    if (path == CK_PATH_SCALAR || (ck_cpu_features() & needed) != needed) return CK_PATH_SCALAR;
    return CK_PATH_AVX512;
}

static void round_rows(ck_path path, const float *x, size_t rows, size_t in, uint16_t *dst, size_t stride) {
#if CK_HAVE_AVX512_CODE
    if (path == CK_PATH_AVX512) {
        round_rows_avx512(x, rows, in, dst, stride);
        return;
    }
#endif
    round_rows_scalar(x, rows, in, dst, stride);
}

ck_path ck_f32_to_bf16(const float *src, uint16_t *dst, size_t count, ck_path path) {
    path = resolve(path);
    round_rows(path, src, 1, count, dst, count);
    return path;
}

ck_path ck_linear_bf16dot_outputs(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out, size_t first,
                                  size_t count, const float *bias, float *y, int accumulate, ck_path path) {
    path = resolve(path);
    if (rows == 0 || count == 0) return path;
    unsigned char stack[CK_DOT_STACK_BYTES] __attribute__((aligned(64)));
    ck_dot_buffer buffer = ck_dot_buffer_make(stack, sizeof stack, rows, in * sizeof(uint16_t));
    size_t stride = ck_dot_stride(in * sizeof(uint16_t)) / sizeof(uint16_t);
    uint16_t *xb = (uint16_t *)(void *)buffer.data;
    for (size_t r = 0; r < rows; r += buffer.rows) {
        size_t chunk = rows - r < buffer.rows ? rows - r : buffer.rows;
        round_rows(path, x + r * in, chunk, in, xb, stride);
#if CK_HAVE_AVX512_CODE
        if (path == CK_PATH_AVX512) {
            linear_avx512(xb, stride, chunk, in, w, out, first, count, bias, y + r * out, accumulate);
            continue;
        }
#endif
        linear_scalar(xb, stride, chunk, in, w, out, first, count, bias, y + r * out, accumulate);
    }
    free(buffer.heap);
    return path;
}
