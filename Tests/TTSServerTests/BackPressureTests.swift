import Testing
@testable import TTSServer

/// A burst of requests waits in TCP while the outbox is full (WebSocketInputGate), instead of
/// closing a client that reads everything as "too slow".
@Suite struct BackPressureTests {
    private let ping = WebSocketMessage.text("{\"type\":\"ping\"}")

    @Test func gatePassesMessagesWhileTheOutboxHasRoom() {
        var gate = WebSocketInputGate(pauseLevel: 4)
        let passed = gate.admit(ping, pending: 3)
        let pausedBelow = gate.shouldPause(pending: 3)
        let pausedAt = gate.shouldPause(pending: 4)  // the reply filled it: stop reading
        let pausedAgain = gate.shouldPause(pending: 5)  // once is enough
        #expect(passed == ping && !pausedBelow && pausedAt && !pausedAgain && gate.isReadingPaused)
    }

    @Test func gateHoldsThenReleasesInOrder() {
        var gate = WebSocketInputGate(pauseLevel: 2)
        let a = WebSocketMessage.text("a"), b = WebSocketMessage.text("b"), c = WebSocketMessage.binary([1])
        var passed = [gate.admit(a, pending: 2), gate.admit(b, pending: 0), gate.admit(c, pending: 0)]  // b, c wait behind a
        #expect(passed == [nil, nil, nil] && gate.heldCount == 3)
        let paused = gate.shouldPause(pending: 0)
        #expect(paused)
        passed = [gate.release(pending: 2), gate.release(pending: 1), gate.release(pending: 1), gate.release(pending: 2)]
        #expect(passed == [nil, a, b, nil])  // the last: b's reply filled the outbox again
        let resumedWhileHolding = gate.shouldResume(pending: 0)
        passed = [gate.release(pending: 0), gate.release(pending: 0)]
        #expect(passed == [c, nil] && !resumedWhileHolding)
        let resumed = [gate.shouldResume(pending: 2), gate.shouldResume(pending: 1), gate.shouldResume(pending: 0)]
        #expect(resumed == [false, true, false] && !gate.isReadingPaused)
    }

    @Test func closingDropsHeldMessagesAndReadsAgain() {
        var gate = WebSocketInputGate(pauseLevel: 1)
        _ = gate.admit(ping, pending: 1)
        let paused = gate.shouldPause(pending: 1)
        let resume = gate.closing()
        let resumeAgain = gate.closing()  // reading was not paused any more
        #expect(paused && resume && !resumeAgain && gate.heldCount == 0 && !gate.isReadingPaused)
    }

    @Test func aBurstOfPingsIsAllAnswered() throws {
        let service = try startService(engine: FakeSpeechEngine())
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        let count = 2000
        try client.webSocket.sendBurst(Array(repeating: "{\"type\":\"ping\"}", count: count))
        for i in 0..<count {
            let message = try client.next()
            guard message == .pong else { Issue.record("reply \(i): \(message)"); return }
        }
        #expect(metricValue(service.metrics.render(), "pocket_tts_slow_client_closes_total") == 0)
    }

    @Test func aBurstOfConfigCancelPairsIsAllAnswered() throws {
        let engine = FakeSpeechEngine(maxTurns: 1)
        let service = try startService(engine: engine)
        defer { service.stop() }
        let client = try TTSTestClient.connect(port: try #require(service.port))
        let pairs = 300
        try client.webSocket.sendBurst(Array(repeating: ["{\"type\":\"config\",\"data\":{}}", "{\"type\":\"cancel\"}"], count: pairs)
            .flatMap { $0 } + ["{\"type\":\"ping\"}"])
        for i in 0..<pairs {
            let message = try client.next()
            guard case .event("config_accepted", _) = message else { Issue.record("reply \(i): \(message)"); return }
        }
        #expect(try client.next() == .pong)
        #expect(engine.openTurns == 0)
        #expect(metricValue(service.metrics.render(), "pocket_tts_turns_total{outcome=\"cancelled\"}") == Double(pairs))
    }
}
