import Foundation
import PocketTTS
import Kernels
import Testing
@testable import TTSEngine

/// Results do not depend on scheduling: how frames are batched for Mimi, how prompts are
/// sliced beside other streams and which streams step together.
@Suite struct EngineDeterminismTests {
    @Test func runsEndAtFixedFrameIndices() {
        #expect((0..<7).filter(Consumer.runEnds(at:)) == [0, 2, 4, 6])
    }

    /// The same stream with its consumer held up at the first frame (a backlog: every queued
    /// frame taken at once) and without: the same audio, bit for bit.
    @Test func aBackloggedConsumerDecodesTheSameAudioBitForBit() throws {
        let options = EngineLifecycleTests.fixed(13, seed: 5)
        let text = Fixture.texts[1]
        func run(holdFirstFrame: Bool) throws -> [GeneratedFrame] {
            let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 8))
            defer { engine.stop() }
            let gate = Gate()
            defer { gate.open() }
            let sink = RecordingSink { _, frame in if holdFirstFrame && frame.chunk == 0 && frame.index == 0 { gate.waitOpen() } }
            _ = try engine.speak(text, options: options, sink: sink)
            if holdFirstFrame {
                #expect(gate.waitEntered())
                Thread.sleep(forTimeInterval: 0.3)  // lets the producer fill the queue (not asserted)
                gate.open()
            }
            #expect(sink.waitForEnd())
            return sink.frames
        }
        let held = try run(holdFirstFrame: true)
        let free = try run(holdFirstFrame: false)
        #expect(held.count == free.count && !held.isEmpty)
        let same = held.flatMap(\.audio).map(\.bitPattern) == free.flatMap(\.audio).map(\.bitPattern)
        #expect(same, "audio differs with a backlog")
    }

    /// A stream prompted in slices beside a stepping one, its steps batched with the other's:
    /// the latents and EOS logits of `TTSModel.generate` alone, bit for bit.
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "bit-exact batching and worker splits need the AVX-512 kernels; elsewhere OpenBLAS blocks by row count")) func besideAnotherStreamTheLatentsAreThoseOfGenerateBitForBit() throws {
        let text = Fixture.texts[0]
        let engine = try Engine.tiny(EngineConfiguration(maxQueuedFrames: 2, prefillSliceTokens: 2))
        defer { engine.stop() }
        let gate = Gate()
        defer { gate.open() }
        let a = RecordingSink { _, frame in if frame.index == 0 { gate.waitOpen() } }
        let (optionsA, optionsB) = (EngineLifecycleTests.fixed(9, seed: 1), EngineLifecycleTests.fixed(7, seed: 2))
        _ = try engine.speak(text, options: optionsA, sink: a)
        #expect(gate.waitEntered())
        let b = RecordingSink()
        _ = try engine.speak(Fixture.texts[1], options: optionsB, sink: b)
        gate.open()
        #expect(a.waitForEnd() && b.waitForEnd())
        for (got, want) in [(a.frames, try Fixture.reference(text, options: optionsA)),
                            (b.frames, try Fixture.reference(Fixture.texts[1], options: optionsB))] {
            #expect(got.map { [$0.chunk, $0.index] } == want.map { [$0.chunk, $0.index] })
            let same = got.flatMap(\.latent).map(\.bitPattern) == want.flatMap(\.latent).map(\.bitPattern)
            #expect(same, "latents differ from generate's")
            #expect(got.map(\.eosLogit.bitPattern) == want.map(\.eosLogit.bitPattern))
        }
    }
}
