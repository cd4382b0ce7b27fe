import Foundation
import Kernels
import PocketTTS
import Testing
@testable import TTSEngine

/// Under `bf16` / `int8` the consumer decodes the ready streams' frames together
/// (`MimiDecoder.forwardBatch`); each stream's audio is still, bit for bit, its own latents
/// decoded alone one frame per call.
@Suite struct EngineMimiBatchTests {
    /// The tiny fixture model with the fast Mimi decoder.
    static let model = Result { () throws -> TTSModel in
        var config = try PocketTTSConfig(contentsOf: Fixture.directory.appendingPathComponent("reference/tiny.yaml"))
        config = config.asPocketTTS111()  // the fixtures are pocket-tts 1.1.1's
        return try TTSModel.load(config: config, weightsPath: Fixture.path("reference/tiny_weights.safetensors"),
                                 tokenizerPath: Fixture.path("tokenizer/test_tokenizer.model"), precision: .int8)
    }

    /// The audio of `frames`' latents decoded alone, one frame per call, a fresh state per chunk.
    static func decodedAlone(_ frames: [GeneratedFrame], _ model: TTSModel) -> [Float] {
        let decoder = model.mimi.decoder
        var state = decoder.makeState()
        var chunk = frames.first?.chunk ?? 0
        var audio: [Float] = []
        for frame in frames {
            if frame.chunk != chunk { (state, chunk) = (decoder.makeState(), frame.chunk) }
            var latent: [Float] = []
            model.flowLM.normalization.denormalize(frame.latent, appendingTo: &latent)
            audio += decoder.step(Tensor(shape: [1, latent.count], data: latent), state: &state).data
        }
        return audio
    }

    @Test(.enabled(if: SkinnyLinear.hasAVX512, "without AVX-512 the decoder stays exact"))
    func theFastDecoderIsBatchInvariantAndTheExactOneIsNot() throws {
        #expect(try Self.model.get().mimi.decoder.isBatchInvariant)
        #expect(try !Fixture.model().mimi.decoder.isBatchInvariant)
    }

    /// One consumer thread serving 1 + 3 streams: the first alone for its first frames, then
    /// beside the others (other texts, so other positions and chunk boundaries).
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count")) func eachStreamsAudioIsItsLatentsDecodedAloneBitForBit() throws {
        let model = try Self.model.get()
        let engine = Engine(model: model, configuration: EngineConfiguration(maxQueuedFrames: 4, consumerThreads: 1))
        engine.start()
        defer { engine.stop() }
        let voice = try Fixture.voice()
        func open(_ text: String, seed: UInt64) throws -> RecordingSink {
            let sink = RecordingSink()
            let id = try engine.openStream(voice: voice, options: EngineLifecycleTests.fixed(12, seed: seed), sink: sink)
            try engine.enqueue(text: text, to: id)
            engine.finish(id)
            return sink
        }
        let first = try open(Fixture.texts[2], seed: 1)
        #expect(first.waitForFrames(3))
        let others = try (1...3).map { try open(Fixture.texts[($0 + 2) % Fixture.texts.count], seed: UInt64(10 + $0)) }
        for (s, sink) in ([first] + others).enumerated() {
            #expect(sink.waitForEnd())
            let frames = sink.frames
            #expect(!frames.isEmpty)
            let same = frames.flatMap(\.audio).map(\.bitPattern) == Self.decodedAlone(frames, model).map(\.bitPattern)
            #expect(same, "stream \(s): batched audio differs from its frames decoded alone")
        }
    }
}
