import Dispatch
import Foundation
import PocketTTS
import Synchronization
import Testing
import TTSEngine
@testable import TTSServer

/// Nothing proportional to a client's input runs on the event loop in one go: a long text is
/// segmented a slice per loop pass (SessionMachine+Slices.swift), so other clients (/health,
/// pings) are served in between; the loop's lag is exported in /metrics.
@Suite(.serialized) struct LoopLagTests {
    private typealias Action = SessionMachine.Action

    private static func machine(maxTurn: Int = 200_000) -> SessionMachine {
        let settings = ProtocolSettings(maxTextMessageCharacters: 200_000, maxTurnTextCharacters: maxTurn)
        var machine = SessionMachine(configuration: .init(protocolSettings: settings, voices: ["alba"]),
                                     random: SystemRandomNumberGenerator(), now: 0)
        _ = machine.onMessage(.config(TurnConfig(voice: "alba")), now: 0)
        _ = machine.onTurnStarted(turn: 1, now: 0)
        return machine
    }

    private static func spoken(_ actions: [Action]) -> [String] {
        actions.compactMap { if case .speak(let text, _) = $0 { text } else { nil } }
    }

    @Test func aLongTextIsSegmentedASliceAtATime() {
        let text = String(repeating: "The river was calm today, and the boats went by. ", count: 40)  // 2,000 scalars
        var machine = Self.machine()
        var actions = machine.onMessage(.text(text), now: 1)
        var passes = 1
        while actions.contains(.continueText) {
            #expect(machine.hasUnsegmentedText)
            actions = machine.onContinueText(now: 1)
            passes += 1
        }
        #expect(!machine.hasUnsegmentedText)
        #expect(passes == (text.unicodeScalars.count + SessionMachine.textSliceScalars - 1) / SessionMachine.textSliceScalars)
    }

    @Test func slicesSpeakTheSameChunksAsOneAppend() {
        for text in [String(repeating: "x", count: 5000), String(repeating: "word,", count: 1000),
                     String(repeating: "Dr. Smith paid $4.50 on May 1st, 2024. Then he left. ", count: 30)] {
            var machine = Self.machine()
            var chunks = Self.spoken(machine.onMessage(.text(text), now: 1))
            while machine.hasUnsegmentedText { chunks += Self.spoken(machine.onContinueText(now: 1)) }
            chunks += Self.spoken(machine.onMessage(.flush, now: 1))

            let rules = TextSegmenter.Rules(maxBufferDelay: Double(TurnConfig.defaultMaxBufferDelayMs) / 1000, maxTokens: TurnConfig(voice: "alba").maxTokens)
            var segmenter = TextSegmenter(rules: rules, counter: UTF8TokenBound(), normalizer: TurnConfig(voice: "alba").textNormalizer)
            let expected = segmenter.append(text, now: 1) + segmenter.flush()
            #expect(chunks == expected)
        }
    }

    @Test func aFlushOrCancelAfterALongTextLosesNothingAndKeepsOrder() {
        var machine = Self.machine()
        let text = String(repeating: "abc ", count: 1000)
        _ = machine.onMessage(.text(text), now: 1)
        #expect(machine.hasUnsegmentedText)
        let flushed = machine.onMessage(.flush, now: 1)  // the glue holds it; if not, nothing is lost
        #expect(!machine.hasUnsegmentedText)
        #expect(Self.spoken(flushed).joined(separator: " ").split(separator: " ").count > 900)
        #expect(flushed.last == .finishTurn(turn: 1))

        var cancelled = Self.machine()
        _ = cancelled.onMessage(.text(text), now: 1)
        _ = cancelled.onMessage(.cancel, now: 1)
        #expect(!cancelled.hasUnsegmentedText)
        #expect(cancelled.onContinueText(now: 1).isEmpty)
    }

    @Test func theTurnLimitCountsAWholeMessageBeforeAnySlice() {
        var machine = Self.machine(maxTurn: 1000)
        let actions = machine.onMessage(.text(String(repeating: "x", count: 1001)), now: 1)
        #expect(!machine.hasUnsegmentedText)
        #expect(actions.contains { if case .send(.error(let error)) = $0 { error.code == .invalidText } else { false } })
    }

    // MARK: End to end, the tiny model's tokenizer counting

    /// The worst /health round trip while `work` runs on another thread.
    private static func worstHealth(port: Int, during work: @escaping @Sendable () throws -> Void) throws -> Double {
        let done = Atomic<Bool>(false)
        let thread = Thread {
            try? work()
            done.store(true, ordering: .releasing)
        }
        thread.start()
        var worst = 0.0
        while !done.load(ordering: .acquiring) {
            let started = monotonicSeconds()
            let response = try HTTPTestClient(port: port, timeoutSeconds: 120).send(method: "GET", path: "/health")
            #expect(response.status == 200)
            worst = max(worst, monotonicSeconds() - started)
            Thread.sleep(forTimeInterval: 0.005)
        }
        return worst
    }

    @Test(arguments: ["x", "ab", "hello world "])
    func healthIsAnsweredWhileA100kCharacterRequestIsSegmented(unit: String) throws {
        let (model, voice) = try TinyModel.load()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxStreams: 2))
        engine.start()
        defer { engine.stop() }
        let service = try startService(engine: EngineSpeechAdapter(engine: engine, fixedVoices: ["alba": voice])) {
            $0.metricsAccess = .open
        }
        defer { service.stop() }
        let port = try #require(service.port)
        let input = String(String(repeating: unit, count: 100_000 / unit.count + 1).prefix(100_000))
        let body = try JSONSerialization.data(withJSONObject: ["model": "tts-1", "input": input, "voice": "alba",
                                                               "response_format": "pcm"])
        let worst = try Self.worstHealth(port: port) {
            let client = try HTTPTestClient(port: port, timeoutSeconds: 300)
            let response = try client.send(path: "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Array(body))
            #expect(response.status == 200)
            _ = try client.nextChunk()  // the first audio: the rest of the text is still being segmented
            Thread.sleep(forTimeInterval: 1)
        }
        // Before the text was sliced, the loop was held for the whole text: 2.7-4.5 s in a
        // release build, about a minute in a debug one. A slice costs milliseconds.
        #expect(worst < 0.5, "worst /health round trip \(worst) s during \(unit)")
        let metrics = try HTTPTestClient(port: port).send(method: "GET", path: "/metrics")
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect((metricValue(text, "pocket_tts_event_loop_lag_seconds_count") ?? 0) > 0)
    }
}
