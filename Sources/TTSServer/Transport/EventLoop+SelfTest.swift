// EventLoop+SelfTest.swift: the start-up self-test of the unmasked-frame check (RFC 6455 5.1,
// FrameMaskGuard.swift). That check rests on how libwebsockets 4.1 reads its sockets; if a
// libwebsockets build read them another way, or the executable stopped exporting the guard's
// `recv`, it would go quiet. So `WebSocketServer.start` proves it on every start, through the
// same path as a client: one end of a socket pair is adopted by the WebSocket vhost as if
// accepted (`lws_adopt_socket_vhost`: SERVER_NEW_CLIENT_INSTANTIATED registers it with the
// guard, lws reads it with its own `recv` calls); the other end sends an upgrade, then an
// unmasked frame, and must be answered with a close frame of code 1002. Anything else (another
// code, no close within the deadline) stops the server and `start` throws
// `.frameMaskCheckInactive`. The probe's connection never reaches the handlers, takes no
// connection id and is counted nowhere.
import CWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// What the self-test sends as its frame (tests make the check fail on purpose with a masked one).
enum FrameMaskSelfTestFrame: Sendable {
    case unmasked, masked
}

extension EventLoop {
    /// Loop thread: adopts `descriptor` as the self-test's socket.
    func adoptSelfTest(_ descriptor: Int32) {
        guard let vhost else { close(descriptor); return }
        selfTestDescriptor = descriptor
        if lws_adopt_socket_vhost(vhost, descriptor) == nil { selfTestDescriptor = -1 }  // (lws closed it)
    }

    func isSelfTest(_ wsi: OpaquePointer) -> Bool {
        selfTestDescriptor >= 0 && lws_get_socket_fd(wsi) == selfTestDescriptor
    }

    /// The probe's frame: closed with 1002 when the guard saw its mask bit 0, else with 1011.
    func onSelfTestReceive(_ key: UInt, _ probe: OpenConnection) -> Int32 {
        if !probe.connection.outbox.isClosing {
            if receivedUnmaskedFrame(key) {
                probe.connection.close(code: 1002, reason: "client frames must be masked")
            } else {
                probe.connection.close(code: 1011, reason: "the unmasked frame was not detected")
            }
        }
        return 0
    }
}

extension WebSocketServer {
    /// Runs the self-test against the running loop; throws `.frameMaskCheckInactive` unless an
    /// unmasked frame is closed with 1002 within `seconds`.
    func verifyFrameMaskCheck(_ loop: EventLoop, frame: FrameMaskSelfTestFrame, seconds: Double = 5)
        throws(WebSocketServerError) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .frameMaskCheckInactive(detail: "socketpair failed (errno \(errno))")
        }
        let client = pair[0], server = pair[1]
        defer { close(client) }
        guard post({ loop.adoptSelfTest(server) }) else {
            close(server)
            throw .frameMaskCheckInactive(detail: "the event loop is not running")
        }
        let guardDetail = FrameMaskGuard.isActive ? "" : " (the executable's recv is not the guard's: FrameMaskGuard.isActive is false)"
        var probe = SelfTestClient(descriptor: client, deadline: monotonicSeconds() + seconds)
        let upgrade = "GET /.frame-mask-self-test HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        guard probe.send(Array(upgrade.utf8)), let head = probe.readHead(), head.hasPrefix("HTTP/1.1 101") else {
            throw .frameMaskCheckInactive(detail: "the self-test's WebSocket upgrade failed" + guardDetail)
        }
        let frame: [UInt8] = switch frame {
        case .unmasked: [0x81, 0x02, 0x68, 0x69]  // "hi", mask bit 0
        case .masked: [0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]
        }
        guard probe.send(frame) else { throw .frameMaskCheckInactive(detail: "the self-test could not send its frame") }
        switch probe.readCloseCode() {
        case 1002?: return
        case let code?: throw .frameMaskCheckInactive(detail: "an unmasked client frame was answered with close code \(code), not 1002" + guardDetail)
        case nil: throw .frameMaskCheckInactive(detail: "no close frame after an unmasked client frame" + guardDetail)
        }
    }
}

/// The self-test's client end: blocking reads and writes bounded by one deadline.
private struct SelfTestClient {
    let descriptor: Int32
    let deadline: Double
    var buffer: [UInt8] = []

    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads more bytes into `buffer`; false at the end of the stream, an error or the deadline.
    mutating func fill() -> Bool {
        let left = deadline - monotonicSeconds()
        guard left > 0 else { return false }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(left * 1000) + 1) == 1 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    /// The response head (through its blank line), consumed from `buffer`.
    mutating func readHead() -> String? {
        let end: [UInt8] = [13, 10, 13, 10]
        while true {
            if let index = (0..<max(0, buffer.count - 3)).first(where: { Array(buffer[$0..<$0 + 4]) == end }) {
                let head = String(decoding: buffer[..<(index + 4)], as: UTF8.self)
                buffer.removeFirst(index + 4)
                return head
            }
            guard buffer.count < 16384, fill() else { return nil }
        }
    }

    /// The code of the first close frame the server sends (server frames are unmasked).
    mutating func readCloseCode() -> UInt16? {
        while true {
            if buffer.count >= 2 {
                let length = Int(buffer[1] & 0x7f)
                guard length < 126 else { return nil }  // the probe gets no long frame
                if buffer.count >= 2 + length {
                    if buffer[0] & 0x0f == 0x8 { return length >= 2 ? UInt16(buffer[2]) << 8 | UInt16(buffer[3]) : 1005 }
                    buffer.removeFirst(2 + length)
                    continue
                }
            }
            guard fill() else { return nil }
        }
    }
}
