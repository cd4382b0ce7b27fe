// Shared by the reduced-precision linear kernels (linear_bf16.c, linear_int8.c): where their
// prepared activations live, and how they block rows and outputs (as linear_avx512.c does).
#ifndef CKERNELS_LINEAR_DOT_H
#define CKERNELS_LINEAR_DOT_H

#include <stdlib.h>
#include "internal.h"

/// Prepared activations (rounded or quantized rows) up to this many bytes live on the stack
/// (steps: up to 8 rows of 4096 bfloat16); larger calls (prompts) take one heap block.
#define CK_DOT_STACK_BYTES (64 * 1024)

/// With more than one row tile, outputs go in blocks of about this many weight bytes, so a
/// block read from memory by the first tile is still in L2 for the others; block sizes are a
/// multiple of every weight rows per block below (8, 6, 4, 3).
#define CK_DOT_BLOCK_BYTES (256 * 1024)
#define CK_DOT_BLOCK_MULTIPLE 24

// Weight rows per block O for a tile of R = 1...8 rows: 8, 8, 6, 4, 4, 4, 3, 3 (R·O
// accumulators + O weight vectors + 1 activation vector within the 32 zmm registers). The AVX2
// code, with 16 ymm registers, tiles up to CK_AVX2_TILE_ROWS rows (its files give its O).
#define CK_AVX2_TILE_ROWS 4

/// The buffer of one call's prepared activations: all rows at once, or, when a heap block
/// cannot be had, as many rows at a time as fit the stack.
typedef struct ck_dot_buffer {
    unsigned char *data;
    size_t rows;  // rows per chunk
    void *heap;
} ck_dot_buffer;

/// Bytes between prepared rows of `row_bytes` (64-byte aligned).
static inline size_t ck_dot_stride(size_t row_bytes) { return (row_bytes + 63) / 64 * 64; }

/// The buffer for `rows` prepared rows of `row_bytes` each: `stack` when they fit, else a heap
/// block (release it with free(buffer.heap)), else chunks of rows that fit `stack`.
static inline ck_dot_buffer ck_dot_buffer_make(unsigned char *stack, size_t stack_bytes, size_t rows,
                                               size_t row_bytes) {
    ck_dot_buffer buffer = {stack, rows, NULL};
    size_t stride = ck_dot_stride(row_bytes);
    if (rows * stride <= stack_bytes) return buffer;
    buffer.heap = aligned_alloc(64, rows * stride);
    if (buffer.heap) {
        buffer.data = buffer.heap;
    } else {
        buffer.rows = stack_bytes / stride;
        if (buffer.rows == 0) abort();  // one row larger than the stack buffer and no memory left
    }
    return buffer;
}

/// Outputs per block: all of them for one row tile (of up to `tile_rows` rows), else L2-sized
/// blocks.
static inline size_t ck_dot_block(size_t rows, size_t tile_rows, size_t count, size_t weight_row_bytes) {
    if (rows <= tile_rows || weight_row_bytes == 0) return count;
    size_t fit = CK_DOT_BLOCK_BYTES / weight_row_bytes / CK_DOT_BLOCK_MULTIPLE * CK_DOT_BLOCK_MULTIPLE;
    return fit > CK_DOT_BLOCK_MULTIPLE ? fit : CK_DOT_BLOCK_MULTIPLE;
}

#endif
