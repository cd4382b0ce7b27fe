import Foundation
import Testing
@testable import TTSServer

/// The bounds on a turn's audio through the real server: a client that does not read its HTTP
/// response is closed as too slow after the same bound as a WebSocket reader (`max_queued_audio`
/// messages, or as long as they play without it taking any), counted in `slow_client_closes`;
/// and a turn stops at `max_turn_audio_s` with an error in its protocol's shape.
@Suite(.serialized) struct DeliveryBoundsEndToEndTests {
    @Test func anHTTPClientThatDoesNotReadIsClosedAsSlow() throws {
        // 2,000 frames of PCM (7.7 MB): more than any socket buffers hold.
        let engine = FakeSpeechEngine(framesPerSentence: 2000)
        let service = try startService(engine: engine) { $0.maxQueuedAudio = 25 }  // 2 s of audio
        defer { service.stop() }
        let port = try #require(service.port)
        let client = try HTTPTestClient(port: port, timeoutSeconds: 20, receiveBufferBytes: 4096)
        let body = Array("{\"model\":\"tts-1\",\"input\":\"Hello there.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}".utf8)
        try client.socket.send(Array("POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        // ... and reads nothing.
        let metrics = { service.metrics.render() }
        #expect(eventually(15) { metricValue(metrics(), "pocket_tts_slow_client_closes_total{protocol=\"openai\"}") == 1 })
        #expect(eventually(5) { metricValue(metrics(), "pocket_tts_sessions") == 0 })
        #expect(eventually(5) { engine.openTurns == 0 })
        #expect(client.socket.waitForEOF(), "the connection stays open")
    }

    @Test func aWebSocketClientThatDoesNotReadIsClosedAsSlowToo() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 2000)
        let service = try startService(engine: engine) { $0.maxQueuedAudio = 25 }
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port), receiveBufferBytes: 4096)
        try client.config("\"format\":\"pcm\"")
        try client.text("Hello there.")
        try client.flush()
        #expect(eventually(15) { metricValue(service.metrics.render(), "pocket_tts_slow_client_closes_total{protocol=\"native\"}") == 1 })
        #expect(eventually(5) { metricValue(service.metrics.render(), "pocket_tts_sessions") == 0 })
    }

    @Test func aNativeTurnEndsWithAnErrorAtItsAudioBound() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 40)  // 3.2 s a sentence
        let service = try startService(engine: engine) { $0.maxTurnAudioSeconds = 0.5 }
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config()
        _ = try client.expectAccepted()
        try client.text("Hello there.")
        try client.flush()
        var frames = 0
        var ending: TTSTestClient.Message?
        while ending == nil {
            switch try client.next() {
            case .audio, .jsonAudio: frames += 1
            case let other: ending = other
            }
        }
        #expect(frames >= 7 && frames <= 8, "\(frames) frames of 80 ms for a bound of 0.5 s")
        guard case .error("invalid_text", let message) = ending else { Issue.record("ended with \(String(describing: ending))"); return }
        #expect(message.contains("max_turn_audio_s (0.5 s)"))
        #expect(engine.calls.withLock { $0.contains("cancel \(TurnKey(session: 1, turn: 1))") || $0.contains { $0.hasPrefix("cancel") } })
        // The session goes on: the next turn starts.
        try client.config()
        _ = try client.expectAccepted()
    }

    @Test func anHTTPResponseIsCutAtItsAudioBound() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 40)
        let service = try startService(engine: engine) { $0.maxTurnAudioSeconds = 0.5 }
        defer { service.stop() }
        let client = try HTTPTestClient(port: try #require(service.port))
        let body = Array("{\"model\":\"tts-1\",\"input\":\"Hello there.\",\"voice\":\"alba\",\"response_format\":\"pcm\"}".utf8)
        #expect(try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: body).status == 200)
        var bytes = 0
        do {
            while let chunk = try client.nextChunk() { bytes += chunk.count }
            Issue.record("the body ended normally after \(bytes) bytes")
        } catch {
            // The connection is dropped without the last chunk: the client sees a cut response.
        }
        #expect(bytes >= 7 * 3840 && bytes <= 8 * 3840, "\(bytes) bytes")
        #expect(metricValue(service.metrics.render(), "pocket_tts_errors_total{code=\"invalid_text\",protocol=\"openai\"}") == 1)
    }
}
