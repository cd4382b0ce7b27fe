// Linear with bfloat16 products: y[r, n] = Σ_k bf16(x[r, k]) · w[n, k] (+ bias[n]). The
// activations are rounded to bfloat16 once per call; each product of two bfloat16 is exact in
// f32 and is added to an f32 sum. AVX512-BF16 `vdpbf16ps` does 32 such products per instruction
// (twice an f32 FMA); the portable C code below does the same arithmetic in the same order.
//
// vdpbf16ps multiplies the adjacent pairs (2j, 2j + 1) of two registers and adds both products
// to f32 lane j. In torch's [out, in] weight layout adjacent elements of a weight row are
// adjacent k, as in an activation row, so the pairs line up as loaded: each lane sums its own k
// and the 16 lanes are reduced at the end (as linear_avx512.c does for f32). No repacking. CPUs
// with AVX2 but not AVX512-BF16 run the same sums with f32 FMAs (see the AVX2 section).
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

// MARK: AVX2 + FMA (CPUs without AVX-512)
//
// No bfloat16 instruction: each bfloat16 is widened exactly to f32 (a 16-bit shift) and the
// products go through f32 FMAs. 16 bfloat16 in a ymm split into their even elements (shifted
// into the top of each 32-bit lane) and their odd ones (the top halves, masked), so lane j holds
// elements 2j and 2j + 1: the pair vdpbf16ps adds to its lane j. Two ymm accumulators per output
// stand for the 16 lanes of a zmm, each adding the odd product and then the even one, reduced in
// the same halves at the end: the portable code's sums in its order. A product of two bfloat16
// is exact in f32, so an FMA rounds once as the separate product and sum do (barring products
// that under- or overflow f32): the same outputs. Weight subnormals become +0 as loaded (the sums
// start from +0, where a ±0 product adds nothing); activations are rounded as on the other paths
// and kept zero from `in` up to a multiple of 32 (partial weight steps come from a zeroed copy).

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

/// round_bf16 of 8 floats, in the low half of each 32-bit lane.
AVX2_INLINE __m256i round_bf16_avx2(__m256 v) {
    __m256i bits = _mm256_castps_si256(v), top = _mm256_srli_epi32(bits, 16);
    __m256i rounded = _mm256_srli_epi32(
        _mm256_add_epi32(bits, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), _mm256_and_si256(top, _mm256_set1_epi32(1)))), 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i tiny = _mm256_cmpeq_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(0x7F800000)), _mm256_setzero_si256());
    rounded = _mm256_blendv_epi8(rounded, _mm256_or_si256(top, _mm256_set1_epi32(0x0040)), nan);
    return _mm256_blendv_epi8(rounded, _mm256_and_si256(top, _mm256_set1_epi32(0x8000)), tiny);
}

/// round_rows_scalar, writing each row up to `padded` ≥ in elements (zeros past `in`).
AVX2 static void round_rows_avx2(const float *x, size_t rows, size_t in, uint16_t *dst, size_t stride, size_t padded) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * in;
        for (size_t k = 0; k < padded; k += 16) {
            __m256i low = round_bf16_avx2(load_floats_avx2(xr + k, k < in ? in - k : 0));
            __m256i high = round_bf16_avx2(load_floats_avx2(xr + k + 8, k + 8 < in ? in - k - 8 : 0));
            // Packing works within 128-bit lanes: 64-bit groups come out 0 2 1 3.
            __m256i bits = _mm256_permute4x64_epi64(_mm256_packus_epi32(low, high), _MM_SHUFFLE(3, 1, 2, 0));
            if (padded - k >= 16) {
                _mm256_storeu_si256((__m256i *)(void *)(dst + r * stride + k), bits);
            } else {
                uint16_t part[16] __attribute__((aligned(32)));
                _mm256_store_si256((__m256i *)(void *)part, bits);
                memcpy(dst + r * stride + k, part, (padded - k) * sizeof(uint16_t));
            }
        }
    }
}

/// 16 bfloat16 from p, or the first `count` (< 16) of them and zeros.
AVX2_INLINE __m256i load_bf16_avx2(const uint16_t *p, size_t count) {
    if (count >= 16) return _mm256_loadu_si256((const __m256i *)(const void *)p);
    uint16_t tail[16] __attribute__((aligned(32))) = {0};
    memcpy(tail, p, count * sizeof(uint16_t));
    return _mm256_load_si256((const __m256i *)(void *)tail);
}

/// The even elements of 16 bfloat16 (lane j: element 2j) and the odd ones (2j + 1), as f32.
AVX2_INLINE void split_avx2(__m256i v, __m256 *even, __m256 *odd) {
    *even = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    *odd = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
}

/// acc[r][o][h] += the products of elements k ..< k + 16 (lanes 8h ..< 8h + 8 of the zmm sum),
/// `count` weight elements remaining from k.
AVX2_INLINE void dot_half_avx2(int R, int O, __m256 acc[CK_AVX2_TILE_ROWS][4][2], const uint16_t *x, size_t stride,
                               size_t in, const uint16_t *w, size_t k, size_t count, int h) {
    __m256 xe[CK_AVX2_TILE_ROWS], xo[CK_AVX2_TILE_ROWS];
    for (int r = 0; r < R; r++)
        split_avx2(_mm256_load_si256((const __m256i *)(const void *)(x + (size_t)r * stride + k)), &xe[r], &xo[r]);
    for (int o = 0; o < O; o++) {
        __m256i bits = load_bf16_avx2(w + (size_t)o * in + k, count);
        // Subnormals (exponent 0) to +0, as vdpbf16ps reads them.
        __m256i exponent = _mm256_and_si256(bits, _mm256_set1_epi16(0x7F80));
        bits = _mm256_and_si256(bits, _mm256_cmpgt_epi16(exponent, _mm256_setzero_si256()));
        __m256 we, wo;
        split_avx2(bits, &we, &wo);
        for (int r = 0; r < R; r++) {
            acc[r][o][h] = _mm256_fmadd_ps(xo[r], wo, acc[r][o][h]);
            acc[r][o][h] = _mm256_fmadd_ps(xe[r], we, acc[r][o][h]);
        }
    }
}

/// sums[r·O + o] = x[r, :] · w[o, :] for r < R, o < O, in dot_scalar's order; prefetches the
/// next block's rows `ahead` elements on (0: none), a cache line per step: the O rows are O short
/// streams that the hardware prefetcher picks up too late (1 row: ~1.5x faster with it).
AVX2_INLINE void dot_block_avx2(int R, int O, const uint16_t *x, size_t stride, size_t in, const uint16_t *w,
                                float *sums, size_t ahead) {
    __m256 acc[CK_AVX2_TILE_ROWS][4][2];
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) acc[r][o][0] = acc[r][o][1] = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 32 <= in; k += 32) {
        if (ahead)
            for (int o = 0; o < O; o++) _mm_prefetch((const char *)(w + (size_t)o * in + k + ahead), _MM_HINT_T0);
        dot_half_avx2(R, O, acc, x, stride, in, w, k, 16, 0);
        dot_half_avx2(R, O, acc, x, stride, in, w, k + 16, 16, 1);
    }
    // A partial last step (elements past `in` would add 0).
    if (k < in) dot_half_avx2(R, O, acc, x, stride, in, w, k, in - k, 0);
    if (k + 16 < in) dot_half_avx2(R, O, acc, x, stride, in, w, k + 16, in - k - 16, 1);
    for (int r = 0; r < R; r++) {
        for (int o = 0; o < O; o++) {  // lanes j + j + 8, then + 4, + 2, + 1
            __m256 s = _mm256_add_ps(acc[r][o][0], acc[r][o][1]);
            __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
            t = _mm_add_ps(t, _mm_movehl_ps(t, t));
            sums[r * O + o] = _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
        }
    }
}

/// y[r, n + o] (+)= sums[r·O + o] + bias[n + o] (y rows `ldy` apart), as store_block.
AVX2_INLINE void store_block_avx2(int R, int O, const float *sums, const float *bias, size_t n, float *y, size_t ldy,
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
AVX2_INLINE void tile_avx2(int R, int O, const uint16_t *x, size_t stride, size_t in, const uint16_t *w, size_t count,
                           const float *bias, float *y, size_t ldy, int accumulate) {
    float sums[CK_AVX2_TILE_ROWS * 4];
    size_t n = 0;
    for (; n + (size_t)O <= count; n += (size_t)O) {
        dot_block_avx2(R, O, x, stride, in, w + n * in, sums, n + 2 * (size_t)O <= count ? (size_t)O * in : 0);
        store_block_avx2(R, O, sums, bias, n, y, ldy, accumulate);
    }
    for (; n < count; n++) {
        dot_block_avx2(R, 1, x, stride, in, w + n * in, sums, 0);
        store_block_avx2(R, 1, sums, bias, n, y, ldy, accumulate);
    }
}

typedef void (*tile_function_avx2)(const uint16_t *, size_t, size_t, const uint16_t *, size_t, const float *, float *,
                                   size_t, int);
// One specialization per R, with O weight rows per block (2·R·O accumulators and 2·R activation
// vectors within the 16 ymm registers as far as they go).
#define TILE_AVX2(R, O)                                                                                        \
    AVX2 static void tile_avx2_##R(const uint16_t *x, size_t stride, size_t in, const uint16_t *w, size_t count, \
                                   const float *bias, float *y, size_t ldy, int accumulate) {                   \
        tile_avx2(R, O, x, stride, in, w, count, bias, y, ldy, accumulate);                                     \
    }
TILE_AVX2(1, 4) TILE_AVX2(2, 2) TILE_AVX2(3, 1) TILE_AVX2(4, 1)
static const tile_function_avx2 tiles_avx2[CK_AVX2_TILE_ROWS] = {tile_avx2_1, tile_avx2_2, tile_avx2_3, tile_avx2_4};

static void linear_avx2(const uint16_t *xb, size_t stride, size_t rows, size_t in, const uint16_t *w, size_t out,
                        size_t first, size_t count, const float *bias, float *y, int accumulate) {
    size_t block = ck_dot_block(rows, CK_AVX2_TILE_ROWS, count, in * sizeof(uint16_t));
    for (size_t n = first; n < first + count; n += block) {
        size_t width = first + count - n < block ? first + count - n : block;
        for (size_t r = 0; r < rows; r += CK_AVX2_TILE_ROWS) {
            size_t R = rows - r < CK_AVX2_TILE_ROWS ? rows - r : CK_AVX2_TILE_ROWS;
            tiles_avx2[R - 1](xb + r * stride, stride, in, w + n * in, width, bias ? bias + n : NULL, y + r * out + n,
                              out, accumulate);
        }
    }
}
#endif

// MARK: Dispatch

static ck_path resolve(ck_path path) { return ck_resolve_path(path, CK_FEATURE_AVX512 | CK_FEATURE_AVX512_BF16, 1); }

/// Rounds the rows (AVX2: and writes zeros from `in` up to `padded`).
static void round_rows(ck_path path, const float *x, size_t rows, size_t in, uint16_t *dst, size_t stride,
                       size_t padded) {
#if CK_HAVE_AVX512_CODE
    if (path == CK_PATH_AVX512) {
        round_rows_avx512(x, rows, in, dst, stride);
        return;
    }
#endif
#if CK_HAVE_AVX2_CODE
    if (path == CK_PATH_AVX2) {
        round_rows_avx2(x, rows, in, dst, stride, padded);
        return;
    }
#endif
    (void)padded;
    round_rows_scalar(x, rows, in, dst, stride);
}

ck_path ck_f32_to_bf16(const float *src, uint16_t *dst, size_t count, ck_path path) {
    path = resolve(path);
    round_rows(path, src, 1, count, dst, count, count);
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
        round_rows(path, x + r * in, chunk, in, xb, stride, (in + 31) / 32 * 32);
#if CK_HAVE_AVX2_CODE
        if (path == CK_PATH_AVX2) {
            linear_avx2(xb, stride, chunk, in, w, out, first, count, bias, y + r * out, accumulate);
            continue;
        }
#endif
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
