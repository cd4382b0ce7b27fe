// FrameMaskGuard.swift: the one file importing CFrameGuard. RFC 6455 (5.1): a server must close
// the connection when a client frame is not masked. libwebsockets 4.1 reads the mask bit into
// a private field and accepts such frames, so CFrameGuard interposes `recv` (libwebsockets reads
// its sockets with `recv(fd, buf, len, 0)`) and tracks the frame headers of the sockets the
// server registers:
//
//   accepted (SERVER_NEW_CLIENT_INSTANTIATED)   register: the tracker reads the HTTP request up
//                                               to its blank line, then frame headers (FIN and
//                                               opcode, mask bit and length, extended length,
//                                               masking key; payloads skipped), across reads
//   a plain HTTP request first (keep-alive)     httpRequestStarted: the upgrade would not start where
//                                               the tracker expects, so its frames are not checked
//                                               (its requests still are: request_screen.h)
//   RECEIVE                                     a flagged socket is closed with 1002
//   closed                                      unregister
//
// Frames pipelined right after the upgrade request (in the same read) are tracked from the
// request's end, as libwebsockets parses them. Only the event-loop thread's reads of registered
// descriptors are tracked; every other `recv` goes straight to libc's. The server has no TLS
// (a TLS socket's bytes would be records, not frames: it must not be registered).
//
// The executable must export `recv` for the shared libwebsockets to call it instead of libc's:
// the linker does so because libwebsockets, linked in, references it (`nm -D` shows it);
// `isActive` checks it at run time, and `WebSocketServer.start` proves the whole path on every
// start, refusing to serve without it (EventLoop+SelfTest.swift; README "Unmasked client frames").
import CFrameGuard

enum FrameMaskGuard {
    /// True when libwebsockets' reads go through the guard.
    static var isActive: Bool { frame_guard_is_active() != 0 }

    /// Tracks `descriptor` from its first byte; only the calling (loop) thread's reads count.
    /// Its HTTP requests are screened too; a body declared over `maxBodyBytes` is refused (413).
    static func register(_ descriptor: Int32, maxBodyBytes: Int) { frame_guard_register(descriptor, UInt64(max(0, maxBodyBytes))) }

    /// libwebsockets took a plain HTTP request: frames are no longer checked, requests still are;
    /// a later request refused meanwhile waits for this one's answer.
    static func httpRequestStarted(_ descriptor: Int32) { frame_guard_http_request_started(descriptor) }

    /// The request's answer is complete: true when a later request was refused meanwhile (its
    /// answer is sent now; close the connection).
    static func httpRequestAnswered(_ descriptor: Int32) -> Bool { frame_guard_http_request_answered(descriptor) != 0 }

    static func unregister(_ descriptor: Int32) { frame_guard_unregister(descriptor) }

    /// True once a registered descriptor has received an unmasked frame.
    static func receivedUnmaskedFrame(_ descriptor: Int32) -> Bool { frame_guard_unmasked(descriptor) != 0 }
}

/// The frame-header tracker alone, over bytes given to it (tests).
struct FrameMaskTracker {
    private var tracker = frame_tracker()

    init() { frame_tracker_init(&tracker) }

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { frame_tracker_feed(&tracker, $0.baseAddress, $0.count) }
    }

    /// A frame had its mask bit 0.
    var sawUnmaskedFrame: Bool { tracker.unmasked != 0 }
    /// Between frames (not inside a request, a header or a payload).
    var isAtFrameStart: Bool { tracker.state == UInt8(FRAME_TRACKER_OPCODE) }
}
