import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// Streams coming and going: cancel, capacity, errors, back-pressure, stop.
@Suite struct EngineLifecycleTests {
    /// Random weights never emit a reliable EOS: fixed-length streams.
    static func fixed(_ frames: Int, seed: UInt64 = 0) -> GenerationOptions {
        GenerationOptions(sampling: FlowLMSampling(temperature: 0.7, eosThreshold: 1e9), maxFrames: frames, seed: seed)
    }

    /// Cancelled from its own sink at frame 3: no call after that, its slot is free again,
    /// and the stream beside it is unaffected.
    @Test(arguments: [1, 2])
    func cancelStopsTheStreamAndSparesTheOthers(consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(maxStreams: 2, consumerThreads: consumers))
        defer { engine.stop() }
        let cancelledAt = RecordingSink()  // one .chunkDone(n) marks "cancel returned after n events"
        let victim = RecordingSink { [weak engine] id, frame in
            guard let engine, frame.index == 3 else { return }
            engine.cancel(id)
            cancelledAt.streamDidFinishChunk(id, chunk: frame.index)
        }
        let other = RecordingSink()
        _ = try engine.speak(Fixture.texts[1], options: Self.fixed(40, seed: 1), sink: victim)
        _ = try engine.speak(Fixture.texts[2], options: Self.fixed(6, seed: 2), sink: other)
        #expect(other.waitForEnd())
        #expect(victim.waitForFrames(4))  // on another consumer thread it may lag behind `other`
        #expect(cancelledAt.events.count == 1)
        // Frame 3 itself is recorded after the cancel (the call was under way); nothing follows it.
        #expect(victim.frames.map(\.index) == [0, 1, 2, 3])
        #expect(victim.events.count == 4)
        expectSameFrames(other.frames, try Fixture.reference(Fixture.texts[2], options: Self.fixed(6, seed: 2)), "other")
        #expect(engine.activeStreamCount == 0)
        // Both slots are free: two streams run to the end.
        let again = [RecordingSink(), RecordingSink()]
        for sink in again { _ = try engine.speak(Fixture.texts[0], options: Self.fixed(3), sink: sink) }
        for sink in again { #expect(sink.waitForEnd() && sink.frames.count == 3) }
    }

    /// Cancelled from another thread while prompting or generating: the engine goes on.
    @Test func cancelFromOutsideFreesTheSlot() throws {
        let engine = try Engine.tiny(EngineConfiguration(maxStreams: 1, maxQueuedFrames: 2))
        defer { engine.stop() }
        let sink = RecordingSink()
        let id = try engine.speak(Fixture.texts[2], options: Self.fixed(500), sink: sink)
        #expect(sink.waitForFrames(2))
        engine.cancel(id)
        #expect(engine.activeStreamCount == 0)
        #expect(throws: EngineError.unknownStream) { try engine.enqueue(text: "Hello.", to: id) }
        engine.cancel(id)  // ignored
        let next = RecordingSink()
        _ = try engine.speak(Fixture.texts[0], options: Self.fixed(4), sink: next)
        #expect(next.waitForEnd())
        #expect(next.frames.count == 4)
        #expect(!sink.events.contains { if case .finished = $0 { true } else { false } })
        #expect(sink.frames.count < 500)
    }

    @Test func errorsOfTheAPI() throws {
        let engine = try Engine.tiny(EngineConfiguration(maxStreams: 2))
        let voice = try Fixture.voice()
        let sinks = [RecordingSink(), RecordingSink(), RecordingSink()]
        let a = try engine.openStream(voice: voice, options: Self.fixed(2), sink: sinks[0])
        let b = try engine.openStream(voice: voice, options: Self.fixed(2), sink: sinks[1])
        #expect(engine.activeStreamCount == 2)
        #expect(throws: EngineError.atCapacity) { try engine.openStream(voice: voice, options: Self.fixed(2), sink: sinks[2]) }
        #expect(throws: EngineError.invalidOptions("invalid option: max frames must be positive, got 0")) {
            try engine.openStream(voice: voice, options: GenerationOptions(maxFrames: 0), sink: sinks[2])
        }
        #expect(throws: EngineError.unknownStream) { try engine.enqueue(text: "Hi.", to: StreamID(rawValue: 999)) }
        #expect(throws: EngineError.invalidText("text prompt cannot be empty (or whitespace only)")) {
            try engine.enqueue(text: " \n\t ", to: a)
        }
        // A finished stream frees its slot once its end is delivered.
        try engine.enqueue(text: "Hi.", to: a)
        engine.finish(a)
        #expect(throws: EngineError.streamFinished) { try engine.enqueue(text: "Hi.", to: a) }
        #expect(sinks[0].waitForEnd())
        #expect(engine.activeStreamCount == 1)
        let c = try engine.openStream(voice: voice, options: Self.fixed(2), sink: sinks[2])
        #expect(c != a && c != b)
        engine.stop()
        #expect(engine.activeStreamCount == 0)
        #expect(throws: EngineError.stopped) { try engine.openStream(voice: voice, options: Self.fixed(2), sink: sinks[2]) }
        #expect(throws: EngineError.stopped) { try engine.enqueue(text: "Hi.", to: b) }
    }

    /// A chunk the model rejects (a token outside its table) fails that stream only.
    @Test func invalidTokensFailOneStreamOnly() throws {
        let engine = try Engine.tiny()
        defer { engine.stop() }
        let model = try Fixture.model()
        let bad = RecordingSink()
        let good = RecordingSink()
        let options = Self.fixed(3, seed: 9)
        let id = try engine.openStream(voice: try Fixture.voice(), options: options, sink: bad)
        _ = try engine.speak(Fixture.texts[1], options: options, sink: good)
        try engine.enqueue(text: "Fine first.", to: id)
        let huge = model.flowLM.dimensions.vocabularySize + 1
        try engine.enqueue(chunks: [TextChunk(text: "bad", tokens: [3, huge, 4], framesAfterEOS: 1, maxGenerationFrames: 5)],
                           to: id)
        try engine.enqueue(text: "Never spoken.", to: id)
        #expect(bad.waitForEnd())
        #expect(good.waitForEnd())
        let events = bad.events
        // The first chunk is spoken, then the failure, and nothing else.
        #expect(events.dropLast().map(EngineParityTests.label) == (0..<3).map { "f0.\($0)" } + ["c0"])
        guard case .failed(let error) = events.last else {
            Issue.record("no failure reported: \(events.map(EngineParityTests.label))")
            return
        }
        #expect(error as? FlowLMError == .tokenOutOfRange(token: huge, vocabularySize: huge - 1))
        expectSameFrames(good.frames, try Fixture.reference(Fixture.texts[1], options: options), "good")
        #expect(engine.activeStreamCount == 0)
        #expect(throws: EngineError.unknownStream) { try engine.enqueue(text: "Hi.", to: id) }
    }

    /// A full frame queue stops its stream only: the producer fills A's queue to its bound
    /// and skips A from then on, but still prompts and steps a stream B opened meanwhile until
    /// B's queue is full too (the test is the consumer and takes nothing). Taken, both go on
    /// and end with the latents and EOS logits of `generate`.
    @Test func backPressureSkipsAFullStreamWithoutBlockingOthers() throws {
        let queued = 2
        let harness = try ProducerHarness(EngineConfiguration(maxQueuedFrames: queued, prefillSliceTokens: 4))
        let (optionsA, optionsB) = (Self.fixed(5, seed: 1), Self.fixed(4, seed: 2))
        let idA = try harness.speak(Fixture.texts[1], options: optionsA)
        harness.runUntilIdle()
        #expect(!harness.handOff.hasRoom(idA))  // `queued` frames wait
        #expect(harness.phase(of: idA) == .stepping(step: queued, eosStep: nil))
        let idB = try harness.speak(Fixture.texts[2], options: optionsB)
        harness.runUntilIdle()
        #expect(!harness.handOff.hasRoom(idB))
        #expect(harness.phase(of: idB) == .stepping(step: queued, eosStep: nil))
        #expect(harness.phase(of: idA) == .stepping(step: queued, eosStep: nil))  // bounded: skipped, not stepped
        var items: [StreamID: [HandOffItem]] = [:]
        let first = harness.take()
        #expect(first[idA]?.compactMap(\.frame).map(\.index) == Array(0..<queued))
        #expect(first[idB]?.compactMap(\.frame).map(\.index) == Array(0..<queued))
        items.merge(first) { $0 + $1 }
        while !(items[idA]?.last?.isFinished == true && items[idB]?.last?.isFinished == true) {
            harness.runUntilIdle()
            items.merge(harness.take()) { $0 + $1 }
        }
        for (id, text, options) in [(idA, Fixture.texts[1], optionsA), (idB, Fixture.texts[2], optionsB)] {
            let got = items[id]?.compactMap(\.frame) ?? []
            let want = try Fixture.reference(text, options: options)
            #expect(got.map { [$0.chunk, $0.index] } == want.map { [$0.chunk, $0.index] })
            expectClose(got.flatMap(\.latent), want.flatMap(\.latent), 1e-5, "latents of \(id)")
            expectClose(got.map(\.eosLogit), want.map(\.eosLogit), 1e-5, "EOS logits of \(id)")
        }
    }

    /// The same through the engine: while stream A's sink is held (its only consumer is stuck
    /// in it), B is generated too; nothing reaches either sink until A is released, then both
    /// finish with the frames of `generate`.
    @Test func aHeldSinkHoldsItsConsumerAndBothStreamsFinishOnceReleased() throws {
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: 4, consumerThreads: 1))
        defer { engine.stop() }
        let gate = Gate()
        defer { gate.open() }  // before stop(): never leave the consumer stuck
        let a = RecordingSink { _, frame in if frame.index == 0 { gate.waitOpen() } }
        let optionsA = Self.fixed(5, seed: 1)
        let optionsB = Self.fixed(4, seed: 2)
        _ = try engine.speak(Fixture.texts[1], options: optionsA, sink: a)
        #expect(gate.waitEntered())  // the consumer is inside A's sink, holding frame 0
        let b = RecordingSink()
        _ = try engine.speak(Fixture.texts[2], options: optionsB, sink: b)
        #expect(a.frames.isEmpty && b.frames.isEmpty)
        gate.open()
        #expect(a.waitForEnd() && b.waitForEnd())
        expectSameFrames(a.frames, try Fixture.reference(Fixture.texts[1], options: optionsA), "A")
        expectSameFrames(b.frames, try Fixture.reference(Fixture.texts[2], options: optionsB), "B")
    }

    /// stop() with streams generating: it returns (both threads joined), no sink call follows,
    /// and the engine refuses new streams.
    @Test(arguments: [1, 2])
    func stopWithActiveStreams(consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, consumerThreads: consumers))
        let sinks = (0..<3).map { _ in RecordingSink() }
        for (k, sink) in sinks.enumerated() {
            _ = try engine.speak(Fixture.texts[k], options: Self.fixed(10_000, seed: UInt64(k)), sink: sink)
        }
        let waiting = RecordingSink()  // opened, never given text
        _ = try engine.openStream(voice: try Fixture.voice(), options: Self.fixed(5), sink: waiting)
        for sink in sinks { #expect(sink.waitForFrames(2)) }
        engine.stop()
        let counts = sinks.map { $0.events.count }
        #expect(engine.activeStreamCount == 0)
        #expect(throws: EngineError.stopped) {
            try engine.openStream(voice: try Fixture.voice(), options: Self.fixed(5), sink: waiting)
        }
        engine.stop()  // idempotent
        #expect(sinks.map { $0.events.count } == counts)
        #expect(waiting.events.isEmpty)
        for sink in sinks { #expect(!sink.events.contains { if case .finished = $0 { true } else { false } }) }
    }

    /// An engine dropped without stop() stops itself; one never started stops at once.
    @Test func deinitAndStopWithoutStart() throws {
        let sink = RecordingSink()
        do {
            let engine = try Engine.tiny()
            _ = try engine.speak(Fixture.texts[0], options: Self.fixed(10_000), sink: sink)
            #expect(sink.waitForFrames(1))
        }
        let idle = Engine(model: try Fixture.model())
        idle.stop()
        idle.start()  // a stopped engine does not start again
        #expect(throws: EngineError.stopped) {
            try idle.openStream(voice: try Fixture.voice(), options: Self.fixed(1), sink: sink)
        }
    }
}

/// A door a consumer thread waits at until the test opens it.
final class Gate: @unchecked Sendable {  // all state behind `condition`
    private let condition = NSCondition()
    private var entered = false
    private var isOpen = false

    func waitOpen() {
        condition.lock()
        entered = true
        condition.broadcast()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    func waitEntered(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !entered { if !condition.wait(until: deadline) { return entered } }
        return true
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}
