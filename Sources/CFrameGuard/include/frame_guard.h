// frame_guard.h: RFC 6455 requires a server to close a connection whose client sends an
// unmasked frame; libwebsockets 4.1 parses the mask bit into a private field and accepts such
// frames. This target interposes `recv` (libwebsockets reads its sockets with
// `recv(fd, buf, len, 0)`) and, for the sockets the server registers, runs a minimal frame-header
// tracker over the bytes received, flagging a socket once a frame's mask bit is 0.
#ifndef FRAME_GUARD_H
#define FRAME_GUARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The tracker of one connection's client bytes: the HTTP request, then WebSocket frames.
typedef struct frame_tracker {
    uint64_t remaining;     // payload bytes left to skip, or the extended length being read
    uint32_t header_bytes;  // bytes of the HTTP request so far
    uint8_t state;          // FRAME_TRACKER_*
    uint8_t need;           // bytes left of an extended length or a masking key
    uint8_t crlf;           // "\r\n\r\n" matched so far
    uint8_t unmasked;       // a frame had its mask bit 0 (sticky)
} frame_tracker;

enum {
    FRAME_TRACKER_REQUEST = 0,  // reading the HTTP request, up to its blank line
    FRAME_TRACKER_OPCODE,       // FIN, RSV, opcode
    FRAME_TRACKER_LENGTH,       // mask bit, 7-bit length
    FRAME_TRACKER_EXTENDED,     // 16- or 64-bit length
    FRAME_TRACKER_MASK,         // 4-byte masking key
    FRAME_TRACKER_PAYLOAD,      // payload, skipped
    FRAME_TRACKER_OFF,          // stopped: flagged, or a request longer than the bound
};

/// Longest HTTP request header tracked; a longer one stops the tracker (never a flag).
#define FRAME_TRACKER_MAX_REQUEST_BYTES 65536u

/// A tracker at the start of a connection.
void frame_tracker_init(frame_tracker *tracker);
/// Feeds bytes received on the connection, in order.
void frame_tracker_feed(frame_tracker *tracker, const uint8_t *bytes, size_t count);

/// Starts tracking `fd` from its first byte (the calling thread is the only one whose `recv`
/// calls on it are tracked: the event loop's): WebSocket frames, and every HTTP request's head
/// (request_screen.h; a declared body over `max_body` bytes is refused, 0: no bound).
/// Descriptors beyond a bound are not tracked.
void frame_guard_register(int fd, uint64_t max_body);
/// libwebsockets took a plain HTTP request on `fd`: frames are no longer tracked (an upgrade
/// would not start where the tracker expects), the requests' heads still are. Until
/// `frame_guard_http_request_answered`, a refusal of a later request waits.
void frame_guard_http_request_started(int fd);
/// The request's response is complete. 1 when a later request was refused meanwhile: its
/// answer has been sent now, and the connection must be closed.
int frame_guard_http_request_answered(int fd);
/// Stops tracking `fd`.
void frame_guard_unregister(int fd);
/// 1 if a tracked `fd` has received an unmasked frame.
int frame_guard_unmasked(int fd);
/// 1 if this `recv` is the one the process's shared libraries call (it must be exported by the
/// executable, which preempts libc's); 0 means the guard sees nothing.
int frame_guard_is_active(void);

#ifdef __cplusplus
}
#endif

#endif
