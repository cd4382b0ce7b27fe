import Foundation
import Testing
@testable import TTSServer

/// Every session counts alike against `max_sessions` and `max_sessions_per_address`, whatever
/// carries it: a WebSocket, a raw TCP connection, a streamed HTTP response (one admission check).
@Suite struct SessionAdmissionTests {
    /// A fake engine slow enough that an HTTP speech of many sentences is still streaming
    /// while the test opens other sessions (24 sentences of 3 frames at 0.1 s: about 7 s).
    private static func slowEngine() -> FakeSpeechEngine { FakeSpeechEngine(frameDelay: 0.1) }

    /// An OpenAI speech request in progress: its head and first chunk read, the rest not yet made.
    private static func openSpeech(_ port: Int) throws -> HTTPTestClient {
        let client = try HTTPTestClient(port: port)
        let input = Array(repeating: "The river was calm today.", count: 24).joined(separator: " ")
        let body = Array(#"{"model":"tts-1","input":"\#(input)","voice":"alba","response_format":"pcm"}"#.utf8)
        let head = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: body)
        #expect(head.status == 200)
        _ = try #require(try client.nextChunk())
        return client
    }

    /// A new WebSocket session is refused at capacity (`at_capacity`, then a 1013 close).
    private static func expectWebSocketRefused(_ port: Int, reason: String) throws {
        let client = try TTSTestClient.connect(port: port)
        guard case .error("at_capacity", _) = try client.next() else { Issue.record("no at_capacity"); return }
        #expect(try client.next() == .close(code: 1013, reason: reason))
    }

    /// A new HTTP speech request is refused at capacity (503 with a retry hint).
    private static func expectSpeechRefused(_ port: Int) throws {
        let body = Array(#"{"model":"tts-1","input":"Hi.","voice":"alba"}"#.utf8)
        let response = try HTTPTestClient(port: port).send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: body)
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] != nil)
    }

    /// (max_sessions, max_sessions_per_address, the refusal's reason): one HTTP speech and one
    /// WebSocket open, a third session of either kind is refused, by the global and by the per-address cap.
    @Test(arguments: [(2, 0, "at capacity: 2 sessions open"), (10, 2, "at capacity: 2 sessions open from this address")])
    func webSocketAndHTTPSessionsCountAlike(maxSessions: Int, perAddress: Int, reason: String) throws {
        let service = try startService(engine: Self.slowEngine()) { $0.maxSessions = maxSessions; $0.maxSessionsPerAddress = perAddress }
        defer { service.stop() }
        let port = try #require(service.port)
        let speech = try Self.openSpeech(port)
        let socket = try TTSTestClient.connect(port: port)
        try socket.send("{\"type\":\"ping\"}")
        #expect(try socket.next() == .pong)
        try Self.expectWebSocketRefused(port, reason: reason)
        try Self.expectSpeechRefused(port)
        _ = speech
    }
}
