import Foundation
import PocketTTS
import Testing
@testable import TTSEngine

/// The engine produces the frames of the single-threaded `TTSModel.generate`, whatever the
/// batching, the prompt slicing and the streams around.
@Suite struct EngineParityTests {
    static let chunky = 20  // maxTokens: several chunks per text

    /// At temperature 0 the chunks end by EOS + frames-after-EOS, at 0.7 by the length limit.
    @Test(arguments: [Float(0), 0.7], [1, 2])
    func singleStreamEqualsGenerate(temperature: Float, consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(prefillSliceTokens: 5, consumerThreads: consumers))
        defer { engine.stop() }
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: temperature), maxTokens: Self.chunky,
                                        maxFrames: temperature == 0 ? nil : 3, seed: 42)
        let text = Fixture.texts[1]
        let sink = RecordingSink()
        _ = try engine.speak(text, options: options, sink: sink)
        #expect(sink.waitForEnd())
        let want = try Fixture.reference(text, options: options)
        #expect(Set(want.map(\.chunk)).count > 1, "the text should make several chunks")
        expectSameFrames(sink.frames, want, "T=\(temperature)")
        // Chunk ends follow each chunk's last frame; streamDidFinish is the last call.
        var expected: [String] = []
        for (k, frame) in want.enumerated() {
            expected.append("f\(frame.chunk).\(frame.index)")
            if k + 1 == want.count || want[k + 1].chunk != frame.chunk { expected.append("c\(frame.chunk)") }
        }
        expected.append("end")
        #expect(sink.events.map(Self.label) == expected)
        #expect(engine.activeStreamCount == 0)
    }

    /// `TTSModel.generate` and the engine's producer drive the same `GenerationStream`. Alone,
    /// a stream is prompted whole (nothing to stall) and stepped in batches of one, the same
    /// arithmetic as `FlowLM.step`: the machine's decisions (frames per chunk, chunk ends), the
    /// latents and the EOS logits are identical, bit for bit. The audio is not quite: the
    /// consumer decodes a run of queued frames in one Mimi call (up to `Consumer.maxRun`),
    /// whose matrix products over several frames sum in another order than `generate`'s
    /// one-frame calls (measured: 1 ulp-scale differences, ~1e-7), and the run lengths depend on
    /// thread timing, so `generate` cannot copy them. The audio is compared within the parity
    /// tolerance (1e-5); frames decoded alone match exactly.
    @Test(arguments: [Float(0), 0.7])
    func aLoneStreamHasTheDecisionsAndLatentsOfGenerateBitForBit(temperature: Float) throws {
        let engine = try Engine.tiny()
        defer { engine.stop() }
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: temperature), maxTokens: Self.chunky,
                                        maxFrames: temperature == 0 ? nil : 3, seed: 42)
        let text = Fixture.texts[2]
        let sink = RecordingSink()
        _ = try engine.speak(text, options: options, sink: sink)
        #expect(sink.waitForEnd())
        let want = try Fixture.reference(text, options: options)
        #expect(Set(want.map(\.chunk)).count > 1, "the text should make several chunks")
        let got = sink.frames
        #expect(got.map { [$0.chunk, $0.index] } == want.map { [$0.chunk, $0.index] })
        let chunkEnds = sink.events.compactMap { if case .chunkDone(let c) = $0 { c } else { nil } }
        #expect(chunkEnds == Array(0...(want.last?.chunk ?? -1)))
        #expect(got.map(\.latent) == want.map(\.latent), "latents")
        #expect(got.map(\.eosLogit) == want.map(\.eosLogit), "EOS logits")
        #expect(want.allSatisfy { $0.audio.count == engine.model.frameLength })
        expectClose(got.flatMap(\.audio), want.flatMap(\.audio), 1e-5, "audio")
    }

    static func label(_ event: RecordingSink.Event) -> String {
        switch event {
        case .frame(let f): "f\(f.chunk).\(f.index)"
        case .chunkDone(let c): "c\(c)"
        case .finished: "end"
        case .failed(let e): "fail \(e)"
        }
    }

    /// Four streams at once (two share sampling settings and are batched together, two are
    /// alone in their group), each equal to its own single-threaded run, with one consumer
    /// thread or two (two streams pinned to each).
    @Test(arguments: [1, 2])
    func fourConcurrentStreamsEachEqualTheirSingleRun(consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(prefillSliceTokens: 7, consumerThreads: consumers))
        defer { engine.stop() }
        let warm = FlowLMSampling(temperature: 0.7)
        let options = [
            GenerationOptions(sampling: warm, maxFrames: 3, seed: 1),
            GenerationOptions(sampling: warm, maxFrames: 3, seed: 2),
            GenerationOptions(sampling: FlowLMSampling(temperature: 0), maxFrames: 3, seed: 3),
            GenerationOptions(sampling: FlowLMSampling(temperature: 0.5, lsdSteps: 2, noiseClamp: 1), maxFrames: 3, seed: 4),
        ]
        let sinks = options.map { _ in RecordingSink() }
        for k in 0..<4 {
            let id = try engine.openStream(voice: try Fixture.voice(), options: options[k], sink: sinks[k])
            try engine.enqueue(text: Fixture.texts[k], to: id)
            engine.finish(id)
        }
        for k in 0..<4 {
            #expect(sinks[k].waitForEnd())
            expectSameFrames(sinks[k].frames, try Fixture.reference(Fixture.texts[k], options: options[k]), "stream \(k)")
        }
        // Least loaded: alternating; each stream's calls all on its one consumer thread.
        #expect(sinks.map(\.threads) == (0..<4).map { ["tts-consumer-\($0 % consumers)"] })
    }

    /// Streams opened from inside another stream's sink, while it is generating (one or two
    /// consumer threads).
    @Test(arguments: [1, 2])
    func streamsJoiningMidwayEqualTheirSingleRun(consumers: Int) throws {
        let engine = try Engine.tiny(EngineConfiguration(prefillSliceTokens: 4, consumerThreads: consumers))
        defer { engine.stop() }
        let first = GenerationOptions(sampling: FlowLMSampling(temperature: 0.7, eosThreshold: 1e9), maxFrames: 8, seed: 5)
        let late = (0..<2).map { k in
            GenerationOptions(sampling: FlowLMSampling(temperature: 0.7), maxFrames: 3, seed: UInt64(10 + k))
        }
        let lateSinks = [RecordingSink(), RecordingSink()]
        let voice = try Fixture.voice()
        let joinErrors = RecordingSink()  // records nothing unless a join fails
        let sink = RecordingSink { [weak engine] _, frame in
            guard let engine, frame.index == 2 || frame.index == 5 else { return }
            let k = frame.index == 2 ? 0 : 1
            do {
                let id = try engine.openStream(voice: voice, options: late[k], sink: lateSinks[k])
                try engine.enqueue(text: Fixture.texts[k + 1], to: id)
                engine.finish(id)
            } catch {
                joinErrors.stream(StreamID(rawValue: 0), didFail: error)
            }
        }
        _ = try engine.speak(Fixture.texts[0], options: first, sink: sink)
        #expect(sink.waitForEnd())
        for k in 0..<2 { #expect(lateSinks[k].waitForEnd()) }
        #expect(joinErrors.events.isEmpty)
        expectSameFrames(sink.frames, try Fixture.reference(Fixture.texts[0], options: first), "first")
        for k in 0..<2 {
            expectSameFrames(lateSinks[k].frames, try Fixture.reference(Fixture.texts[k + 1], options: late[k]), "late \(k)")
        }
    }

    /// Text enqueued in several pieces is spoken in order, chunk numbers continuing; at
    /// temperature 0 each piece equals its own `generate`.
    @Test func textEnqueuedInPiecesIsSpokenInOrder() throws {
        let engine = try Engine.tiny()
        defer { engine.stop() }
        let options = GenerationOptions(sampling: FlowLMSampling(temperature: 0), maxTokens: Self.chunky, maxFrames: 2)
        let sink = RecordingSink()
        let id = try engine.openStream(voice: try Fixture.voice(), options: options, sink: sink)
        try engine.enqueue(text: Fixture.texts[1], to: id)
        try engine.enqueue(text: Fixture.texts[0], to: id)
        #expect(sink.waitForFrames(1))
        try engine.enqueue(text: Fixture.texts[3], to: id)
        engine.finish(id)
        #expect(throws: EngineError.streamFinished) { try engine.enqueue(text: "More.", to: id) }
        #expect(sink.waitForEnd())
        var want: [GeneratedFrame] = []
        for text in [Fixture.texts[1], Fixture.texts[0], Fixture.texts[3]] {
            let offset = (want.last?.chunk ?? -1) + 1
            want += try Fixture.reference(text, options: options).map { var f = $0; f.chunk += offset; return f }
        }
        expectSameFrames(sink.frames, want, "pieces")
    }

    /// Prompting a chunk slice by slice gives the caches of one call (positions continue).
    @Test(arguments: [1, 3, 16])
    func slicedPromptEqualsOneCall(slice: Int) throws {
        let model = try Fixture.model()
        let tokens = try #require(try model.chunks(for: Fixture.texts[1]).first).tokens
        var whole = try Fixture.voice()
        try model.flowLM.prompt(textTokens: tokens, state: &whole)
        var sliced = try Fixture.voice()
        for start in stride(from: 0, to: tokens.count, by: slice) {
            try model.flowLM.prompt(textTokens: Array(tokens[start..<min(tokens.count, start + slice)]), state: &sliced)
        }
        #expect(sliced.length == whole.length)
        for layer in 0..<whole.cache.layerCount {
            for kv in 0..<2 {
                expectClose(sliced.cache.rows(layer: layer, kv: kv), whole.cache.rows(layer: layer, kv: kv), 1e-5,
                            "layer \(layer) kv \(kv)")
            }
        }
    }
}
