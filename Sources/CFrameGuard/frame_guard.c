// frame_guard.c: see include/frame_guard.h.
#define _GNU_SOURCE
#include "frame_guard.h"
#include "request_screen.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

void frame_tracker_init(frame_tracker *tracker) {
    memset(tracker, 0, sizeof *tracker);
    tracker->state = FRAME_TRACKER_REQUEST;
}

void frame_tracker_feed(frame_tracker *t, const uint8_t *bytes, size_t count) {
    size_t i = 0;
    while (i < count) {
        uint8_t c = bytes[i];
        switch (t->state) {
        case FRAME_TRACKER_REQUEST:
            // The request's blank line: "\r\n\r\n" (the upgrade request has no body).
            if (c == '\r') t->crlf = t->crlf == 2 ? 3 : 1;
            else if (c == '\n') t->crlf = t->crlf == 1 ? 2 : t->crlf == 3 ? 4 : 0;
            else t->crlf = 0;
            if (t->crlf == 4) t->state = FRAME_TRACKER_OPCODE;
            else if (++t->header_bytes > FRAME_TRACKER_MAX_REQUEST_BYTES) t->state = FRAME_TRACKER_OFF;
            i++;
            break;
        case FRAME_TRACKER_OPCODE:
            t->state = FRAME_TRACKER_LENGTH;
            i++;
            break;
        case FRAME_TRACKER_LENGTH:
            if (!(c & 0x80)) {
                t->unmasked = 1;
                t->state = FRAME_TRACKER_OFF;
                return;
            }
            t->remaining = c & 0x7f;
            if (t->remaining >= 126) {
                t->need = t->remaining == 126 ? 2 : 8;
                t->remaining = 0;
                t->state = FRAME_TRACKER_EXTENDED;
            } else {
                t->need = 4;
                t->state = FRAME_TRACKER_MASK;
            }
            i++;
            break;
        case FRAME_TRACKER_EXTENDED:
            t->remaining = (t->remaining << 8) | c;
            if (--t->need == 0) {
                t->need = 4;
                t->state = FRAME_TRACKER_MASK;
            }
            i++;
            break;
        case FRAME_TRACKER_MASK:
            if (--t->need == 0) t->state = t->remaining ? FRAME_TRACKER_PAYLOAD : FRAME_TRACKER_OPCODE;
            i++;
            break;
        case FRAME_TRACKER_PAYLOAD: {
            size_t left = count - i;
            size_t skip = t->remaining < left ? (size_t)t->remaining : left;
            t->remaining -= skip;
            i += skip;
            if (t->remaining == 0) t->state = FRAME_TRACKER_OPCODE;
            break;
        }
        default:  // FRAME_TRACKER_OFF
            return;
        }
    }
}

// MARK: Registered sockets

#define FRAME_GUARD_MAX_FDS 65536

// One slot per descriptor. `owner` (the registering thread, 0 when free) is the only field
// other threads read; the tracker is touched by the owner thread only.
typedef struct {
    _Atomic(unsigned long) owner;
    frame_tracker tracker;
    request_screen screen;  // each request's head, before libwebsockets sees it
    int refused;            // answered by the screen: what the client sends is read and dropped
    int busy;               // libwebsockets is answering a request (frame_guard_http_request_started)
    int pending;            // a refusal waits for the answer to the requests before it
} frame_guard_slot;

static frame_guard_slot slots[FRAME_GUARD_MAX_FDS];

static unsigned long current_thread(void) { return (unsigned long)pthread_self(); }

void frame_guard_register(int fd, uint64_t max_body) {
    if (fd < 0 || fd >= FRAME_GUARD_MAX_FDS) return;
    atomic_store_explicit(&slots[fd].owner, 0, memory_order_release);
    frame_tracker_init(&slots[fd].tracker);
    request_screen_init(&slots[fd].screen, max_body);
    slots[fd].refused = 0;
    slots[fd].busy = 0;
    slots[fd].pending = 0;
    atomic_store_explicit(&slots[fd].owner, current_thread(), memory_order_release);
}

static int owned(int fd) {
    return fd >= 0 && fd < FRAME_GUARD_MAX_FDS && atomic_load_explicit(&slots[fd].owner, memory_order_acquire) == current_thread();
}

/// Sends the screen's verdict and ends the connection's sending side.
static void send_refusal(int fd, frame_guard_slot *slot) {
    char response[512];
    size_t length = request_screen_response(&slot->screen, response, sizeof response);
    if (length) (void)send(fd, response, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
}

void frame_guard_http_request_started(int fd) {
    if (!owned(fd)) return;
    slots[fd].tracker.state = FRAME_TRACKER_OFF;
    slots[fd].busy = 1;
}

int frame_guard_http_request_answered(int fd) {
    if (!owned(fd)) return 0;
    frame_guard_slot *slot = &slots[fd];
    slot->busy = 0;
    if (!slot->pending) return 0;
    slot->pending = 0;
    send_refusal(fd, slot);
    return 1;
}

void frame_guard_unregister(int fd) {
    if (fd < 0 || fd >= FRAME_GUARD_MAX_FDS) return;
    atomic_store_explicit(&slots[fd].owner, 0, memory_order_release);
}

int frame_guard_unmasked(int fd) {
    if (fd < 0 || fd >= FRAME_GUARD_MAX_FDS) return 0;
    if (atomic_load_explicit(&slots[fd].owner, memory_order_acquire) != current_thread()) return 0;
    return slots[fd].tracker.unmasked;
}

// MARK: The interposed recv

typedef ssize_t (*recv_function)(int, void *, size_t, int);
static _Atomic(recv_function) libc_recv;

// Under ThreadSanitizer or AddressSanitizer their runtime (linked into the executable) defines
// `recv` weakly, which this one replaces: calling their interceptor keeps what they check.
extern ssize_t __interceptor_recv(int, void *, size_t, int) __attribute__((weak));

ssize_t recv(int fd, void *buffer, size_t length, int flags) {
    recv_function real = atomic_load_explicit(&libc_recv, memory_order_acquire);
    if (!real) {
        real = __interceptor_recv ? __interceptor_recv : (recv_function)dlsym(RTLD_NEXT, "recv");
        atomic_store_explicit(&libc_recv, real, memory_order_release);
    }
    // recv is recvfrom without an address (POSIX): the fallback if the lookup ever failed.
    ssize_t received = real ? real(fd, buffer, length, flags) : recvfrom(fd, buffer, length, flags, NULL, NULL);
    // MSG_PEEK and other flags do not consume bytes: only plain reads are tracked.
    if (received > 0 && flags == 0 && fd >= 0 && fd < FRAME_GUARD_MAX_FDS &&
        atomic_load_explicit(&slots[fd].owner, memory_order_acquire) == current_thread()) {
        frame_guard_slot *slot = &slots[fd];
        uint64_t before = slot->screen.fed;
        if (!slot->refused && slot->screen.phase != REQUEST_SCREEN_DONE &&
            request_screen_feed(&slot->screen, (const uint8_t *)buffer, (size_t)received)) {
            // Answered here; libwebsockets sees nothing more until the client closes (its own
            // timeout closes a client that never does). Requests before the refused one (pipelined
            // in this read, or still being answered) are answered first: libwebsockets gets their
            // bytes, and the refusal waits for their end (frame_guard_http_request_answered).
            slot->refused = 1;
            uint64_t start = slot->screen.request_start;
            if (start > before || slot->busy) {
                slot->pending = 1;
                if (start > before) {
                    received = (ssize_t)(start - before);
                    frame_tracker_feed(&slot->tracker, (const uint8_t *)buffer, (size_t)received);
                    return received;
                }
            } else {
                send_refusal(fd, slot);
            }
        }
        if (slot->refused) {
            errno = EAGAIN;  // the bytes are dropped
            return -1;
        }
        frame_tracker_feed(&slot->tracker, (const uint8_t *)buffer, (size_t)received);
    }
    return received;
}

int frame_guard_is_active(void) {
    return dlsym(RTLD_DEFAULT, "recv") == (void *)&recv;
}
