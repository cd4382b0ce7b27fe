import Foundation
import Kernels
import PocketTTS
import Testing
@testable import TTSEngine

/// The engine's own bounds, whatever its callers do: a hard cap on chunk tokens at `enqueue`,
/// KV caches reserved one chunk at a time, and a memory budget for all streams.
@Suite struct EngineBoundsTests {
    /// A chunk above the engine's cap is rejected with a typed error, nothing of the text is
    /// queued, and the stream goes on with text within the cap.
    @Test func aChunkAboveTheEngineCapIsRejected() throws {
        let engine = try Engine.tiny(EngineConfiguration(maxChunkTokens: 4))
        defer { engine.stop() }
        let sink = RecordingSink()
        let id = try engine.openStream(voice: try Fixture.voice(), options: EngineLifecycleTests.fixed(2), sink: sink)
        let long = Fixture.texts[1]  // sentences of more than 4 tokens; the stream has no cap of its own
        #expect(throws: EngineError.self) { try engine.enqueue(text: long, to: id) }
        do {
            try engine.enqueue(text: long, to: id)
        } catch .chunkTooLong(let tokens, let cap) {
            #expect(tokens > 4 && cap == 4)
        } catch {
            Issue.record("unexpected \(error)")
        }
        try engine.enqueue(text: "Hi.", to: id)
        engine.finish(id)
        #expect(sink.waitForEnd())
        #expect(sink.frames.map(\.chunk) == [0, 0])  // only the short text was spoken
    }

    /// The stream's own lower cap applies too, for prepared chunks as well as text.
    @Test func aChunkAboveTheStreamCapIsRejected() throws {
        let engine = try Engine.tiny()
        defer { engine.stop() }
        var options = EngineLifecycleTests.fixed(2)
        options.tokenCap = 3
        let id = try engine.openStream(voice: try Fixture.voice(), options: options, sink: RecordingSink())
        let chunk = try Fixture.model().chunks(for: Fixture.texts[1])[0]
        #expect(chunk.tokens.count > 3)
        #expect(throws: EngineError.chunkTooLong(tokens: chunk.tokens.count, cap: 3)) {
            try engine.enqueue(chunks: [chunk], to: id)
        }
    }

    /// Each chunk's state holds the voice, that chunk's tokens and its frames, not the turn's.
    @Test func kvCapacityIsReservedOneChunkAtATime() throws {
        let harness = try ProducerHarness(EngineConfiguration(maxQueuedFrames: 100))
        let text = Fixture.texts[3]
        let chunks = try Fixture.model().chunks(for: text, maxTokens: TextChunk.defaultMaxTokens)
        try #require(chunks.count >= 2)
        let options = EngineLifecycleTests.fixed(2, seed: 1)
        let id = try harness.speak(text, options: options)
        let voice = try Fixture.voice().length
        var capacities: [Int: Int] = [:]  // chunk → largest capacity seen
        repeat {
            harness.tick()
            if let stream = harness.producer.streams.first(where: { $0.id == id }), !stream.generation.isIdle {
                let chunk = stream.generation.chunkNumber
                capacities[chunk] = max(capacities[chunk] ?? 0, stream.generation.state.capacity)
            }
        } while harness.producer.hasWork
        #expect(capacities.count == chunks.count)
        for (i, chunk) in chunks.enumerated() {
            #expect(capacities[i] == voice + chunk.tokens.count + 2, "chunk \(i)")
        }
    }

    /// `maxStreams` streams that do not fit the budget: a typed error naming the sizes.
    @Test func aBudgetTooSmallForMaxStreamsIsATypedError() throws {
        let model = try Fixture.model()
        let configuration = EngineConfiguration(maxStreams: 8, memoryBudget: 0)
        let perStream = Engine.streamBytes(model: model, configuration: configuration, voicePositions: 375, maxFrames: nil)
        #expect(perStream > 0)
        var fits = configuration
        fits.memoryBudget = 8 * perStream
        try Engine.validate(fits, for: model)
        var tight = configuration
        tight.memoryBudget = 8 * perStream - 1
        #expect(throws: EngineError.overMemoryBudget(maxStreams: 8, perStream: perStream, needed: 8 * perStream,
                                                      budget: 8 * perStream - 1)) {
            try Engine.validate(tight, for: model)
        }
        let message = EngineError.overMemoryBudget(maxStreams: 8, perStream: 50 << 20, needed: 400 << 20, budget: 256 << 20)
            .description
        #expect(message.contains("8 streams need 400 MB") && message.contains("50 MB each") && message.contains("256 MB"))
    }

    /// The stream's state grows with its chunk cap and frames: the worst case per stream counts
    /// the voice, the cap's tokens, their frames and one prompt call's scratch.
    @Test func streamBytesGrowWithTheCapAndTheVoice() throws {
        let model = try Fixture.model()
        let small = Engine.streamBytes(model: model, configuration: .init(maxChunkTokens: 50), voicePositions: 100, maxFrames: nil)
        let large = Engine.streamBytes(model: model, configuration: .init(maxChunkTokens: 100), voicePositions: 100, maxFrames: nil)
        let longVoice = Engine.streamBytes(model: model, configuration: .init(maxChunkTokens: 50), voicePositions: 400, maxFrames: nil)
        #expect(small < large && small < longVoice)
        let d = model.flowLM.dimensions
        let kvPerPosition = d.layerCount * 2 * d.modelDim * 4
        #expect(longVoice - small == 300 * kvPerPosition + 4 * 300 * FlowTransformerScores.pieces(model))
    }

    /// Admission checks the budget with the stream's own voice and frame limit: a stream that
    /// does not fit beside the open ones is refused as at capacity (before `maxStreams` is
    /// reached), and its room comes back when a stream ends.
    @Test func admissionKeepsTheOpenStreamsWithinTheBudget() throws {
        let model = try Fixture.model()
        let voice = try Fixture.voice()
        var configuration = EngineConfiguration(maxStreams: 2, budgetVoicePositions: voice.length)
        let perStream = Engine.streamBytes(model: model, configuration: configuration, voicePositions: voice.length,
                                           maxFrames: nil)
        configuration.memoryBudget = 2 * perStream
        let engine = try Engine.tiny(configuration)
        defer { engine.stop() }
        let options = GenerationOptions(sampling: FlowLMSampling(eosThreshold: 1e9))  // frames from the cap
        let first = try engine.openStream(voice: voice, options: options, sink: RecordingSink())
        #expect(engine.reservedMemory == perStream)
        var long = options
        long.maxFrames = 1_000_000  // a frame limit beyond the budget: refused, nothing allocated
        #expect(throws: EngineError.atCapacity) {
            _ = try engine.openStream(voice: voice, options: long, sink: RecordingSink())
        }
        #expect(engine.activeStreamCount == 1)
        _ = try engine.openStream(voice: voice, options: options, sink: RecordingSink())
        #expect(engine.reservedMemory == 2 * perStream)
        engine.cancel(first)
        #expect(engine.reservedMemory == perStream)
    }
}

/// Score floats per key of a prompt call's scratch, for the tiny model at its micro-batch.
private enum FlowTransformerScores {
    static func pieces(_ model: TTSModel) -> Int {
        let rows = min(EngineConfiguration().maxPromptRows, 50)
        // FlowTransformer.scoreCount: one score row per head piece (4 when the call splits).
        return rows >= 16 && Kernels.Linear.splitsOutputs(rows: rows) ? 4 : 1
    }
}
