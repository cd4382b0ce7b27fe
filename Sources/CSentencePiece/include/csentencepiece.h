// Plain C API over libsentencepiece (C++). No C++ type crosses this header; every C++
// exception is caught inside the implementation. Imported by exactly one Swift file,
// Sources/PocketTTS/SentencePiece.swift.
//
// Buffer protocol (encode, decode, id_to_piece): the caller passes a buffer and its capacity;
// the function writes min(needed, capacity) elements and returns `needed`. When the return
// value exceeds the capacity, the output was truncated: call again with a buffer of at least
// that size. A negative return value is an error (see the status codes below), with a
// NUL-terminated message copied into `error` (truncated to `error_capacity`, may be NULL).
//
// Thread safety: a loaded processor is immutable; all functions taking a
// `const csp_processor *` may be called concurrently from several threads.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque loaded SentencePiece model.
typedef struct csp_processor csp_processor;

/// Error codes: negated sentencepiece::util::StatusCode values, plus one of ours.
enum {
    CSP_OK = 0,
    CSP_ERROR_UNKNOWN = -2,           // StatusCode::kUnknown, or a C++ exception
    CSP_ERROR_INVALID_ARGUMENT = -3,  // StatusCode::kInvalidArgument
    CSP_ERROR_NOT_FOUND = -5,         // StatusCode::kNotFound (missing model file)
    CSP_ERROR_OUT_OF_RANGE = -11,     // StatusCode::kOutOfRange (id outside the vocabulary)
    CSP_ERROR_INTERNAL = -13,         // StatusCode::kInternal (e.g. a broken model file)
    CSP_ERROR_OUT_OF_MEMORY = -100,   // std::bad_alloc
};

/// Loads a model file. Returns NULL on failure, with the (negative) error code stored in
/// `*error_code` (may be NULL) and the message copied into `error`.
csp_processor *csp_load(const char *path, int *error_code, char *error, size_t error_capacity);

/// Frees a processor returned by csp_load. NULL is allowed.
void csp_free(csp_processor *processor);

/// Number of pieces in the vocabulary (ids are 0 ..< size).
int32_t csp_vocab_size(const csp_processor *processor);

/// Encodes `text_length` bytes of UTF-8 text (no NUL terminator needed) into piece ids, like
/// Python's `sp.encode(text, out_type=int)`. Returns the number of ids, or a negative error.
int64_t csp_encode(const csp_processor *processor, const char *text, size_t text_length,
                   int32_t *ids, size_t ids_capacity, char *error, size_t error_capacity);

/// Decodes ids into UTF-8 text (not NUL-terminated), like Python's `sp.decode(ids)`.
/// Returns the number of bytes, or a negative error (CSP_ERROR_OUT_OF_RANGE for a bad id).
int64_t csp_decode(const csp_processor *processor, const int32_t *ids, size_t id_count,
                   char *text, size_t text_capacity, char *error, size_t error_capacity);

/// The piece (UTF-8, not NUL-terminated) of an id. Returns its byte length, or
/// CSP_ERROR_OUT_OF_RANGE when the id is outside the vocabulary.
int64_t csp_id_to_piece(const csp_processor *processor, int32_t id, char *piece, size_t piece_capacity);

/// The id of a piece (UTF-8, `piece_length` bytes); the unknown id when the piece is not in
/// the vocabulary (as sentencepiece does).
int32_t csp_piece_to_id(const csp_processor *processor, const char *piece, size_t piece_length);

/// Piece kinds; false for an id outside the vocabulary.
bool csp_is_unknown(const csp_processor *processor, int32_t id);
bool csp_is_control(const csp_processor *processor, int32_t id);
bool csp_is_byte(const csp_processor *processor, int32_t id);

#ifdef __cplusplus
}
#endif
