// CKernels: hot CPU kernels Swift cannot express (AVX-512 intrinsics), with portable fallbacks.
// Plain C; the only state is the CPU's features, queried once. Every function picks its code
// path at run time from them, so the library runs on any x86_64 (or other) CPU; the AVX-512
// code is compiled per function.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features the kernels can use (bit set).
enum {
    /// AVX-512 F + BW + VL (and FMA): the AVX-512 linear kernels.
    CK_FEATURE_AVX512 = 1u << 0,
    /// AVX-512 BF16 (`vdpbf16ps`): the bfloat16-products kernel (ck_linear_bf16dot_outputs).
    /// The f32-activation kernels do not need it.
    CK_FEATURE_AVX512_BF16 = 1u << 1,
    /// AVX-512 VNNI (`vpdpbusd`): the int8 kernel (ck_linear_int8dot_outputs).
    CK_FEATURE_AVX512_VNNI = 1u << 2,
    /// AVX2 + FMA (and the OS saving ymm state): the AVX2 kernels of the reduced-precision
    /// linears (ck_linear_int8dot_outputs, ck_linear_bf16dot_outputs), for CPUs without AVX-512.
    CK_FEATURE_AVX2 = 1u << 3,
};

/// The features of the running CPU (and OS: zmm state enabled), queried on the first call
/// (thread-safe) and remembered.
unsigned ck_cpu_features(void);

/// Which implementation runs: the best supported one, or one forced (tests, benchmarks).
/// Forcing CK_PATH_AVX512 on a CPU without it runs the scalar code instead. CK_PATH_AVX2 exists
/// for the reduced-precision linears only (automatic picks it where AVX-512 code cannot run);
/// forced, it runs on any CPU with AVX2 + FMA (AVX-512 ones too), scalar code elsewhere.
typedef enum ck_path {
    CK_PATH_AUTO = 0,
    CK_PATH_SCALAR = 1,
    CK_PATH_AVX512 = 2,
    CK_PATH_AVX2 = 3,
} ck_path;

/// y[r, n] = sum_k x[r, k] * w[n, k] + bias[n] for r < rows, n < out, k < in
/// (y[r, n] += ... when `accumulate` is non-zero). x: [rows, in], w: [out, in], y: [rows, out],
/// all row-major and contiguous; bias may be NULL. y must not overlap x, w or bias.
/// Reads the weights once per tile of up to 8 rows: meant for few rows (one per stream).
/// Returns the path that ran (CK_PATH_SCALAR or CK_PATH_AVX512).
ck_path ck_linear_f32(const float *x, size_t rows, size_t in, const float *w, size_t out,
                      const float *bias, float *y, int accumulate, ck_path path);

/// As ck_linear_f32 with bfloat16 weights (raw bits: the top half of a float32, little-endian).
/// Each weight is widened exactly to f32; x, bias and the sums stay f32.
ck_path ck_linear_bf16(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out,
                       const float *bias, float *y, int accumulate, ck_path path);

/// As ck_linear_f32 / ck_linear_bf16 for the outputs first ..< first + count only (columns of
/// y[rows, out], rows still `out` apart; first + count <= out). Each output is computed exactly
/// as by the full call, so disjoint ranges may run on different threads at once.
ck_path ck_linear_f32_outputs(const float *x, size_t rows, size_t in, const float *w, size_t out, size_t first,
                              size_t count, const float *bias, float *y, int accumulate, ck_path path);
ck_path ck_linear_bf16_outputs(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out, size_t first,
                               size_t count, const float *bias, float *y, int accumulate, ck_path path);

/// dst[i] = the f32 value of the bfloat16 bits src[i] (exact), i < count.
ck_path ck_bf16_to_f32(const uint16_t *src, float *dst, size_t count, ck_path path);

// MARK: Reduced-precision products (linear_bf16.c, linear_int8.c)
//
// Both take f32 activations and write f32 outputs like the kernels above, for outputs
// first ..< first + count (disjoint ranges may run on different threads at once). Their AVX-512
// code needs one more extension (BF16, VNNI); without it, AVX2 code (CK_PATH_AVX2) or else the
// portable C code runs the same arithmetic (bfloat16: the same products and sums, in the same
// order; int8: the same integers, bit for bit). CK_PATH_AVX512 names the AVX-512 code; forced
// on a CPU without it, the C code runs.

/// dst[i] = x[i] rounded to bfloat16 bits, to nearest even, as `vcvtneps2bf16` does
/// (subnormals become zero of the same sign, NaNs stay NaN), i < count.
ck_path ck_f32_to_bf16(const float *src, uint16_t *dst, size_t count, ck_path path);

/// y[r, n] (+)= Σ_k bf16(x[r, k]) · w[n, k] + bias[n]: the activations rounded to bfloat16 as
/// ck_f32_to_bf16 does, exact products of two bfloat16, summed in f32 (AVX512-BF16 `vdpbf16ps`).
/// w: bfloat16 bits [out, in]; the rest as ck_linear_f32.
ck_path ck_linear_bf16dot_outputs(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out, size_t first,
                                  size_t count, const float *bias, float *y, int accumulate, ck_path path);

/// Symmetric int8 quantization of the rows of a matrix [out, in] (f32 or bfloat16 bits): for
/// each row n, m = max_k |w[n, k]|, q[n, k] = round_even(w[n, k] · (127 / m)) in -127...127,
/// scales[n] = m / 127, sums[n] = Σ_k q[n, k] (a row of zeros: scale 0, q 0).
void ck_quantize_int8_f32(const float *w, size_t out, size_t in, int8_t *q, float *scales, int32_t *sums);
void ck_quantize_int8_bf16(const uint16_t *w, size_t out, size_t in, int8_t *q, float *scales, int32_t *sums);

/// y[r, n] (+)= (float)(Σ_k qx[r, k] · q[n, k]) · (sx[r] · scales[n]) + bias[n], where each row
/// of x is quantized per call as ck_quantize_int8_f32 quantizes a weight row (qx, sx) and
/// q, scales, sums come from ck_quantize_int8_*. The integer sums are exact (AVX512-VNNI
/// `vpdpbusd` on qx + 128 as unsigned bytes, less 128 · sums[n]).
ck_path ck_linear_int8dot_outputs(const float *x, size_t rows, size_t in, const int8_t *q, const float *scales,
                                  const int32_t *sums, size_t out, size_t first, size_t count, const float *bias,
                                  float *y, int accumulate, ck_path path);

// MARK: Attention of one query (attention_one.c)

/// Causal attention of one query over keys/values 0 ..< key_count (all visible), heads
/// first ..< first + heads of head_dim each: out[h] = softmax_j(scale · q[h]·k[j, h]) · v[j, h].
/// q and out: one row of all heads ([H, D]); keys, values: rows key_stride floats apart; scores:
/// scratch of key_count · heads floats. Key rows are read front to back once per pass (all heads
/// together) rather than once per head. Each head's values are the same whichever range a call
/// covers. AVX-512 when head_dim is a multiple of 16 up to 256, else AVX2 (+ FMA) when it is a multiple
/// of 8 up to 256 and the CPU has it, else portable C (each its own sums).
ck_path ck_attend_one(const float *q, size_t first, size_t heads, size_t head_dim, const float *keys,
                      const float *values, size_t key_count, size_t key_stride, float scale, float *scores,
                      float *out, ck_path path);

/// ck_attend_one over a bfloat16 cache (keys, values: bfloat16 bits, rows key_stride elements
/// apart), each element widened exactly to f32 as it is loaded: the values of ck_attend_one on
/// the widened cache, bit for bit (same path).
ck_path ck_attend_one_bf16(const float *q, size_t first, size_t heads, size_t head_dim, const uint16_t *keys,
                           const uint16_t *values, size_t key_count, size_t key_stride, float scale, float *scores,
                           float *out, ck_path path);

// MARK: Attention of a chunk of queries over a ring-buffer cache (mimi_attention.c): the Mimi
// decoder's transformer under Precision.bf16 / .int8.

/// Floats of scratch ck_attend_ring needs.
size_t ck_attend_ring_scratch_floats(size_t queries, size_t key_count, size_t head_dim);

/// out[t, h] = Σ_j p_j · v[j, h] with p = softmax_j(scale · q[t, h]·k[j, h]) over the visible
/// slots j < key_count: positions[j] >= 0 and 0 <= query_start + t − positions[j] < window (no
/// upper bound for window 0); a query with none gets zeros. q: rows q_stride floats apart, heads
/// of head_dim side by side; keys transposed, channel-major: element (slot j, channel c = h ·
/// head_dim + i) at keys[c · key_stride + j]; values slot-major at values[j · value_stride + c];
/// out: [queries, heads · head_dim] contiguous. AVX-512 (a vectorized e^x: vector_math.h) when
/// head_dim is a multiple of 16 and key_stride >= key_count rounded up to 16 (the slots past
/// key_count are read and ignored); else portable C with libm's expf.
ck_path ck_attend_ring(const float *q, size_t queries, size_t q_stride, ptrdiff_t query_start, const float *keys,
                       const float *values, const ptrdiff_t *positions, size_t key_count, size_t key_stride,
                       size_t value_stride, size_t heads, size_t head_dim, size_t window, float scale, float *scratch,
                       float *out, ck_path path);

/// ck_attend_ring over a bfloat16 cache (bits; key_stride, value_stride in elements), each
/// element widened exactly to f32 as it is loaded.
ck_path ck_attend_ring_bf16(const float *q, size_t queries, size_t q_stride, ptrdiff_t query_start,
                            const uint16_t *keys, const uint16_t *values, const ptrdiff_t *positions, size_t key_count,
                            size_t key_stride, size_t value_stride, size_t heads, size_t head_dim, size_t window,
                            float scale, float *scratch, float *out, ck_path path);

/// Writes one slot of a ring laid out as ck_attend_ring reads it: k[c] to keys[c · key_stride +
/// slot], v[c] to values[slot · value_stride + c], c < width (the _bf16 form rounds both to
/// bfloat16 to nearest even, as ck_f32_to_bf16).
void ck_ring_store(const float *k, const float *v, size_t width, size_t slot, float *keys, size_t key_stride,
                   float *values, size_t value_stride);
void ck_ring_store_bf16(const float *k, const float *v, size_t width, size_t slot, uint16_t *keys, size_t key_stride,
                        uint16_t *values, size_t value_stride);

// MARK: Element-wise functions with a vectorized e^x / erf (activations.c, vector_math.h)

/// x[i] = 0.5 · x[i] · (1 + erf(x[i] / √2)) in place (GELU, exact form) with erf within 1.5e-7
/// absolute (AVX-512); portable C: libm's erff.
ck_path ck_gelu_erf(float *x, size_t count, ck_path path);

/// x[i] = 0.5 · x[i] · (1 + tanh(√(2/π) · (x[i] + 0.044715 · x[i]³))) in place (GELU, tanh form),
/// computed as x / (1 + e^(−2u)) with the vectorized e^x (AVX-512: within a few ulp of the
/// tanh form); portable C: libm's tanhf (the values of Kernels' Activation.geluTanh).
ck_path ck_gelu_tanh(float *x, size_t count, ck_path path);

/// dst[i] = e^src[i] within 2 ulp (AVX-512; 0 from −104 down, −∞ included);
/// portable C: expf.
ck_path ck_exp(const float *src, float *dst, size_t count, ck_path path);

// MARK: GEMM with bfloat16 products over many columns (gemm_bf16.c): Mimi's convolutions and
// transformer linears under Precision.bf16 / .int8.
//
// Words are pairs of bfloat16 (k = 2i in the low half, 2i + 1 in the high). Weights are packed
// once into panels of 8 rows [ceil(M / 8)][ceil(K / 2)][8]; activations per call into
// [ceil(K / 2)][ldp], rounded to bfloat16 to nearest even as ck_f32_to_bf16. Each output is a
// sum from zero over k in a fixed order of exact bfloat16 products in f32 (vdpbf16ps), + bias,
// + C when accumulating: the same bits whatever N and whichever columns share the call. The
// portable C code (CPUs without AVX512-BF16) does the same arithmetic.

/// Words of packed weights for an [m, k] matrix.
size_t ck_gemm_bf16_weight_words(size_t m, size_t k);

/// Packs W[m, k], element (row, kk) at w[row · row_stride + kk · k_stride] (row-major: k_stride 1;
/// a transposed [k, m] matrix: row_stride 1, k_stride m), into `panels` (ck_gemm_bf16_weight_words).
void ck_gemm_bf16_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride,
                               uint32_t *panels);

/// The smallest ldp for n columns (n rounded up to 16; the tiles read whole vectors).
size_t ck_gemm_bf16_activation_stride(size_t n);

/// Packs X[k, n] for ck_gemm_bf16 into packed[ceil(k / 2)][ldp] (columns 0 ..< n; point
/// `packed` at a column offset to put several inputs side by side). Row r = c · taps + t,
/// column j reads x[c · channel_stride + t · tap_stride + j · column_stride]: an im2col of a
/// conv over [C, L] (taps K, channel_stride L, tap_stride dilation, column_stride 1), a plain
/// [k, n] matrix (taps 1, channel_stride n, column_stride 1), or rows [n, k] (taps 1,
/// channel_stride 1, column_stride k).
ck_path ck_gemm_bf16_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                      size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp,
                                      ck_path path);

/// C[row, j] = Σ_k W[row, k] · X[k, j] (+ bias[row]) (C[row, j] + that when `accumulate`) for
/// row < m, j < n; C[row, j] at c[row · ldc + j · cs] (row-major: cs 1; transposed, [n, m]:
/// ldc 1, cs m); bias may be NULL.
ck_path ck_gemm_bf16(const uint32_t *panels, size_t m, size_t k, const uint32_t *packed, size_t n, size_t ldp,
                     const float *bias, float *c, size_t ldc, size_t cs, int accumulate, ck_path path);

// MARK: The f32 twin (gemm_f32.c): the same layouts with f32 values, one fused multiply-add
// chain per output from zero over k in order (+ bias, + C): batch-invariant the same way. For
// wide, compute-bound layers, where this CPU's f32 FMAs outrun vdpbf16ps.

/// Floats of packed weights for an [m, k] matrix: panels [ceil(m / 8)][k][8].
size_t ck_gemm_f32_weight_words(size_t m, size_t k);
/// As ck_gemm_bf16_pack_weights, without rounding.
void ck_gemm_f32_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride, float *panels);
/// As ck_gemm_bf16_pack_activations into packed[k][ldp] f32, without rounding.
void ck_gemm_f32_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                  size_t tap_stride, size_t column_stride, float *packed, size_t ldp);
/// As ck_gemm_bf16 in f32 (fmaf in the portable code).
ck_path ck_gemm_f32(const float *panels, size_t m, size_t k, const float *packed, size_t n, size_t ldp,
                    const float *bias, float *c, size_t ldc, size_t cs, int accumulate, ck_path path);
/// One output row (m = 1) without packing: y[j] = Σ_r w[r · w_stride] · X[r, j] (+ bias[0]), X read as
/// ck_gemm_bf16_pack_activations reads it with column_stride 1; the same chain of fused
/// multiply-adds as ck_gemm_f32 on the packed X: the same bits.
ck_path ck_gemm_f32_row(const float *w, size_t w_stride, size_t k, size_t taps, const float *x, size_t channel_stride, size_t tap_stride,
                        size_t n, const float *bias, float *y, ck_path path);

// MARK: The int8 twin (gemm_int8.c): Mimi's SEANet convolutions under Precision.int8. Weights
// quantized once per row (scale max|w| / 127, as ck_quantize_int8_f32), activations per call per
// column over that column's k values (the same rule), exact int32 sums (AVX512-VNNI `vpdpbusd`
// on u = q + 128 against the signed weights, minus 128 · Σ qw), then per output
// (float)(dot − 128 · Σ qw) · (sx · sw) (+ bias) (+ C): batch-invariant, the portable C code the
// same bits.

/// Words of packed weights for an [m, k] matrix: panels [ceil(m / 8)][ceil(k / 4)][8] of 4 bytes.
size_t ck_gemm_int8_weight_words(size_t m, size_t k);
/// Words of packed activations of depth k with rows ldp words apart: [ceil(k / 4)][ldp] words of
/// 4 bytes, then ldp f32 column scales.
size_t ck_gemm_int8_activation_words(size_t k, size_t ldp);
/// Quantizes and packs W[m, k] (strides as ck_gemm_bf16_pack_weights) into `panels`, with each
/// row's scale and sum of quantized values (scales[m], sums[m]).
void ck_gemm_int8_pack_weights(const float *w, size_t m, size_t k, size_t row_stride, size_t k_stride,
                               uint32_t *panels, float *scales, int32_t *sums);
/// Quantizes per column and packs X[k, n] (read as ck_gemm_bf16_pack_activations reads it) into
/// `packed` (ck_gemm_int8_activation_words(k, ldp)).
ck_path ck_gemm_int8_pack_activations(const float *x, size_t k, size_t n, size_t taps, size_t channel_stride,
                                      size_t tap_stride, size_t column_stride, uint32_t *packed, size_t ldp,
                                      ck_path path);
/// As ck_gemm_bf16 with the int8 products (AVX512-VNNI for row-major C, cs 1; else portable C).
ck_path ck_gemm_int8(const uint32_t *panels, const float *scales, const int32_t *sums, size_t m, size_t k,
                     const uint32_t *packed, size_t n, size_t ldp, const float *bias, float *c, size_t ldc, size_t cs,
                     int accumulate, ck_path path);

// MARK: SEANet's elementwise passes (elu.c)

/// x[i] = x[i] > 0 ? x[i] : expm1(x[i]) in place with AVX-512, the operations of
/// Kernels.VectorELU (the same bits); returns 0 without doing anything where AVX-512 does not run
/// (or CK_PATH_SCALAR is asked): the caller's own code does it then.
int ck_elu_inplace(float *x, size_t n, ck_path path);

/// The output of a streaming transposed conv whose kernel is twice its stride S, from its
/// columns[channels · 2S][t_count] (column t: the products of input step t with kernel row k):
/// y[c, t·S + s] = (bias[c] + columns[c·2S + s, t]) + columns[c·2S + S + s, t − 1] for t ≥ 1,
/// (bias[c] + columns[c·2S + s, 0]) + partial[c, s] for t = 0, then partial[c, s] = (bias[c] +
/// columns[c·2S + S + s, t_count − 1]) − bias[c] (the overlap for the next call). y
/// [channels][t_count·S], partial [channels][S]; bias may be NULL (zeros). The sums of a col2im
/// adding the kernel rows in k order to the bias, then the overlap: the same bits.
void ck_col2im_overlap_double_stride(const float *columns, size_t channels, size_t stride, size_t t_count,
                                     const float *bias, float *partial, float *y);

#ifdef __cplusplus
}
#endif


#endif
