import Kernels
import Testing
@testable import PocketTTS

/// The Mimi decoder with bfloat16 products (`Precision.bf16` / `.int8`): close to exact, streaming
/// equal to one pass bit for bit, and `exact` untouched by the option.
@Suite struct MimiDecoderPrecisionTests {
    typealias S = MimiTestSupport

    static func mimi(_ precision: Precision) throws -> Mimi {
        let reader = WeightReader(tensors: S.randomWeights(S.tinyConfig, seed: 7))
        let mimi = try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), precision: precision)
        try reader.finish()
        return mimi
    }

    /// Every transformer linear and SEANet conv of the decoder gets panels; the encoder and the
    /// exact decoder none.
    @Test func fastPrecisionsPackTheDecoderOnly() throws {
        let exact = try Self.mimi(.exact)
        #expect(exact.decoder.transformer.layers.allSatisfy { $0.panels == nil })
        #expect(exact.decoder.seanet.inputConv.panels == nil)
        for precision in [Precision.bf16, .int8] {
            let m = try Self.mimi(precision)
            #expect(m.decoder.transformer.layers.allSatisfy { $0.panels != nil })
            #expect(m.decoder.seanet.inputConv.panels != nil && m.decoder.seanet.outputConv.panels != nil)
            #expect(m.decoder.seanet.stages.allSatisfy { stage in
                stage.upsample.panels != nil && stage.residuals.allSatisfy { $0.conv1.panels != nil && $0.conv2.panels != nil }
            })
            #expect(m.decoder.upsample.panels == nil)  // depthwise: exact loop
            #expect(m.encoder.seanet.inputConv.panels == nil && m.encoder.transformer.layers.allSatisfy { $0.panels == nil })
        }
    }

    /// Audio within bfloat16 rounding of the exact decoder's (a few parts in a thousand of the
    /// largest sample on the tiny model), and the exact decoder's bits unchanged by loading a fast one.
    @Test func bfloat16AudioIsCloseToExact() throws {
        let (exact, fast) = (try Self.mimi(.exact), try Self.mimi(.bf16))
        let latents = Tensor.random([6, exact.decoder.latentDimension], seed: 3)
        let want = exact.decoder.decode(frames: latents)
        let got = fast.decoder.decode(frames: latents)
        let error = S.scaledError(got, want)
        #expect(error > 0 && error <= 2e-2, "scaled error \(error)")
        #expect(try S.randomMimi().decoder.decode(frames: latents).data.map(\.bitPattern) == want.data.map(\.bitPattern))
    }

    /// Streaming frame by frame, in pairs or all at once gives the same bits (every conv and
    /// linear column is computed alone).
    @Test func streamingEqualsOnePassBitForBit() throws {
        let decoder = try Self.mimi(.bf16).decoder
        let latents = Tensor.random([5, decoder.latentDimension], seed: 9)
        let whole = decoder.decode(frames: latents)
        var state = decoder.makeState()
        var parts: [Float] = []
        for (start, count) in [(0, 1), (1, 2), (3, 1), (4, 1)] {
            parts += decoder.step(S.rows(latents, start, count), state: &state).data
        }
        #expect(parts.map(\.bitPattern) == whole.data.map(\.bitPattern))
    }
}
