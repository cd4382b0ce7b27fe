import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// Prompt slicing: whole prompts when nothing else is generating, slices beside a stepping
/// stream. The producer's decisions, tick by tick, with the test as its consumer
/// (`ProducerHarness`); then the same through the running engine, with the frames of
/// `TTSModel.generate` either way.
@Suite struct EnginePrefillTests {
    static func tokenCount(_ text: String) throws -> Int {
        let chunks = try Fixture.model().chunks(for: text)
        try #require(chunks.count == 1)
        return chunks[0].tokens.count
    }

    @Test func promptSlicesAreWholeAloneAndShareTheBudgetBesideSteppingStreams() {
        #expect(Producer.promptSlices(tokensLeft: [30, 7], slicing: false, sliceTokens: 4, maxRows: 48) == [30, 7])
        #expect(Producer.promptSlices(tokensLeft: [3, 7, 2], slicing: true, sliceTokens: 4, maxRows: 48) == [3, 1])
        #expect(Producer.promptSlices(tokensLeft: [9], slicing: true, sliceTokens: 4, maxRows: 48) == [4])
        #expect(Producer.promptSlices(tokensLeft: [], slicing: true, sliceTokens: 4, maxRows: 48) == [])
    }

    /// No call takes more than `maxRows` tokens, with or without stepping streams.
    @Test func noPromptCallExceedsTheRowLimit() {
        #expect(Producer.promptSlices(tokensLeft: [5000, 70], slicing: false, sliceTokens: 16, maxRows: 48) == [48, 48])
        #expect(Producer.promptSlices(tokensLeft: [5000], slicing: true, sliceTokens: 64, maxRows: 48) == [48])
        #expect(Producer.promptSlices(tokensLeft: [30, 9], slicing: true, sliceTokens: 64, maxRows: 20) == [20, 9])
    }

    /// A lone stream with a long chunk: prompted in calls of at most `maxPromptRows` tokens, one
    /// per tick, then it steps.
    @Test func aLongPromptGoesInMicroBatches() throws {
        let text = Fixture.texts[1]
        let n = try Self.tokenCount(text)
        let rows = 3
        #expect(n > 2 * rows)
        let harness = try ProducerHarness(EngineConfiguration(prefillSliceTokens: 2, maxPromptRows: rows))
        let id = try harness.speak(text, options: EngineLifecycleTests.fixed(3, seed: 4))
        var phases: [GenerationStream.Phase?] = []
        repeat {
            harness.tick()
            phases.append(harness.phase(of: id))
        } while harness.phase(of: id).map { if case .prompting = $0 { true } else { false } } == true
        let calls = (n + rows - 1) / rows
        let expected: [GenerationStream.Phase?] = (1..<calls).map { .prompting(fed: $0 * rows) }
            + [.stepping(step: 1, eosStep: nil)]
        #expect(phases == expected)
    }

    /// A lone stream's chunk is prompted in one call even with a 2-token slice: its first tick
    /// feeds the whole prompt and already steps.
    @Test func aLoneStreamIsPromptedWhole() throws {
        let text = Fixture.texts[0]
        #expect(try Self.tokenCount(text) > 2)
        let harness = try ProducerHarness(EngineConfiguration(prefillSliceTokens: 2))
        let id = try harness.speak(text, options: EngineLifecycleTests.fixed(3, seed: 4))
        harness.tick()
        #expect(harness.phase(of: id) == .stepping(step: 1, eosStep: nil))
    }

    /// Stream B, opened while A is stepping (held by back-pressure) and too close to running dry
    /// for a whole prompt (a margin of 10 s: always), is prompted in slices: one slice per tick,
    /// ceil(n / slice) prompt calls, then it steps.
    @Test func aStreamBesideASteppingOneIsPromptedInSlices() throws {
        let text = Fixture.texts[0]
        let (n, slice) = (try Self.tokenCount(text), 2)
        var configuration = EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: slice)
        configuration.promptMarginSeconds = 10
        let harness = try ProducerHarness(configuration)
        let idA = try harness.speak(text, options: EngineLifecycleTests.fixed(5, seed: 1))
        harness.runUntilIdle()
        #expect(harness.phase(of: idA) == .stepping(step: 2, eosStep: nil))  // stepping, its queue full
        let idB = try harness.speak(text, options: EngineLifecycleTests.fixed(3, seed: 2))
        var phases: [GenerationStream.Phase?] = []
        repeat {
            harness.tick()
            phases.append(harness.phase(of: idB))
        } while harness.phase(of: idB).map { if case .prompting = $0 { true } else { false } } == true
        let calls = (n + slice - 1) / slice
        let expected: [GenerationStream.Phase?] = (1..<calls).map { .prompting(fed: $0 * slice) }
            + [.stepping(step: 1, eosStep: nil)]
        #expect(phases == expected)
        #expect(harness.phase(of: idA) == .stepping(step: 2, eosStep: nil))  // not stepped: no room
    }

    /// Beside a stream far enough ahead (A: 2 frames, 0.16 s, against a few ms of prompt and no
    /// margin), B's prompt goes whole: it steps after one tick.
    @Test func aStreamBesideOneFarEnoughAheadIsPromptedWhole() throws {
        let text = Fixture.texts[0]
        var configuration = EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: 2)
        configuration.promptMarginSeconds = 0
        let harness = try ProducerHarness(configuration)
        let idA = try harness.speak(text, options: EngineLifecycleTests.fixed(5, seed: 1))
        harness.runUntilIdle()
        #expect(harness.phase(of: idA) == .stepping(step: 2, eosStep: nil))
        let idB = try harness.speak(text, options: EngineLifecycleTests.fixed(3, seed: 2))
        harness.tick()
        #expect(harness.phase(of: idB) == .stepping(step: 1, eosStep: nil))
    }

    /// The same through the engine: A held in its sink (so stepping), B prompted in slices
    /// beside it; both give the frames of `generate`.
    @Test func aSlicedPromptBesideASteppingStreamGivesTheSameFrames() throws {
        let text = Fixture.texts[0]
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: 2))
        defer { engine.stop() }
        let gate = Gate()
        defer { gate.open() }  // before stop(): never leave the consumer stuck
        let a = RecordingSink { _, frame in if frame.index == 0 { gate.waitOpen() } }
        let (optionsA, optionsB) = (EngineLifecycleTests.fixed(5, seed: 1), EngineLifecycleTests.fixed(3, seed: 2))
        _ = try engine.speak(text, options: optionsA, sink: a)
        #expect(gate.waitEntered())  // A cannot finish: 5 frames, 2 queued, 1 held
        let b = RecordingSink()
        _ = try engine.speak(text, options: optionsB, sink: b)
        gate.open()
        #expect(a.waitForEnd() && b.waitForEnd())
        expectSameFrames(a.frames, try Fixture.reference(text, options: optionsA), "A")
        expectSameFrames(b.frames, try Fixture.reference(text, options: optionsB), "B")
    }
}
