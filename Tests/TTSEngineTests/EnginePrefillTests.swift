import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// Prompt slicing: whole prompts when nothing else is generating, slices beside a stepping stream.
@Suite struct EnginePrefillTests {
    static func tokenCount(_ text: String) throws -> Int {
        let chunks = try Fixture.model().chunks(for: text)
        try #require(chunks.count == 1)
        return chunks[0].tokens.count
    }

    /// A lone stream's chunk is prompted in one call even with a 2-token slice.
    @Test func aLoneStreamIsPromptedWhole() throws {
        let text = Fixture.texts[0]
        #expect(try Self.tokenCount(text) > 2)
        let engine = try Engine.tiny(EngineConfiguration(prefillSliceTokens: 2))
        defer { engine.stop() }
        let options = EngineLifecycleTests.fixed(3, seed: 4)
        let sink = RecordingSink()
        _ = try engine.speak(text, options: options, sink: sink)
        #expect(sink.waitForEnd())
        #expect(engine.promptCallCount == 1)
        expectSameFrames(sink.frames, try Fixture.reference(text, options: options), "lone")
    }

    /// Stream B, opened while A is stepping (held by back-pressure), is prompted in slices.
    @Test func aStreamBesideASteppingOneIsPromptedInSlices() throws {
        let text = Fixture.texts[0]
        let (n, slice) = (try Self.tokenCount(text), 2)
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: slice))
        defer { engine.stop() }
        let gate = Gate()
        defer { gate.open() }  // before stop(): never leave the consumer stuck
        let a = RecordingSink { _, frame in if frame.index == 0 { gate.waitOpen() } }
        let (optionsA, optionsB) = (EngineLifecycleTests.fixed(5, seed: 1), EngineLifecycleTests.fixed(3, seed: 2))
        let idA = try engine.speak(text, options: optionsA, sink: a)
        #expect(gate.waitEntered())
        #expect(engine.waitForQueuedFrames(idA, count: 2, timeout: 10))  // A is stepping, full
        #expect(engine.promptCallCount == 1)
        let b = RecordingSink()
        let idB = try engine.speak(text, options: optionsB, sink: b)
        #expect(engine.waitForQueuedFrames(idB, count: 1, timeout: 10))
        #expect(engine.promptCallCount == 1 + (n + slice - 1) / slice)
        gate.open()
        #expect(a.waitForEnd() && b.waitForEnd())
        expectSameFrames(a.frames, try Fixture.reference(text, options: optionsA), "A")
        expectSameFrames(b.frames, try Fixture.reference(text, options: optionsB), "B")
    }
}
