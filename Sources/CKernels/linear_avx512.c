// AVX-512 linear kernels: y[rows, out] = x[rows, in]·Wᵀ (+ bias) for few rows, reading each
// weight once per tile of up to 8 rows. Only these functions are compiled for AVX-512 (target
// attribute); ckernels.c calls them after checking the CPU.
//
// A block is O weight rows × R x rows: R·O zmm accumulators, 16 inputs per step, the O weight
// vectors loaded once and used by all R rows. O shrinks as R grows to stay within the 32 zmm
// registers (R·O + O + 1). More weight rows in flight help when streaming from DRAM (1 row:
// 8 weight rows ≈ 15% faster than 4). Past 8 rows, outputs go in L2-sized blocks so each
// weight comes from memory once per call whatever the row count. Measured on an AMD EPYC (Zen 4), full FlowLM weights:
// see Benchmarks/README.md.
#include "internal.h"

#if CK_HAVE_AVX512_CODE
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define INLINE static inline __attribute__((always_inline))

/// 16 weights (masked) as f32: plain load, or bf16 bits widened and shifted into the top half.
AVX512 INLINE __m512 load_weights(ck_weight_kind kind, const void *w, size_t index, __mmask16 mask) {
    if (kind == CK_WEIGHTS_F32) return _mm512_maskz_loadu_ps(mask, (const float *)w + index);
    __m256i half = _mm256_maskz_loadu_epi16(mask, (const uint16_t *)w + index);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
}

/// sums[r·O + o] = x[r, :] · w[o, :] for r < R, o < O (w: O consecutive weight rows).
AVX512 INLINE void dot_block(ck_weight_kind kind, int R, int O, const float *x, size_t in, const void *w,
                             float *sums) {
    __m512 acc[CK_MAX_TILE_ROWS][8];
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) acc[r][o] = _mm512_setzero_ps();
    for (size_t k = 0; k < in; k += 16) {
        // The last step may be partial: masked lanes read nothing and add 0.
        __mmask16 mask = in - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (in - k)) - 1);
        __m512 wv[8];
        for (int o = 0; o < O; o++) wv[o] = load_weights(kind, w, (size_t)o * in + k, mask);
        for (int r = 0; r < R; r++) {
            __m512 xv = _mm512_maskz_loadu_ps(mask, x + (size_t)r * in + k);
            for (int o = 0; o < O; o++) acc[r][o] = _mm512_fmadd_ps(wv[o], xv, acc[r][o]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int o = 0; o < O; o++) sums[r * O + o] = _mm512_reduce_add_ps(acc[r][o]);
}

/// y[r, n + o] (+)= sums[r·O + o] + bias[n + o] (y rows `ldy` apart).
INLINE void store_block(int R, int O, const float *sums, const float *bias, size_t n, float *y, size_t ldy,
                        int accumulate) {
    for (int r = 0; r < R; r++) {
        for (int o = 0; o < O; o++) {
            float v = sums[r * O + o] + (bias ? bias[n + o] : 0.0f);
            float *p = y + (size_t)r * ldy + n + o;
            *p = accumulate ? *p + v : v;
        }
    }
}

/// One tile of R rows over `count` consecutive outputs (weight rows w[0..<count], bias and y
/// columns from the same first output): blocks of O weight rows, then single ones.
AVX512 INLINE void tile(ck_weight_kind kind, int R, int O, const float *x, size_t in, const void *w, size_t count,
                        const float *bias, float *y, size_t ldy, int accumulate) {
    size_t elementSize = kind == CK_WEIGHTS_F32 ? sizeof(float) : sizeof(uint16_t);
    float sums[CK_MAX_TILE_ROWS * 8];
    size_t n = 0;
    for (; n + (size_t)O <= count; n += (size_t)O) {
        dot_block(kind, R, O, x, in, (const char *)w + n * in * elementSize, sums);
        store_block(R, O, sums, bias, n, y, ldy, accumulate);
    }
    for (; n < count; n++) {
        dot_block(kind, R, 1, x, in, (const char *)w + n * in * elementSize, sums);
        store_block(R, 1, sums, bias, n, y, ldy, accumulate);
    }
}

typedef void (*tile_function)(const float *, size_t, const void *, size_t, const float *, float *, size_t, int);

// One specialization per (weight kind, R), with O weight rows per block: R·O + O + 1 ≤ 32,
// O dividing CK_BLOCK_MULTIPLE.
#define TILE(NAME, KIND, R, O)                                                                            \
    AVX512 static void NAME(const float *x, size_t in, const void *w, size_t count, const float *bias,    \
                            float *y, size_t ldy, int accumulate) {                                       \
        tile(KIND, R, O, x, in, w, count, bias, y, ldy, accumulate);                                      \
    }
TILE(f32_1, CK_WEIGHTS_F32, 1, 8)
TILE(f32_2, CK_WEIGHTS_F32, 2, 8)
TILE(f32_3, CK_WEIGHTS_F32, 3, 6)
TILE(f32_4, CK_WEIGHTS_F32, 4, 4)
TILE(f32_5, CK_WEIGHTS_F32, 5, 4)
TILE(f32_6, CK_WEIGHTS_F32, 6, 4)
TILE(f32_7, CK_WEIGHTS_F32, 7, 3)
TILE(f32_8, CK_WEIGHTS_F32, 8, 3)
TILE(bf16_1, CK_WEIGHTS_BF16, 1, 8)
TILE(bf16_2, CK_WEIGHTS_BF16, 2, 8)
TILE(bf16_3, CK_WEIGHTS_BF16, 3, 6)
TILE(bf16_4, CK_WEIGHTS_BF16, 4, 4)
TILE(bf16_5, CK_WEIGHTS_BF16, 5, 4)
TILE(bf16_6, CK_WEIGHTS_BF16, 6, 4)
TILE(bf16_7, CK_WEIGHTS_BF16, 7, 3)
TILE(bf16_8, CK_WEIGHTS_BF16, 8, 3)

static const tile_function f32_tiles[CK_MAX_TILE_ROWS] = {f32_1, f32_2, f32_3, f32_4, f32_5, f32_6, f32_7, f32_8};
static const tile_function bf16_tiles[CK_MAX_TILE_ROWS] = {bf16_1, bf16_2, bf16_3, bf16_4, bf16_5, bf16_6, bf16_7, bf16_8};

/// With more than one row tile, outputs go in blocks of about this many weight bytes, so a
/// block read from memory by the first tile is still in L2 for the others.
#define CK_BLOCK_BYTES (256 * 1024)
/// Output blocks are a multiple of every O above (8, 6, 4, 3), leaving no single-output tails.
#define CK_BLOCK_MULTIPLE 24

void ck_linear_avx512(ck_weight_kind kind, const float *x, size_t rows, size_t in, const void *w, size_t out,
                      const float *bias, float *y, int accumulate) {
    const tile_function *tiles = kind == CK_WEIGHTS_F32 ? f32_tiles : bf16_tiles;
    size_t elementSize = kind == CK_WEIGHTS_F32 ? sizeof(float) : sizeof(uint16_t);
    size_t block = out;
    if (rows > CK_MAX_TILE_ROWS && in > 0) {
        size_t fit = CK_BLOCK_BYTES / (in * elementSize) / CK_BLOCK_MULTIPLE * CK_BLOCK_MULTIPLE;
        block = fit > CK_BLOCK_MULTIPLE ? fit : CK_BLOCK_MULTIPLE;
    }
    for (size_t n = 0; n < out; n += block) {
        size_t count = out - n < block ? out - n : block;
        const void *wb = (const char *)w + n * in * elementSize;
        for (size_t r = 0; r < rows; r += CK_MAX_TILE_ROWS) {
            size_t R = rows - r < CK_MAX_TILE_ROWS ? rows - r : CK_MAX_TILE_ROWS;
            tiles[R - 1](x + r * in, in, wb, count, bias ? bias + n : NULL, y + r * out + n, out, accumulate);
        }
    }
}

AVX512 void ck_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 mask = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(dst + i, mask, load_weights(CK_WEIGHTS_BF16, src, i, mask));
    }
}

#endif
