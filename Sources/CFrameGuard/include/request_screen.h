// request_screen.h: screens the head of every HTTP request on a connection before
// libwebsockets parses it. libwebsockets 4.1 answers some malformed requests with an HTML 403
// page (bad percent-encoding, unknown methods, an HTTP/2 preface), drops others without a word
// (a request line or headers beyond its header buffer), and holds a CONNECT open in raw mode.
// The screen sees the bytes first (frame_guard.c's `recv`), and on the first violation it
// answers with a JSON error itself (`request_screen_response`) and the connection is closed.
// It follows each request's body (Content-Length bytes, or the chunks of a chunked body) to
// where the next request of a keep-alive connection starts, and screens that one too. A body
// is declared (411 without Content-Length or chunked on POST, PUT and PATCH; 400 for a bad or
// doubled length; 413 beyond `max_body`, at once). After an `Upgrade` request (WebSocket
// frames follow) or a chunk framing it cannot follow, it stops looking.
#ifndef REQUEST_SCREEN_H
#define REQUEST_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Longest request target (path and query), in bytes: longer is 414.
#define REQUEST_SCREEN_MAX_TARGET 4096u
/// Longest request head (request line and headers): longer is 431. libwebsockets' header
/// buffer (`max_http_header_data`) must hold a head this long.
#define REQUEST_SCREEN_MAX_HEAD 12288u
/// Longest header line: longer is 431.
#define REQUEST_SCREEN_MAX_HEADER_LINE 8192u
/// Most header lines: more is 431.
#define REQUEST_SCREEN_MAX_HEADERS 100u

typedef struct request_screen {
    uint32_t head_bytes;    // bytes of the head so far
    uint32_t line_bytes;    // bytes of the current header line
    uint32_t target_bytes;  // bytes of the request target so far
    uint16_t headers;       // header lines so far
    uint16_t status;        // 0, or the HTTP status of the verdict
    uint8_t phase;          // REQUEST_SCREEN_*
    uint8_t method_length;
    uint8_t escape;         // hex digits of a %-escape still expected (0: none)
    uint8_t escape_zero;    // the escape's first digit was 0
    uint8_t crlf;           // "\r\n\r\n" matched so far
    uint8_t version_length;
    uint8_t has_length;     // a Content-Length header was seen
    uint8_t chunked;        // Transfer-Encoding: chunked
    uint8_t upgrade;        // an Upgrade header: the connection leaves HTTP after this head
    uint8_t captured;       // bytes of the current header line in `line`
    char method[16];
    char version[10];
    char line[96];          // the current header line's start (name and value)
    uint64_t length;        // the Content-Length given
    uint64_t body_left;     // body bytes (or chunk bytes) still to skip
    uint64_t max_body;      // a declared body longer than this is 413 (0: no bound)
    uint32_t requests;      // requests whose head has passed, on this connection
    uint64_t fed;           // bytes fed on this connection
    uint64_t request_start; // `fed` where the current request began
    const char *message;    // why, when `status` is set (a static string)
} request_screen;

enum {
    REQUEST_SCREEN_METHOD = 0,
    REQUEST_SCREEN_TARGET,
    REQUEST_SCREEN_VERSION,
    REQUEST_SCREEN_HEADERS,
    REQUEST_SCREEN_BODY,        // Content-Length bytes, skipped
    REQUEST_SCREEN_CHUNK_SIZE,  // a chunk's size line (hex digits, extensions, CRLF)
    REQUEST_SCREEN_CHUNK_DATA,  // a chunk's bytes, skipped
    REQUEST_SCREEN_CHUNK_END,   // the CRLF after a chunk's bytes
    REQUEST_SCREEN_TRAILER,     // trailer lines after the last chunk, up to a blank line
    REQUEST_SCREEN_DONE,  // a verdict was given, or the connection left HTTP: nothing more is looked at
};

/// A screen at the start of a connection; a body declared over `max_body` bytes is 413 (0: none).
void request_screen_init(request_screen *screen, uint64_t max_body);
/// Feeds the connection's bytes in order; returns the verdict's status once one is given (0: none).
int request_screen_feed(request_screen *screen, const uint8_t *bytes, size_t count);
/// Feeds bytes as `request_screen_feed` does; with `stop_at_end`, stops right after the end of
/// a request (its head and body). Returns the bytes fed.
size_t request_screen_feed_request(request_screen *screen, const uint8_t *bytes, size_t count, int stop_at_end);
/// The whole HTTP/1.1 response for a verdict (JSON body, `Connection: close`), written to
/// `buffer`; its length, or 0 if it does not fit.
size_t request_screen_response(const request_screen *screen, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
