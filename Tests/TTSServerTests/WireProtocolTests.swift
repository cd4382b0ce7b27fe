import Foundation
import Testing
@testable import TTSServer

/// RFC 6455 rules on the wire, with a raw socket client.
@Suite struct WireProtocolTests {
    /// A client must mask every frame (RFC 6455 5.1, the server "MUST close the connection").
    /// libwebsockets 4.1 accepts unmasked client frames and keeps the mask bit private; the
    /// server sees it through FrameMaskGuard (an interposed `recv`).
    @Test func anUnmaskedFrameIsClosed() throws {
        let log = ServerLog()
        let server = try makeServer(log)
        defer { server.stop() }
        let client = try openClient(server)
        try client.socket.send(TestWebSocket.frame(opcode: 1, Array("hello".utf8), masked: false))
        #expect(try client.receive() == .close(code: 1002, reason: "client frames must be masked"))
        #expect(!log.snapshot.contains { if case .message = $0 { return true } else { return false } })
    }

    /// A message over the limit is read to its end and dropped, then closed with 1009: a client
    /// that takes longer to send it than libwebsockets waits for a close answer (5 s) reads the
    /// close once done, instead of a reset in the middle of its send.
    @Test func anOversizedMessageIsDrainedThenClosed() throws {
        let log = ServerLog()
        let server = try makeServer(log, maxMessageBytes: 4096)
        defer { server.stop() }
        let client = try openClient(server)
        let size = 120 * 65536
        let length: [UInt8] = (0..<8).reversed().map { UInt8((size >> ($0 * 8)) & 0xFF) }
        try client.socket.send([0x82, 0x80 | 127] + length + [0, 0, 0, 0])
        let chunk = [UInt8](repeating: 0, count: 65536)  // masked with a zero key: as is
        for _ in 0..<120 {
            try client.socket.send(chunk)
            Thread.sleep(forTimeInterval: 0.05)  // 6 s in all
        }
        try client.send(text: "after")  // not handed on: the connection is closing
        #expect(try client.receive() == .close(code: 1009, reason: "message exceeds 4096 bytes"))
        try client.sendClose()
        #expect(client.socket.waitForEOF())
        #expect(log.snapshot.allSatisfy { if case .message = $0 { return false } else { return true } })
    }

    /// Frames after an oversized one in the same read are dropped too.
    @Test func nothingIsHandedOnAfterAnOversizedMessage() throws {
        let log = ServerLog()
        let server = try makeServer(log, maxMessageBytes: 1024)
        defer { server.stop() }
        let client = try openClient(server)
        try client.socket.send(TestWebSocket.frame(opcode: 2, [UInt8](repeating: 1, count: 5000))
            + TestWebSocket.frame(opcode: 1, Array("late".utf8)))
        #expect(try client.receive() == .close(code: 1009, reason: "message exceeds 1024 bytes"))
        try client.sendClose()
        #expect(client.socket.waitForEOF())
        #expect(!log.snapshot.contains { if case .message = $0 { return true } else { return false } })
    }

    /// The loop is told which sockets have something to send: each once, oldest first.
    @Test func wakeUpsNameTheirSockets() {
        let waker = LoopWaker()  // no context attached: only the bookkeeping runs
        waker.wake(socket: 7)
        waker.wake(socket: 3)
        waker.wake(socket: 7)
        #expect(waker.takeReady() == [7, 3])
        #expect(waker.takeReady() == [])
    }
}
