import Testing
@testable import TTSServer

/// Returns 1, 2, 3, ...: predictable seeds and request ids.
private struct CountingRandom: RandomNumberGenerator, Sendable {
    var count: UInt64 = 0
    mutating func next() -> UInt64 {
        count += 1
        return count
    }
}

private typealias Action = SessionMachine.Action

private func makeMachine(window: Int = 8, maxQueued: Int = 250, idle: Double = 60) -> SessionMachine {
    let configuration = SessionMachine.Configuration(
        protocolSettings: ProtocolSettings(maxTextMessageCharacters: 100, maxTurnTextCharacters: 60),
        voices: ["alba", "marius"], idleTimeout: idle, maxQueuedAudio: maxQueued, sendWindow: window)
    return SessionMachine(configuration: configuration, random: CountingRandom(), now: 0)
}

private func text(_ t: String) -> String { "{\"type\":\"text\",\"data\":{\"text\":\"\(t)\"}}" }
private let flush = "{\"type\":\"flush\"}"
private let cancel = "{\"type\":\"cancel\"}"
private let ping = "{\"type\":\"ping\"}"
private func config(_ data: String = "{}") -> String { "{\"type\":\"config\",\"data\":\(data)}" }

private func errorCode(_ actions: [Action]) -> ProtocolError.Code? {
    for case .send(.error(let e)) in actions { return e.code }
    return nil
}

/// A machine in `streaming`, turn 1 accepted, the outbox empty.
private func streaming(window: Int = 8, maxQueued: Int = 250, binary: Bool = true) -> SessionMachine {
    var m = makeMachine(window: window, maxQueued: maxQueued)
    _ = m.onNativeFrame(config("{\"binary\":\(binary)}"), now: 1)
    _ = m.onTurnStarted(turn: 1, now: 1)
    _ = m.onOutboxLevel(pending: 0, now: 1)
    return m
}

/// A machine in `draining` after "Hi." and a flush.
private func draining(window: Int = 8) -> SessionMachine {
    var m = streaming(window: window)
    _ = m.onNativeFrame(text("Hi."), now: 2)
    _ = m.onNativeFrame(flush, now: 2)
    return m
}

@Suite struct SessionMachineTests {
    // MARK: awaitingConfig

    @Test func configStartsATurn() {
        var m = makeMachine()
        let actions = m.onNativeFrame(config("{\"voice\":\"marius\",\"format\":\"wav\"}"), now: 1)
        var expected = TurnConfig(voice: "marius")
        expected.voiceGiven = true
        expected.format = .wav
        expected.seed = 1  // the first random draw
        let requestID = "0000000000000002" + "0000000000000003"
        #expect(actions == [.startTurn(TurnStart(turn: 1, requestID: requestID, config: expected))])
        #expect(m.state == .streaming)
        #expect(m.currentTurn?.requestID == requestID)
    }

    @Test func givenSeedIsKept() {
        var m = makeMachine()
        let actions = m.onNativeFrame(config("{\"seed\":99}"), now: 1)
        guard case .startTurn(let start)? = actions.first else { Issue.record("no startTurn"); return }
        #expect(start.config.seed == 99)
        #expect(start.requestID == "0000000000000001" + "0000000000000002")
    }

    @Test func turnStartedSendsConfigAccepted() {
        var m = makeMachine()
        _ = m.onNativeFrame(config(), now: 1)
        let id = m.currentTurn!.requestID
        #expect(m.onTurnStarted(turn: 1, now: 1) == [.send(.configAccepted(requestID: id))])
        #expect(m.onTurnStarted(turn: 7, now: 1) == [])  // not the open turn
        #expect(m.state == .streaming)
    }

    @Test func turnRejectedReportsAndAwaitsAnotherConfig() {
        var m = makeMachine()
        _ = m.onNativeFrame(config(), now: 1)
        #expect(m.onTurnRejected(turn: 1, error: .atCapacity, now: 1) == [.send(.error(.atCapacity))])
        #expect(m.state == .awaitingConfig)
        #expect(m.currentTurn == nil)
        guard case .startTurn(let start)? = m.onNativeFrame(config(), now: 2).first else { Issue.record("no startTurn"); return }
        #expect(start.turn == 2)
    }

    @Test func unknownVoiceIsRefused() {
        var m = makeMachine()
        #expect(m.onNativeFrame(config("{\"voice\":\"nobody\"}"), now: 1) == [.send(.error(.unknownVoice("nobody")))])
        #expect(m.state == .awaitingConfig)
    }

    @Test func textOrFlushBeforeConfigIsRefused() {
        var m = makeMachine()
        #expect(errorCode(m.onNativeFrame(text("Hi. "), now: 1)) == .invalidType)
        #expect(errorCode(m.onNativeFrame(flush, now: 1)) == .invalidType)
        #expect(m.state == .awaitingConfig)
    }

    @Test func cancelWithoutTurnDoesNothing() {
        var m = makeMachine()
        #expect(m.onNativeFrame(cancel, now: 1) == [])
        #expect(m.state == .awaitingConfig)
    }

    @Test func pingAnswersPongInEveryOpenState() {
        var a = makeMachine(), s = streaming(), d = draining()
        #expect(a.onNativeFrame(ping, now: 1) == [.send(.pong)])
        #expect(s.onNativeFrame(ping, now: 3) == [.send(.pong)])
        #expect(d.onNativeFrame(ping, now: 3) == [.send(.pong)])
        #expect(s.state == .streaming && d.state == .draining)
    }

    // MARK: streaming

    @Test func completeSentencesAreSpokenAtOnce() {
        var m = streaming()
        #expect(m.onNativeFrame(text("Hello"), now: 2) == [])
        #expect(m.onNativeFrame(text(" there you."), now: 2) == [])
        #expect(m.onNativeFrame(text(" How are"), now: 2) == [.speak("Hello there you.", turn: 1)])
        // Sentences complete at once go together (packed within the cap, as the reference does).
        #expect(m.onNativeFrame(text(" you? Ok! Fine"), now: 2) == [.speak("How are you? Ok!", turn: 1)])
        #expect(m.state == .streaming)
    }

    @Test func aTextDeadlineAsksForOneWakeAndTheWakeSpeaks() {
        var m = streaming()  // max_buffer_delay_ms 1000 (the default)
        #expect(m.onNativeFrame(text("one two "), now: 2) == [])
        #expect(m.onNativeFrame(text("three "), now: 2.3) == [.scheduleWake(at: 3)])
        #expect(m.onNativeFrame(text("four "), now: 2.5) == [])  // the same deadline: no second timer
        #expect(m.onWake(now: 2.9) == [.scheduleWake(at: 3)])  // came early: asks again
        #expect(m.onWake(now: 3) == [.speak("one two three four", turn: 1)])
        #expect(m.onWake(now: 4) == [])
    }

    @Test func zeroBufferDelaySpeaksEachGroupOfThreeWordsAtOnce() {
        var m = makeMachine()
        _ = m.onNativeFrame(config("{\"max_buffer_delay_ms\":0}"), now: 1)
        _ = m.onTurnStarted(turn: 1, now: 1)
        #expect(m.onNativeFrame(text("one two "), now: 2) == [])
        #expect(m.onNativeFrame(text("three fo"), now: 2) == [.speak("one two three", turn: 1)])
    }

    @Test func aWakeAfterTheFlushDoesNothing() {
        var m = streaming()
        _ = m.onNativeFrame(text("one two three "), now: 2)
        _ = m.onNativeFrame(flush, now: 2.1)
        #expect(m.onWake(now: 3) == [])
        #expect(m.state == .draining)
    }

    @Test func textOverTheTurnLimitIsRefusedAndNotKept() {
        var m = streaming()  // 60 characters per turn
        #expect(m.onNativeFrame(text("Twenty chars here. X"), now: 2) == [.speak("Twenty chars here.", turn: 1)])
        #expect(m.onNativeFrame(text(String(repeating: "y", count: 35)), now: 2) == [])
        #expect(errorCode(m.onNativeFrame(text("sixsix"), now: 2)) == .invalidText)
        #expect(m.onNativeFrame(text("five."), now: 2) == [])
        #expect(m.onNativeFrame(flush, now: 2) == [.speak("X" + String(repeating: "y", count: 35) + "five.", turn: 1), .finishTurn(turn: 1)])
    }

    @Test func textOverTheMessageLimitIsRefused() {
        // The per-message bound is the adapter's (it answers; the machine never sees the text).
        var m = streaming()
        do {
            _ = try NativeAdapter.parse(text(String(repeating: "a", count: 101)), settings: m.configuration.protocolSettings)
            Issue.record("not refused")
        } catch {
            #expect(error.code == .invalidText)
        }
        #expect(m.onNativeFrame(text(String(repeating: "a", count: 101)), now: 2) == [])
        #expect(m.state == .streaming)
    }

    @Test func flushSpeaksTheTailAndDrains() {
        var m = streaming()
        _ = m.onNativeFrame(text("One two three. Four"), now: 2)
        #expect(m.onNativeFrame(flush, now: 3) == [.speak("Four", turn: 1), .finishTurn(turn: 1)])
        #expect(m.state == .draining)
    }

    @Test func flushWithoutTailOnlyFinishes() {
        var m = streaming()
        #expect(m.onNativeFrame(flush, now: 2) == [.finishTurn(turn: 1)])
        #expect(m.state == .draining)
    }

    @Test func configDuringATurnIsRefused() {
        var s = streaming(), d = draining()
        #expect(errorCode(s.onNativeFrame(config(), now: 2)) == .invalidType)
        #expect(errorCode(d.onNativeFrame(config(), now: 3)) == .invalidType)
        #expect(s.state == .streaming && d.state == .draining)
        #expect(s.currentTurn?.turn == 1)
    }

    @Test func cancelStopsTheTurnAndLaterTextIsDroppedQuietly() {
        var m = streaming()
        #expect(m.onNativeFrame(cancel, now: 2) == [.cancelTurn(turn: 1)])
        #expect(m.state == .awaitingConfig)
        #expect(m.onNativeFrame(text("late words. "), now: 2) == [])
        #expect(m.onNativeFrame(flush, now: 2) == [])
        #expect(m.onEngine(.audio([1]), turn: 1, now: 2) == [])
        // A config clears the cancel: turn 2, and text before a config is an error again after it ends.
        guard case .startTurn(let start)? = m.onNativeFrame(config(), now: 3).first else { Issue.record("no start"); return }
        #expect(start.turn == 2)
        _ = m.onNativeFrame(cancel, now: 3)
        _ = m.onNativeFrame(config(), now: 3)
        _ = m.onNativeFrame(flush, now: 3)
        _ = m.onEngine(.turnDone, turn: 3, now: 3)
        #expect(m.state == .awaitingConfig)
        #expect(errorCode(m.onNativeFrame(text("x"), now: 4)) == .invalidType)
    }

    // MARK: draining

    @Test func textAfterFlushIsRefused() {
        var m = draining()
        #expect(errorCode(m.onNativeFrame(text("more"), now: 3)) == .invalidType)
        #expect(m.state == .draining)
    }

    @Test func secondFlushIsIgnored() {
        var m = draining()
        #expect(m.onNativeFrame(flush, now: 3) == [])
        #expect(m.state == .draining)
    }

    @Test func cancelWhileDrainingDropsQueuedAudio() {
        var m = draining(window: 1)
        _ = m.onEngine(.audio([1]), turn: 1, now: 3)
        _ = m.onEngine(.audio([2]), turn: 1, now: 3)
        _ = m.onEngine(.audio([3]), turn: 1, now: 3)
        #expect(m.queuedAudio == 2)
        #expect(m.onNativeFrame(cancel, now: 3) == [.cancelTurn(turn: 1)])
        #expect(m.queuedAudio == 0)
        #expect(m.onOutboxLevel(pending: 0, now: 4) == [])  // nothing left to send
        #expect(m.onEngine(.turnDone, turn: 1, now: 4) == [])  // no final after a cancel
    }

    // MARK: engine events

    @Test func audioGoesOutAsBinaryOrJSON() {
        var b = streaming(binary: true), j = streaming(binary: false)
        #expect(b.onEngine(.audio([1, 2]), turn: 1, now: 2) == [.send(.binaryAudio([1, 2]))])
        #expect(j.onEngine(.audio([1, 2]), turn: 1, now: 2) == [.send(.jsonAudio([1, 2], sampleRate: 24000, format: .pcm))])
    }

    @Test func audioBeyondTheWindowWaitsForTheOutbox() {
        var m = streaming(window: 2)
        #expect(m.onEngine(.audio([1]), turn: 1, now: 2) == [.send(.binaryAudio([1]))])
        #expect(m.onEngine(.audio([2]), turn: 1, now: 2) == [.send(.binaryAudio([2]))])
        #expect(m.onEngine(.audio([3]), turn: 1, now: 2) == [])
        #expect(m.onEngine(.audio([4]), turn: 1, now: 2) == [])
        #expect(m.queuedAudio == 2)
        #expect(m.onOutboxLevel(pending: 1, now: 3) == [.send(.binaryAudio([3]))])
        #expect(m.onOutboxLevel(pending: 0, now: 3) == [.send(.binaryAudio([4]))])
        #expect(m.queuedAudio == 0)
    }

    @Test func audioForAnotherTurnIsDropped() {
        var m = streaming()
        #expect(m.onEngine(.audio([1]), turn: 2, now: 2) == [])
        #expect(m.onEngine(.turnDone, turn: 0, now: 2) == [])
        #expect(m.queuedAudio == 0 && m.state == .streaming)
    }

    @Test func turnDoneSendsFinalWhenNothingIsQueued() {
        var m = draining()
        let id = m.currentTurn!.requestID
        #expect(m.onEngine(.audio([9]), turn: 1, now: 3) == [.send(.binaryAudio([9]))])
        #expect(m.onEngine(.turnDone, turn: 1, now: 3) == [.send(.final(requestID: id))])
        #expect(m.state == .awaitingConfig)
        #expect(m.currentTurn == nil)
    }

    @Test func finalWaitsForQueuedAudio() {
        var m = draining(window: 1)
        let id = m.currentTurn!.requestID
        _ = m.onEngine(.audio([1]), turn: 1, now: 3)
        _ = m.onEngine(.audio([2]), turn: 1, now: 3)
        #expect(m.onEngine(.turnDone, turn: 1, now: 3) == [])
        #expect(m.state == .draining)
        #expect(m.onOutboxLevel(pending: 0, now: 4) == [.send(.binaryAudio([2])), .send(.final(requestID: id))])
        #expect(m.state == .awaitingConfig)
    }

    @Test func turnDoneBeforeFlushIsIgnored() {
        var m = streaming()
        #expect(m.onEngine(.turnDone, turn: 1, now: 2) == [])
        #expect(m.state == .streaming)
    }

    @Test func engineFailureEndsTheTurnWithInternalError() {
        var m = draining(window: 1)
        _ = m.onEngine(.audio([1]), turn: 1, now: 3)
        _ = m.onEngine(.audio([2]), turn: 1, now: 3)
        #expect(m.onEngine(.failed("mimi exploded"), turn: 1, now: 3) == [.send(.error(.internalError(detail: "mimi exploded")))])
        #expect(m.state == .awaitingConfig && m.queuedAudio == 0)
    }

    @Test func aFullSharedQueueEndsTheTurnWithAtCapacity() {
        var m = streaming()
        #expect(m.onEngine(.overloaded("speech queue full"), turn: 1, now: 3) == [.send(.error(.atCapacity))])
        #expect(m.state == .awaitingConfig && m.queuedAudio == 0)
    }

    @Test func slowClientIsClosed() {
        var m = streaming(window: 1, maxQueued: 3)
        for i in 0..<4 { _ = m.onEngine(.audio([UInt8(i)]), turn: 1, now: 2) }  // 1 sent, 3 queued
        #expect(m.state == .streaming)
        let actions = m.onEngine(.audio([4]), turn: 1, now: 2)
        #expect(actions == [.cancelTurn(turn: 1), .close(code: 1008, reason: "client too slow: 4 audio messages queued")])
        #expect(m.state == .closed && m.queuedAudio == 0)
    }

    // MARK: timer, shutdown, peer close

    @Test func idleTimeoutCloses() {
        var m = makeMachine(idle: 60)
        #expect(m.onTick(now: 59.9) == [])
        _ = m.onNativeFrame(ping, now: 50)
        #expect(m.onTick(now: 109) == [])
        #expect(m.onTick(now: 110) == [.close(code: 1000, reason: "idle timeout after 60 s")])
        #expect(m.state == .closed)
    }

    @Test func engineActivityKeepsTheSessionAlive() {
        var m = draining()
        _ = m.onEngine(.audio([1]), turn: 1, now: 61)
        #expect(m.onTick(now: 62) == [])
        #expect(m.onTick(now: 121) == [.cancelTurn(turn: 1), .close(code: 1000, reason: "idle timeout after 60 s")])
    }

    @Test func shutdownClosesGoingAway() {
        var m = streaming()
        #expect(m.onShutdown(now: 2) == [.cancelTurn(turn: 1), .close(code: 1001, reason: "server shutting down")])
        #expect(m.state == .closed)
    }

    @Test func peerCloseCancelsTheTurn() {
        var busy = streaming(), idle = makeMachine()
        #expect(busy.onPeerClosed(now: 2) == [.cancelTurn(turn: 1)])
        #expect(idle.onPeerClosed(now: 2) == [])
        #expect(busy.state == .closed && idle.state == .closed)
    }

    @Test func closedIgnoresEverything() {
        var m = streaming()
        _ = m.onPeerClosed(now: 2)
        #expect(m.onNativeFrame(ping, now: 3) == [])
        #expect(m.onMessage(.config(TurnConfig(voice: "alba")), now: 3) == [])
        #expect(m.onEngine(.audio([1]), turn: 1, now: 3) == [])
        #expect(m.onOutboxLevel(pending: 0, now: 3) == [])
        #expect(m.onTick(now: 1000) == [])
        #expect(m.onShutdown(now: 3) == [])
        #expect(m.onPeerClosed(now: 3) == [])
    }

    @Test func eventsCountAgainstTheWindow() {
        var m = makeMachine(window: 2)
        _ = m.onNativeFrame(config(), now: 1)
        _ = m.onTurnStarted(turn: 1, now: 1)  // 1 in the outbox
        _ = m.onNativeFrame(ping, now: 1)  // 2
        #expect(m.onEngine(.audio([1]), turn: 1, now: 1) == [])
        #expect(m.onOutboxLevel(pending: 1, now: 1) == [.send(.binaryAudio([1]))])
    }
}
