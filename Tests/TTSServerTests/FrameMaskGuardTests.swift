import Foundation
import Testing
@testable import TTSServer

/// The unmasked-frame guard (FrameMaskGuard.swift): the frame-header tracker over byte streams
/// cut everywhere, and the server closing with 1002 on an unmasked frame, never on masked ones.
@Suite struct FrameMaskGuardTests {
    static let request = Array("GET /tts/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n".utf8)

    /// Masked frames of every length class (7-bit, 16-bit, 64-bit; the bounds on both sides),
    /// a fragmented message with a ping between its fragments, and a close.
    static func maskedFrames() -> (bytes: [UInt8], frameStarts: [Int]) {
        var generator = SystemRandomNumberGenerator()
        func payload(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        var frames: [[UInt8]] = [0, 1, 125, 126, 127, 65535, 65536, 70000].map { TestWebSocket.frame(opcode: 2, payload($0)) }
        frames += [
            TestWebSocket.frame(opcode: 1, Array("\r\n\r\nfrag".utf8), fin: false),
            TestWebSocket.frame(opcode: 9, payload(4)),
            TestWebSocket.frame(opcode: 0, payload(300), fin: false),
            TestWebSocket.frame(opcode: 0, [], fin: true),
            TestWebSocket.frame(opcode: 8, [0x03, 0xE8]),
        ]
        var starts: [Int] = []
        var bytes: [UInt8] = []
        for frame in frames {
            starts.append(bytes.count)
            bytes += frame
        }
        return (bytes, starts)
    }

    @Test func maskedFramesCutAnywhereAreNeverFlagged() {
        let (frames, starts) = Self.maskedFrames()
        let stream = Self.request + frames
        // Every cut in the request and within 16 bytes of each frame's start (where the headers are).
        var cuts = Set(0...Self.request.count)
        for start in starts {
            for offset in -16...16 { cuts.insert(min(max(0, Self.request.count + start + offset), stream.count)) }
        }
        for cut in cuts.sorted() {
            var tracker = FrameMaskTracker()
            tracker.feed(stream[..<cut])
            tracker.feed(stream[cut...])
            #expect(!tracker.sawUnmaskedFrame, "cut at \(cut)")
            #expect(tracker.isAtFrameStart, "cut at \(cut)")
        }
        // One byte per read, and random reads.
        var bytewise = FrameMaskTracker()
        for i in stream.indices { bytewise.feed(stream[i...i]) }
        #expect(!bytewise.sawUnmaskedFrame && bytewise.isAtFrameStart)
        for _ in 0..<50 {
            var tracker = FrameMaskTracker()
            var i = 0
            while i < stream.count {
                let n = Int.random(in: 1...700)
                tracker.feed(stream[i..<min(stream.count, i + n)])
                i += n
            }
            #expect(!tracker.sawUnmaskedFrame && tracker.isAtFrameStart)
        }
    }

    @Test func anUnmaskedFrameIsFlaggedWhereverTheReadsAreCut() {
        let (frames, _) = Self.maskedFrames()
        for unmasked in [TestWebSocket.frame(opcode: 1, Array("hi".utf8), masked: false),
                         TestWebSocket.frame(opcode: 2, [UInt8](repeating: 7, count: 300), masked: false),
                         TestWebSocket.frame(opcode: 9, [], masked: false)] {
            let stream = Self.request + frames + unmasked
            for cut in (stream.count - unmasked.count - 8)...stream.count {
                var tracker = FrameMaskTracker()
                tracker.feed(stream[..<cut])
                tracker.feed(stream[cut...])
                #expect(tracker.sawUnmaskedFrame, "cut at \(cut)")
            }
        }
        // A request longer than the bound stops the tracker: nothing is flagged after it.
        var tracker = FrameMaskTracker()
        tracker.feed(ArraySlice(repeating: UInt8(ascii: "a"), count: 70000) + Array("\r\n\r\n".utf8)
            + TestWebSocket.frame(opcode: 1, [1], masked: false))
        #expect(!tracker.sawUnmaskedFrame)
    }

    @Test func theServersReadsGoThroughTheGuard() {
        #expect(FrameMaskGuard.isActive)  // the test runner exports `recv`, as the executable does
    }

    /// Frames written in the same write as the upgrade request, then masked frames of every size
    /// class cut into random writes: every message is echoed; an unmasked frame closes with 1002.
    @Test func pipelinedAndSplitMaskedFramesAreEchoedAnUnmaskedOneCloses() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let socket = try TestSocket(port: try #require(server.port), timeoutSeconds: 10)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let upgrade = "GET /tts/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer secret\r\n\r\n"
        try socket.send(Array(upgrade.utf8) + TestWebSocket.frame(opcode: 1, Array("pipelined".utf8)))
        #expect(try readHTTPResponse(from: socket).status == 101)
        let client = TestWebSocket(socket: socket)
        #expect(try client.receive() == .message(.text("pipelined")))

        for round in 0..<3 {
            var expected: [WebSocketMessage] = []
            var bytes: [UInt8] = []
            for size in [0, 125, 126, 65535, 65536, 100_000].shuffled() {
                let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
                bytes += TestWebSocket.frame(opcode: 2, payload)
                expected.append(.binary(payload))
            }
            // A fragmented text message with a ping in the middle.
            bytes += TestWebSocket.frame(opcode: 1, Array("frag".utf8), fin: false) + TestWebSocket.frame(opcode: 9, [1, 2])
                + TestWebSocket.frame(opcode: 0, Array("mented".utf8))
            expected.append(.text("fragmented"))
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...(Bool.random() ? 7 : 4000))
                try socket.send(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            for message in expected { #expect(try client.receive() == .message(message)) }
        }
        try socket.send(TestWebSocket.frame(opcode: 1, Array("bad".utf8), masked: false))
        #expect(try client.receive() == .close(code: 1002, reason: "client frames must be masked"))
    }

    /// After a plain request on the same connection the guard stands aside: no false close.
    @Test func anUpgradeAfterAKeepAliveRequestIsNotMisread() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let socket = try TestSocket(port: try #require(server.port), timeoutSeconds: 10)
        try socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try readHTTPResponse(from: socket).status == 200)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try socket.send("GET /tts/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer secret\r\n\r\n")
        let response = try readHTTPResponse(from: socket)
        try #require(response.status == 101)
        let client = TestWebSocket(socket: socket)
        for size in [0, 126, 70000] {
            let payload = [UInt8](repeating: 0x80, count: size)
            try client.send(binary: payload)
            #expect(try client.receive() == .message(.binary(payload)))
        }
    }
}
