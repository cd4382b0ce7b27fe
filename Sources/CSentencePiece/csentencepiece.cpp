// extern "C" wrapper over sentencepiece::SentencePieceProcessor. See include/csentencepiece.h.
#include "csentencepiece.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct csp_processor {
    sentencepiece::SentencePieceProcessor sp;
};

namespace {

void copy_message(const char *message, char *error, size_t error_capacity) {
    if (error == nullptr || error_capacity == 0) return;
    const size_t n = std::min(std::strlen(message), error_capacity - 1);
    std::memcpy(error, message, n);
    error[n] = '\0';
}

// Copies min(size, capacity) bytes of `s` (the buffer may be NULL when capacity is 0).
void copy_bytes(const std::string &s, char *buffer, size_t capacity) {
    const size_t n = std::min(s.size(), capacity);
    if (n > 0) std::memcpy(buffer, s.data(), n);
}

int64_t fail(const sentencepiece::util::Status &status, char *error, size_t error_capacity) {
    copy_message(status.ToString().c_str(), error, error_capacity);
    const int code = static_cast<int>(status.code());
    return code > 0 ? -static_cast<int64_t>(code) : CSP_ERROR_UNKNOWN;
}

// Runs `body`, turning any C++ exception into an error code and message.
template <typename Body>
int64_t guarded(char *error, size_t error_capacity, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        copy_message("out of memory", error, error_capacity);
        return CSP_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        copy_message(e.what(), error, error_capacity);
        return CSP_ERROR_UNKNOWN;
    } catch (...) {
        copy_message("unknown C++ exception", error, error_capacity);
        return CSP_ERROR_UNKNOWN;
    }
}

bool in_range(const csp_processor *p, int32_t id) {
    return id >= 0 && id < p->sp.GetPieceSize();
}

}  // namespace

extern "C" {

csp_processor *csp_load(const char *path, int *error_code, char *error, size_t error_capacity) {
    csp_processor *result = nullptr;
    const int64_t code = guarded(error, error_capacity, [&]() -> int64_t {
        auto processor = std::make_unique<csp_processor>();
        const auto status = processor->sp.Load(path);
        if (!status.ok()) return fail(status, error, error_capacity);
        result = processor.release();
        return CSP_OK;
    });
    if (error_code != nullptr) *error_code = static_cast<int>(code);
    return result;
}

void csp_free(csp_processor *processor) { delete processor; }

int32_t csp_vocab_size(const csp_processor *processor) { return processor->sp.GetPieceSize(); }

int64_t csp_encode(const csp_processor *processor, const char *text, size_t text_length,
                   int32_t *ids, size_t ids_capacity, char *error, size_t error_capacity) {
    return guarded(error, error_capacity, [&]() -> int64_t {
        std::vector<int> out;
        const auto status = processor->sp.Encode(absl::string_view(text, text_length), &out);
        if (!status.ok()) return fail(status, error, error_capacity);
        const size_t n = std::min(out.size(), ids_capacity);
        for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(out[i]);
        return static_cast<int64_t>(out.size());
    });
}

int64_t csp_decode(const csp_processor *processor, const int32_t *ids, size_t id_count,
                   char *text, size_t text_capacity, char *error, size_t error_capacity) {
    return guarded(error, error_capacity, [&]() -> int64_t {
        std::vector<int> in(ids, ids + id_count);
        for (const int id : in) {
            if (!in_range(processor, id)) {
                const std::string message = "piece id " + std::to_string(id) + " is out of range";
                copy_message(message.c_str(), error, error_capacity);
                return CSP_ERROR_OUT_OF_RANGE;
            }
        }
        std::string out;
        const auto status = processor->sp.Decode(in, &out);
        if (!status.ok()) return fail(status, error, error_capacity);
        copy_bytes(out, text, text_capacity);
        return static_cast<int64_t>(out.size());
    });
}

int64_t csp_id_to_piece(const csp_processor *processor, int32_t id, char *piece, size_t piece_capacity) {
    return guarded(nullptr, 0, [&]() -> int64_t {
        // IdToPiece does not check the range itself.
        if (!in_range(processor, id)) return CSP_ERROR_OUT_OF_RANGE;
        const std::string &s = processor->sp.IdToPiece(id);
        copy_bytes(s, piece, piece_capacity);
        return static_cast<int64_t>(s.size());
    });
}

int32_t csp_piece_to_id(const csp_processor *processor, const char *piece, size_t piece_length) {
    const int64_t id = guarded(nullptr, 0, [&]() -> int64_t {
        return processor->sp.PieceToId(absl::string_view(piece, piece_length));
    });
    return id >= 0 ? static_cast<int32_t>(id) : processor->sp.unk_id();
}

bool csp_is_unknown(const csp_processor *processor, int32_t id) {
    return in_range(processor, id) && processor->sp.IsUnknown(id);
}

bool csp_is_control(const csp_processor *processor, int32_t id) {
    return in_range(processor, id) && processor->sp.IsControl(id);
}

bool csp_is_byte(const csp_processor *processor, int32_t id) {
    return in_range(processor, id) && processor->sp.IsByte(id);
}

}  // extern "C"
