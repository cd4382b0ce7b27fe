import Foundation
import Testing
@testable import TTSServer

/// The service through the real server on loopback, with `FakeSpeechEngine` (no model): the
/// glue, limits, auth, ops endpoints and shutdown. TTSServiceEndToEndTests runs the real engine.
@Suite struct TTSServiceTests {
    @Test func healthReadyAndMetrics() throws {
        let service = try startService(engine: nil)
        defer { service.stop() }
        let port = try #require(service.port)
        #expect(try httpRequest(port: port, path: "/health").status == 200)
        let notReady = try httpRequest(port: port, path: "/ready")
        #expect(notReady.status == 503 && notReady.text == "loading the model\n")
        let (refused, _) = try TestWebSocket.connect(port: port, path: "/tts/ws")
        #expect(refused.status == 503)  // no engine yet

        service.attach(engine: FakeSpeechEngine())
        #expect(try httpRequest(port: port, path: "/ready").status == 200)
        let metrics = try httpRequest(port: port, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metricValue(metrics.text, "pocket_tts_sessions") == 0)
        #expect(metricValue(metrics.text, "pocket_tts_errors_total{code=\"parse_error\"}") == 0)
        #expect(metrics.text.contains("# TYPE pocket_tts_time_to_first_audio_seconds histogram"))
        #expect(metrics.text.contains("pocket_tts_real_time_factor_bucket{le=\"+Inf\"} 0"))
        #expect(try httpRequest(port: port, method: "POST", path: "/health", headers: ["Content-Length": "0"]).status == 405)
        #expect(try httpRequest(port: port, method: "POST", path: "/health").status == 411)  // no length: refused first
        #expect(try httpRequest(port: port, path: "/nothing").status == 404)
        #expect(try TestWebSocket.connect(port: port, path: "/other").response.status == 404)
    }

    @Test func sentencesAreSpokenAsTheyCompleteThenFinal() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 2)
        let service = try startService(engine: engine)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config("\"format\":\"pcm\",\"voice\":\"marius\",\"seed\":5")
        let id = try client.expectAccepted()
        #expect(id.count == 32)
        for word in ["Hello ", "there ", "friend. ", "How "] { try client.text(word) }
        // The first sentence is complete: its audio comes before any flush.
        let frame = try pcmFrame()
        for _ in 0..<2 { #expect(try client.next() == .audio(frame)) }
        try client.text("are you")
        try client.flush()
        let turn = try client.collectTurn()
        #expect(turn.requestID == id)
        #expect(turn.audio.count == 2 && turn.audio.allSatisfy { $0.count == 1920 * 2 })
        #expect(engine.calls.withLock { $0 } == ["start 1.1", "speak 1.1 Hello there friend.", "speak 1.1 How are you", "finish 1.1"])

        // The session goes on: a second turn, JSON audio at 16 kHz.
        try client.config("\"format\":\"pcm_f32\",\"binary\":false,\"sample_rate\":16000")
        _ = try client.expectAccepted()
        try client.text("Second turn.")
        try client.flush()
        var samples = 0
        var messages: [TTSTestClient.Message] = []
        while true {
            let message = try client.next()
            if case .event("final", _) = message { break }
            messages.append(message)
            if case .jsonAudio(let bytes, 16000, "pcm_f32") = message { samples += bytes.count / 4 }
        }
        #expect(messages.count >= 2 && abs(samples - 2 * 1280) <= 64, "\(samples) samples at 16 kHz")
        let metrics = service.metrics
        #expect(metrics.turnCount(.completed) == 2)
        #expect(metrics.value("pocket_tts_audio_frames_total") == 6)  // 2 sentences × 2 frames, then 2 frames
        #expect(metrics.value("pocket_tts_time_to_first_audio_seconds_count") == 2)
        #expect(metrics.value("pocket_tts_real_time_factor_count") == 2)
        #expect(metrics.value("pocket_tts_underruns_total") == 0)  // every frame came at once
    }

    @Test func audioSlowerThanRealTimeCountsUnderruns() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 4, frameDelay: 0.15)  // 150 ms per 80 ms frame
        let service = try startService(engine: engine)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config()
        _ = try client.expectAccepted()
        try client.text("Slow.")
        try client.flush()
        #expect(try client.collectTurn().audio.count == 4)
        #expect((service.metrics.value("pocket_tts_underruns_total") ?? 0) >= 2)  // frames 2 to 4 come after the first ran out
        let rtf = (count: service.metrics.value("pocket_tts_real_time_factor_count"),
                   sum: service.metrics.value("pocket_tts_real_time_factor_sum") ?? 0)
        #expect(rtf.count == 1 && rtf.sum > 1.5, "real-time factor \(rtf.sum)")
    }

    @Test func cancelDropsTheTurnAndTheSocketStaysUsable() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 40, frameDelay: 0.01)
        let service = try startService(engine: engine)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config()
        _ = try client.expectAccepted()
        try client.text("A long sentence. ")
        try client.flush()
        guard case .audio = try client.next() else { Issue.record("no audio"); return }
        try client.cancel()
        try client.send("{\"type\":\"ping\"}")
        // Audio already in flight may arrive; then the pong, and never a final.
        while true {
            let message = try client.next()
            if message == .pong { break }
            guard case .audio = message else { Issue.record("unexpected \(message)"); return }
        }
        #expect(engine.calls.withLock { $0.last } == "cancel 1.1")
        #expect(engine.openTurns == 0)

        try client.config()
        _ = try client.expectAccepted()
        try client.text("Short.")
        try client.flush()
        #expect(try client.collectTurn().audio.count == 40)
        #expect(service.metrics.turnCount(.cancelled) == 1)
    }

    @Test func apiKeysAreCheckedOnUpgrade() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.apiKeys = ["k1", "k2"] }
        defer { service.stop() }
        let port = try #require(service.port)
        let (missing, _) = try TestWebSocket.connect(port: port, path: "/tts/ws")
        #expect(missing.status == 401 && missing.headers["www-authenticate"] == "Bearer")
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws", headers: ["X-API-Key": "nope"]).response.status == 401)
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws", headers: ["X-API-Key": "k2"]).response.status == 101)
        #expect(try TestWebSocket.connect(port: port, path: "/tts/ws", headers: ["Authorization": "Bearer k1"]).response.status == 101)
        #expect(try httpRequest(port: port, path: "/health").status == 200)  // probes need no key
    }

    @Test func malformedJSONIsAParseErrorThenAClose() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let port = try #require(service.port)
        let other = try TTSTestClient.connect(port: port)
        let client = try TTSTestClient.connect(port: port)
        try client.send("{\"type\":\"config\"")
        guard case .error("parse_error", _) = try client.next() else { Issue.record("no parse_error"); return }
        #expect(try client.next() == .close(code: 1008, reason: "invalid JSON"))
        try client.send("{\"type\":\"bogus\"}")  // invalid_type on the other session only; it stays open
        try other.send("{\"type\":\"bogus\"}")
        guard case .error("invalid_type", _) = try other.next() else { Issue.record("no invalid_type"); return }
        try other.config()
        _ = try other.expectAccepted()
        #expect(service.metrics.errorCount(.parseError) == 1)
    }

    @Test func sessionLimitAnswersAtCapacityThenCloses() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.maxSessions = 1 }
        defer { service.stop() }
        let port = try #require(service.port)
        let first = try TTSTestClient.connect(port: port)
        let second = try TTSTestClient.connect(port: port)
        guard case .error("at_capacity", _) = try second.next() else { Issue.record("no at_capacity"); return }
        #expect(try second.next() == .close(code: 1013, reason: "at capacity: 1 sessions open"))
        try first.send("{\"type\":\"ping\"}")
        #expect(try first.next() == .pong)
    }

    @Test func engineAtCapacityRefusesTheTurnNotTheSession() throws {
        let service = try startService(engine: FakeSpeechEngine(maxTurns: 1))
        defer { service.stop() }
        let port = try #require(service.port)
        let first = try TTSTestClient.connect(port: port)
        try first.config()
        _ = try first.expectAccepted()
        let second = try TTSTestClient.connect(port: port)
        try second.config()
        guard case .error("at_capacity", _) = try second.next() else { Issue.record("no at_capacity"); return }
        try first.cancel()
        try first.send("{\"type\":\"ping\"}")
        #expect(try first.next() == .pong)  // the cancel has been handled
        try second.config()
        _ = try second.expectAccepted()
        #expect(service.metrics.turnCount(.rejected) == 1)
    }

    @Test func idleSessionsAreClosed() throws {
        let service = try startService(engine: FakeSpeechEngine()) { $0.idleTimeoutSeconds = 0.2 }
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        let started = Date()
        #expect(try client.next() == .close(code: 1000, reason: "idle timeout after 0 s"))
        #expect(Date().timeIntervalSince(started) >= 0.15)
    }

    @Test func aClientThatStopsReadingIsClosedWhileOthersGoOn() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 3000, frameDelay: 0.002)
        let service = try startService(engine: engine) {
            $0.maxQueuedAudio = 20
            $0.sendWindow = 2
        }
        defer { service.stop() }
        let port = try #require(service.port)
        let slow = try TTSTestClient.connect(port: port, receiveBufferBytes: 4096)
        try slow.config("\"format\":\"pcm_f32\",\"binary\":false")
        _ = try slow.expectAccepted()
        try slow.text("Flood.")
        try slow.flush()  // and never read again

        let reader = try TTSTestClient.connect(port: port)
        let started = Date()
        #expect(eventually(5) { service.metrics.value("pocket_tts_slow_client_closes_total") == 1 })
        #expect(eventually(3) { service.metrics.value("pocket_tts_sessions") == 1 })
        print("DEBUG dropped after", Date().timeIntervalSince(started))  // dropped even though it never read the close
        try reader.send("{\"type\":\"ping\"}")
        #expect(try reader.next() == .pong)
        #expect(engine.openTurns == 0)
        #expect(service.metrics.turnCount(.cancelled) == 1)
    }

    @Test func shutdownFinishesTurnsInProgressThenCloses() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 10, frameDelay: 0.02)
        let service = try startService(engine: engine)
        let port = try #require(service.port)
        let idle = try TTSTestClient.connect(port: port)
        let busy = try TTSTestClient.connect(port: port)
        try busy.config()
        _ = try busy.expectAccepted()
        try busy.text("Finish me.")
        try busy.flush()

        let stopper = Thread { service.shutdown(gracePeriod: 2) }
        let started = Date()
        stopper.start()
        #expect(try idle.next() == .close(code: 1001, reason: "server shutting down"))
        #expect(try busy.collectTurn().audio.count == 10)
        #expect(try busy.next() == .close(code: 1001, reason: "server shutting down"))
        try idle.webSocket.sendClose()
        try busy.webSocket.sendClose()
        #expect(eventually(3) { service.hasStopped })
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(throws: TestClientError.self) { try TestSocket(port: port) }
    }

    @Test func shutdownCancelsTurnsThatOutlastTheGracePeriod() throws {
        let engine = FakeSpeechEngine(framesPerSentence: 1000, frameDelay: 0.01)
        let service = try startService(engine: engine)
        let client = try TTSTestClient.connect(port: try #require(service.port))
        try client.config()
        _ = try client.expectAccepted()
        try client.text("Never ending.")  // no flush: the turn stays open

        let stopper = Thread { service.shutdown(gracePeriod: 0.3) }
        stopper.start()
        let close = try client.expectClose()
        #expect(close.code == 1001)
        try client.webSocket.sendClose()
        #expect(eventually(3) { service.hasStopped })
        #expect(engine.calls.withLock { $0.last } == "cancel 1.1")
    }
}

/// One 80 ms frame of the fake engine's tone as 16-bit PCM.
private func pcmFrame() throws -> [UInt8] {
    let encoder = try makeAudioEncoder(format: .pcm, sampleRate: 24000)
    return try encoder.encode((0..<1920).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 24000)) })[0]
}
