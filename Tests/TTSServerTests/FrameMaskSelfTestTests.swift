import Foundation
import Synchronization
import Testing
@testable import TTSServer

/// The start-up self-test of the unmasked-frame check (Transport/EventLoop+SelfTest.swift): every
/// start proves the check through libwebsockets' own reads, a start whose probe is not closed
/// with 1002 fails loudly, and the probe is no one's session.
@Suite struct FrameMaskSelfTestTests {
    final class Seen: Sendable {
        let calls = Mutex<[String]>([])
        let ids = Mutex<[UInt64]>([])
        func note(_ call: String) { calls.withLock { $0.append(call) } }
    }

    private func handlers(_ seen: Seen) -> WebSocketServer.Handlers {
        var handlers = WebSocketServer.Handlers()
        handlers.http = { _ in seen.note("http"); return .notFound }
        handlers.upgrade = { _ in seen.note("upgrade"); return nil }
        handlers.open = { connection in
            seen.note("open")
            seen.ids.withLock { $0.append(connection.id) }
        }
        handlers.message = { connection, message in seen.note("message"); _ = connection.send(message) }
        handlers.close = { _ in seen.note("close") }
        handlers.written = { _ in seen.note("written") }
        return handlers
    }

    @Test func aStartProvesTheCheckAndItsProbeReachesNoHandler() throws {
        let seen = Seen()
        let server = WebSocketServer(handlers: handlers(seen))
        try server.start()  // throws unless the probe's unmasked frame was closed with 1002
        defer { server.stop() }
        #expect(FrameMaskGuard.isActive)
        #expect(seen.calls.withLock { $0 }.isEmpty)

        // The first client's connection is still number 1, and an unmasked frame of its own closes it.
        let port = try #require(server.port)
        let client = try #require(try TestWebSocket.connect(port: port, path: "/tts/ws").client)
        try client.send(opcode: 1, Array("hi".utf8))
        #expect(try client.receive() == .message(.text("hi")))
        #expect(seen.ids.withLock { $0 } == [1])
        try client.socket.send(TestWebSocket.frame(opcode: 1, Array("bad".utf8), masked: false))
        #expect(try client.receive() == .close(code: 1002, reason: "client frames must be masked"))
    }

    @Test func aProbeThatIsNotClosedWith1002StopsTheStart() throws {
        var configuration = WebSocketServer.Configuration()
        configuration.selfTestFrame = .masked  // a masked frame: what an inactive check would let through
        let seen = Seen()
        let server = WebSocketServer(configuration: configuration, handlers: handlers(seen))
        do {
            try server.start()
            Issue.record("started without proving the check")
            server.stop()
        } catch {
            guard case .frameMaskCheckInactive(let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("1011"))
            #expect(error.description.contains("RFC 6455 5.1"))
        }
        #expect(!server.isRunning && server.port == nil)
        #expect(seen.calls.withLock { $0 }.isEmpty)
        // Nothing is left behind: the same server starts once the probe is right.
        let again = WebSocketServer(handlers: handlers(seen))
        try again.start()
        again.stop()
    }
}
