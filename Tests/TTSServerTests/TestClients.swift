// Minimal blocking HTTP/1.1 and RFC 6455 clients over POSIX sockets, for loopback tests.
// Every read has a timeout, so a broken server fails a test instead of hanging it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import TTSServer

enum TestClientError: Error, Equatable {
    case connect(errno: Int32)
    case timeout
    case closedByPeer
    case malformed(String)
}

/// A TCP connection to 127.0.0.1 with a receive buffer.
final class TestSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// `receiveBufferBytes` shrinks SO_RCVBUF (a client that stops reading then stalls the server soon).
    /// `from`: the local address (e.g. "127.0.0.2": another client address on loopback).
    init(port: Int, timeoutSeconds: Int = 2, receiveBufferBytes: Int32? = nil, from local: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let local {
            var source = sockaddr_in()
            source.sin_family = sa_family_t(AF_INET)
            source.sin_addr.s_addr = inet_addr(local)
            let bound = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound != 0 {
                let code = errno
                close(fd)
                throw TestClientError.connect(errno: code)
            }
        }
        if var bytes = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if status != 0 {
            let code = errno
            close(fd)
            throw TestClientError.connect(errno: code)
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError.closedByPeer }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Receives more bytes into the buffer.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw TestClientError.closedByPeer }
        if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? TestClientError.timeout : .closedByPeer }
        buffer += chunk[..<n]
    }

    func read(count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// Bytes up to and including `delimiter`.
    func read(through delimiter: [UInt8]) throws -> [UInt8] {
        while true {
            if let range = buffer.firstRange(of: delimiter) { return try read(count: range.upperBound) }
            try fill()
        }
    }

    /// True when the peer closes the connection (EOF) before the timeout; buffered bytes are dropped.
    func waitForEOF() -> Bool {
        buffer.removeAll()
        while true {
            do { try fill(); buffer.removeAll() } catch { return error as? TestClientError == .closedByPeer }
        }
    }
}

struct TestHTTPResponse {
    var version: String  // "HTTP/1.1"
    var status: Int
    var headers: [String: String]  // lower-cased names
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Reads a status line and headers, then Content-Length bytes of body.
func readHTTPResponse(from socket: TestSocket) throws -> TestHTTPResponse {
    let head = String(decoding: try socket.read(through: Array("\r\n\r\n".utf8)), as: UTF8.self)
    let lines = head.components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestClientError.malformed(lines[0]) }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() where line.contains(":") {
        let parts = line.split(separator: ":", maxSplits: 1)
        headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    }
    let length = Int(headers["content-length"] ?? "0") ?? 0
    return TestHTTPResponse(version: String(statusParts[0]), status: status, headers: headers, body: status == 101 ? [] : try socket.read(count: length))
}

func httpRequest(port: Int, method: String = "GET", path: String, headers: [String: String] = [:],
                 body: [UInt8] = []) throws -> TestHTTPResponse {
    let socket = try TestSocket(port: port)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    if !body.isEmpty { request += "Content-Length: \(body.count)\r\n" }
    try socket.send(Array((request + "\r\n").utf8) + body)
    return try readHTTPResponse(from: socket)
}

/// An RFC 6455 client: masked frames out, unmasked frames in.
final class TestWebSocket {
    struct Frame {
        var fin: Bool
        var opcode: UInt8  // 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong
        var payload: [UInt8]
    }

    let socket: TestSocket

    /// Performs the handshake; returns the server's answer and, on 101, the client.
    static func connect(port: Int, path: String, headers: [String: String] = [:], receiveBufferBytes: Int32? = nil,
                        timeoutSeconds: Int = 2, from local: String? = nil) throws -> (response: TestHTTPResponse, client: TestWebSocket?) {
        let socket = try TestSocket(port: port, timeoutSeconds: timeoutSeconds, receiveBufferBytes: receiveBufferBytes, from: local)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try socket.send(request + "\r\n")
        let response = try readHTTPResponse(from: socket)
        guard response.status == 101 else { return (response, nil) }
        guard response.headers["sec-websocket-accept"] != nil else { throw TestClientError.malformed("no accept") }
        return (response, TestWebSocket(socket: socket))
    }

    init(socket: TestSocket) { self.socket = socket }

    func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) throws {
        try socket.send(Self.frame(opcode: opcode, payload, fin: fin))
    }

    /// One client frame; `masked: false` breaks RFC 6455 (a client must mask).
    static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) -> [UInt8] {
        let maskBit: UInt8 = masked ? 0x80 : 0
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        switch payload.count {
        case ..<126: frame.append(maskBit | UInt8(payload.count))
        case ..<65536: frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: frame += [maskBit | 127] + (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return frame + payload }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    /// Text frames written with one `send` call (they arrive in as few reads as TCP allows).
    func sendBurst(_ texts: [String]) throws {
        try socket.send(texts.flatMap { Self.frame(opcode: 1, Array($0.utf8)) })
    }

    func send(text: String) throws { try send(opcode: 1, Array(text.utf8)) }
    func send(binary: [UInt8]) throws { try send(opcode: 2, binary) }

    func receiveFrame() throws -> Frame {
        let head = try socket.read(count: 2)
        guard head[1] & 0x80 == 0 else { throw TestClientError.malformed("masked server frame") }
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            length = try socket.read(count: 2).reduce(0) { $0 << 8 | Int($1) }
        } else if length == 127 {
            length = try socket.read(count: 8).reduce(0) { $0 << 8 | Int($1) }
        }
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: try socket.read(count: length))
    }

    /// The next data message (continuations joined, pings skipped), or the close frame's payload.
    func receive() throws -> Received {
        var message: Frame?
        while true {
            let frame = try receiveFrame()
            switch frame.opcode {
            case 8:
                let code = frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : 0
                return .close(code: code, reason: String(decoding: frame.payload.dropFirst(2), as: UTF8.self))
            case 9, 10: continue
            case 0: message?.payload += frame.payload
            default: message = frame
            }
            if frame.fin, let message {
                return message.opcode == 1
                    ? .message(.text(String(decoding: message.payload, as: UTF8.self))) : .message(.binary(message.payload))
            }
        }
    }

    enum Received: Equatable {
        case message(WebSocketMessage)
        case close(code: UInt16, reason: String)
    }

    /// Answers a close with a close.
    func sendClose(code: UInt16 = 1000) throws {
        try send(opcode: 8, [UInt8(code >> 8), UInt8(code & 0xFF)])
    }
}
