import Testing
@testable import TTSServer

private struct CountingRandom: RandomNumberGenerator, Sendable {
    var count: UInt64 = 0
    mutating func next() -> UInt64 {
        count += 1
        return count
    }
}

/// A machine with turn 1 started at t = 1 and the outbox empty.
private func streaming(window: Int = 2, maxQueued: Int = 250, maxTurnAudio: Double = 600) -> SessionMachine {
    let configuration = SessionMachine.Configuration(voices: ["alba"], idleTimeout: 1000, maxQueuedAudio: maxQueued, sendWindow: window,
                                                     maxTurnAudioSeconds: maxTurnAudio)
    var m = SessionMachine(configuration: configuration, random: CountingRandom(), now: 0)
    _ = m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 1)
    _ = m.onTurnStarted(turn: 1, now: 1)
    _ = m.onOutboxLevel(pending: 0, now: 1)
    return m
}

/// The two bounds on a turn's audio (SessionMachine+Delivery.swift), fake clock: a client that
/// takes none of its audio for `stallSeconds`, and `max_turn_audio_s`.
@Suite struct SessionDeliveryTests {
    @Test func aClientThatTakesNoAudioIsClosedAsSlowAfterTheQueueBoundInTime() {
        var m = streaming(window: 2, maxQueued: 25)  // 25 messages: 2 s
        #expect(m.stallSeconds == 2)
        for i in 0..<5 { _ = m.onEngine(.audio([UInt8(i)]), turn: 1, now: 1.1) }  // 2 sent, 3 wait
        #expect(m.queuedAudio == 3)
        #expect(m.onTick(now: 2.9) == [])
        let closed = m.onTick(now: 3.1)
        #expect(closed.contains(.cancelTurn(turn: 1)))
        #expect(closed.contains { if case .close(1008, let reason) = $0 { reason.hasPrefix("client too slow") } else { false } })
        #expect(m.closedAsSlowClient && m.state == .closed)
    }

    @Test func aClientThatReadsSlowlyIsNotClosed() {
        var m = streaming(window: 2, maxQueued: 25)
        for i in 0..<5 { _ = m.onEngine(.audio([UInt8(i)]), turn: 1, now: 1.1) }
        var now = 1.1
        for _ in 0..<3 {  // one message taken every 1.9 s: slower than real time, but reading
            now += 1.9
            #expect(m.onTick(now: now) == [])
            _ = m.onOutboxLevel(pending: 1, now: now)
        }
        #expect(!m.closedAsSlowClient && m.state == .streaming)
    }

    @Test func nothingWaitingIsNotAStall() {
        var m = streaming(window: 8, maxQueued: 25)
        _ = m.onEngine(.audio([1]), turn: 1, now: 1.1)  // in the outbox, nothing queued
        #expect(m.onTick(now: 30) == [])
        #expect(m.state == .streaming)
    }

    @Test func theQueueOverflowIsASlowClientToo() {
        var m = streaming(window: 1, maxQueued: 3)
        var actions: [SessionMachine.Action] = []
        for i in 0..<5 { actions += m.onEngine(.audio([UInt8(i)]), turn: 1, now: 1.1) }
        #expect(m.closedAsSlowClient && m.state == .closed)
        #expect(actions.contains { if case .close(1008, _) = $0 { true } else { false } })
    }

    @Test func aTurnStopsAtItsAudioBoundAndEndsWithAnErrorAfterItsAudio() {
        var m = streaming(window: 2, maxTurnAudio: 0.2)
        _ = m.onNativeFrame("{\"type\":\"text\",\"data\":{\"text\":\"Hello there.\"}}", now: 1)
        var sent: [SessionMachine.Action] = []
        for i in 0..<2 {
            sent += m.onEngine(.audio([UInt8(i)]), turn: 1, now: 2)
            #expect(m.onAudioSeconds(0.08, turn: 1, now: 2) == [])
        }
        _ = m.onEngine(.audio([2]), turn: 1, now: 2)  // waits: the window is full
        let atBound = m.onAudioSeconds(0.08, turn: 1, now: 2)  // 0.24 s >= 0.2 s
        #expect(atBound == [.stopTurn(turn: 1)])
        #expect(m.state == .draining)
        #expect(m.onEngine(.audio([3]), turn: 1, now: 2) == [])  // in flight: dropped
        let end = m.onOutboxLevel(pending: 1, now: 3)  // the last audio, then the error instead of final
        #expect(end == [.send(.binaryAudio([2])), .send(.error(SessionMachine.turnAudioLimit(0.2)))])
        #expect(SessionMachine.turnAudioLimit(0.2).message.contains("max_turn_audio_s (0.2 s)"))
        #expect(SessionMachine.turnAudioLimit(0.2).code == .invalidText)
        #expect(m.state == .awaitingConfig)
        #expect(m.onNativeFrame("{\"type\":\"config\",\"data\":{}}", now: 4).contains { if case .startTurn = $0 { true } else { false } })
    }

    @Test func aTurnUnderItsBoundEndsWithFinal() {
        var m = streaming(window: 100, maxTurnAudio: 1)
        _ = m.onNativeFrame("{\"type\":\"text\",\"data\":{\"text\":\"Hi.\"}}", now: 1)
        _ = m.onNativeFrame("{\"type\":\"flush\"}", now: 1)
        for i in 0..<12 {
            _ = m.onEngine(.audio([UInt8(i)]), turn: 1, now: 2)
            #expect(m.onAudioSeconds(0.08, turn: 1, now: 2) == [])
        }
        let done = m.onEngine(.turnDone, turn: 1, now: 2)
        #expect(done.contains { if case .send(.final) = $0 { true } else { false } })
    }
}
