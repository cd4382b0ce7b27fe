import Foundation
import Testing
@testable import TTSServer
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client of the Wyoming port (tests only): events out, events in.
final class WyomingTestClient {
    let descriptor: Int32
    private var framer = WyomingFramer(limits: WyomingLimits(maxPayloadBytes: 1 << 20))
    private var ready: [WebSocketMessage] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard status == 0 else {
            close(descriptor)
            throw TestClientError.malformed("connect: errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ type: String, _ data: [String: JSONValue] = [:]) {
        send(WyomingEvent(type: type, data: data).encoded)
    }

    /// The next event; nil once the server has closed the connection.
    func next() throws -> WyomingEvent? {
        while ready.isEmpty {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return nil }
            guard count > 0 else { throw TestClientError.malformed("recv: errno \(errno)") }
            ready += buffer[..<count].withUnsafeBytes { framer.append($0) }
        }
        guard case .binary(let bytes) = ready.removeFirst() else { throw TestClientError.malformed("unsplittable stream") }
        return try WyomingEvent.decode(bytes, limits: WyomingLimits(maxPayloadBytes: 1 << 20))
    }

    /// Events until one of type `last` (included).
    func events(until last: String) throws -> [WyomingEvent] {
        var events: [WyomingEvent] = []
        while let event = try next() {
            events.append(event)
            if event.type == last { return events }
        }
        throw TestClientError.malformed("closed before \(last): \(events.map(\.type))")
    }
}

/// A port free now (bound, read back, released).
func freeTCPPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length)
            return getsockname(descriptor, pointer, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The Wyoming port end to end: the raw TCP listener in the service's loop, the fake engine.
@Suite(.serialized) struct WyomingServiceTests {
    func start(_ engine: FakeSpeechEngine, configure: (inout ServerConfig) -> Void = { _ in }) throws -> TTSService {
        try startService(engine: engine) {
            $0.wyomingPort = freeTCPPort()
            configure(&$0)
        }
    }

    @Test func describePingAndSynthesizeOnOneConnection() throws {
        let service = try start(FakeSpeechEngine())
        defer { service.stop() }
        let client = try WyomingTestClient(port: try #require(service.wyomingPort))
        client.send("describe")
        #expect(try client.next()?.type == "info")
        client.send("ping", ["text": .string("hi")])
        #expect(try client.next() == WyomingEvent(type: "pong", data: ["text": .string("hi")]))
        client.send("synthesize", ["text": .string("Hello there."), "voice": .object(["name": .string("marius")])])
        let audio = try client.events(until: "audio-stop")
        #expect(audio.map(\.type) == ["audio-start", "audio-chunk", "audio-chunk", "audio-chunk", "audio-stop"])
        #expect(audio[1].payload.count == 3840 && audio[0].data["rate"] == .integer(24000))
        // An unknown voice: an error, and the connection goes on.
        client.send("synthesize", ["text": .string("Hi."), "voice": .object(["name": .string("nobody")])])
        #expect(try client.next()?.data["code"] == .string("unknown_voice"))
        client.send("synthesize-start")
        client.send("synthesize-chunk", ["text": .string("One. ")])
        client.send("synthesize-chunk", ["text": .string("Two.")])
        client.send("synthesize", ["text": .string("One. Two.")])
        client.send("synthesize-stop")
        let streamed = try client.events(until: "synthesize-stopped")
        let chunks = streamed.filter { $0.type == "audio-chunk" }.count  // 3 per piece spoken (the fake engine)
        #expect(chunks >= 3 && chunks % 3 == 0 && streamed.first?.type == "audio-start")
        #expect(streamed.dropLast().last?.type == "audio-stop")
    }

    @Test func atCapacityIsAnErrorEvent() throws {
        let service = try start(FakeSpeechEngine(maxTurns: 0))
        defer { service.stop() }
        let client = try WyomingTestClient(port: try #require(service.wyomingPort))
        client.send("synthesize", ["text": .string("Hello.")])
        #expect(try client.next()?.data["code"] == .string("at_capacity"))
        client.send("ping")
        #expect(try client.next()?.type == "pong")
    }

    @Test func aStreamThatCannotBeSplitIsClosedAfterAnError() throws {
        let service = try start(FakeSpeechEngine())
        defer { service.stop() }
        let client = try WyomingTestClient(port: try #require(service.wyomingPort))
        client.send(Array("this is not an event\n".utf8))
        #expect(try client.next()?.data["code"] == .string("parse_error"))
        #expect(try client.next() == nil)
        #expect(eventually { metricValue(service.metrics.render(), "pocket_tts_sessions{protocol=\"wyoming\"}") == 0 })
    }

    @Test func zeroTurnsTheWyomingPortOff() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.wyomingPort = 0 }
        defer { service.stop() }
        #expect(service.wyomingPort == nil)
    }
}
