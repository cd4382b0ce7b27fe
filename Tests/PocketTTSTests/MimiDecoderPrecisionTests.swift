import Kernels
import Testing
@testable import PocketTTS

/// The Mimi decoder under `Precision.bf16` / `.int8` (`PackedWeights`: bfloat16 products for the
/// layers that see 16 steps per frame, f32 for the wider ones): close to exact, streaming equal
/// to one pass, and `exact` untouched by the option.
@Suite struct MimiDecoderPrecisionTests {
    typealias S = MimiTestSupport

    static func mimi(_ precision: Precision) throws -> Mimi {
        let reader = WeightReader(tensors: S.randomWeights(S.tinyConfig, seed: 7))
        let mimi = try Mimi(config: S.tinyConfig, weights: reader.scoped("mimi."), geluApproximation: .none, precision: precision)
        try reader.finish()
        return mimi
    }

    /// Every transformer linear and SEANet conv of the decoder gets packed weights (bfloat16 up to
    /// 16 steps per frame, f32 beyond; under int8 int8 for SEANet but its output conv); the
    /// encoder and the exact decoder none.
    @Test(.enabled(if: SkinnyLinear.hasAVX512BF16, "the packing follows the CPU"))
    func fastPrecisionsPackTheDecoderOnly() throws {
        let exact = try Self.mimi(.exact)
        #expect(exact.decoder.transformer.layers.allSatisfy { $0.reduced == nil && $0.arithmetic == .exact })
        #expect(exact.decoder.transformer.isExact)
        #expect(exact.decoder.seanet.inputConv.panels == nil)
        for precision in [Precision.bf16, .int8] {
            let m = try Self.mimi(precision)
            #expect(m.decoder.transformer.layers.allSatisfy { $0.reduced != nil } && !m.decoder.transformer.isExact)
            #expect(m.decoder.seanet.inputConv.panels != nil && m.decoder.seanet.outputConv.panels != nil)
            #expect(m.decoder.seanet.stages.allSatisfy { stage in
                stage.upsample.panels != nil && stage.residuals.allSatisfy { $0.conv1.panels != nil && $0.conv2.panels != nil }
            })
            #expect(m.decoder.upsample.panels == nil)  // depthwise: exact loop
            // int8 on VNNI: the transformer's projections through the VNNI kernel (Int8Weights), and
            // SEANet's convs in int8 but the output conv (its noise is the audio's).
            let arithmetic: MimiTransformerLayer.Arithmetic = precision == .int8 && SkinnyLinear.hasAVX512VNNI
                ? .int8 : .packed(.bfloat16)
            #expect(m.decoder.transformer.layers.allSatisfy { $0.arithmetic == arithmetic })
            let int8 = precision == .int8 && PackedWeights.hasAcceleratedInt8
            #expect(m.decoder.seanet.inputConv.panels?.products == (int8 ? .int8 : .bfloat16))
            #expect(m.decoder.seanet.stages[0].upsample.panels?.products == (int8 ? .int8 : .bfloat16))
            #expect(m.decoder.seanet.stages[0].residuals[0].conv1.panels?.products == (int8 ? .int8 : .float32))
            #expect(m.decoder.seanet.stages.last?.residuals.last?.conv2.panels?.products == (int8 ? .int8 : .float32))
            #expect(m.decoder.seanet.outputConv.panels?.products == .float32)
            #expect(m.encoder.seanet.inputConv.panels == nil && m.encoder.transformer.isExact)
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
        #expect(error <= 2e-2, "scaled error \(error)")
        #expect(try S.randomMimi().decoder.decode(frames: latents).data.map(\.bitPattern) == want.data.map(\.bitPattern))
    }

    /// int8 (the transformer's projections on int8 weights and per-row int8 activations, SEANet's
    /// convs on int8 products where VNNI runs them): within int8 rounding of the exact decoder's
    /// audio, and streaming in calls of 1 or 2 frames close to one pass (each column is quantized
    /// on its own, so only the transposed convs' overlap order differs, and the rounding of values
    /// that land near a quantization step).
    @Test func int8AudioIsCloseToExactAndStreams() throws {
        let (exact, fast) = (try Self.mimi(.exact), try Self.mimi(.int8))
        let latents = Tensor.random([5, exact.decoder.latentDimension], seed: 3)
        let want = exact.decoder.decode(frames: latents)
        let whole = fast.decoder.decode(frames: latents)
        let error = S.scaledError(whole, want)
        #expect(error <= 5e-2, "scaled error \(error)")
        var state = fast.decoder.makeState()
        var parts: [Float] = []
        for (start, count) in [(0, 1), (1, 2), (3, 1), (4, 1)] {
            parts += fast.decoder.step(S.rows(latents, start, count), state: &state).data
        }
        let streamed = S.scaledError(Tensor(shape: whole.shape, data: parts), whole)
        #expect(streamed <= 1e-2, "streamed scaled error \(streamed)")
    }

    /// Streaming in calls of 1 or 2 frames equals one pass up to float rounding (the transposed
    /// convs add the previous call's overlap tail in another order, as on the exact path).
    @Test func streamingEqualsOnePass() throws {
        let decoder = try Self.mimi(.bf16).decoder
        let latents = Tensor.random([5, decoder.latentDimension], seed: 9)
        let whole = decoder.decode(frames: latents)
        var state = decoder.makeState()
        var parts: [Float] = []
        for (start, count) in [(0, 1), (1, 2), (3, 1), (4, 1)] {
            parts += decoder.step(S.rows(latents, start, count), state: &state).data
        }
        #expect(S.scaledError(Tensor(shape: whole.shape, data: parts), whole) <= 1e-5)
    }

    /// Decoded one frame per call, a stream's audio is the same bits alone as batched
    /// (`forwardBatch`) with 0, 1, 2 or 3 other streams at other positions (the ring of the
    /// last has wrapped): each transformer row is computed as alone.
    /// Under `int8` the transformer's projections run the VNNI kernel (per-row quantization, exact
    /// integer sums); under `bf16` bfloat16 panels.
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "without AVX-512 the decoder stays exact"),
          arguments: [Precision.int8, .bf16], [1, 2, 3, 4])
    func batchedFramesAreBitForBitTheStreamAlone(precision: Precision, streams: Int) throws {
        let decoder = try Self.mimi(precision).decoder
        let (n, latentDim) = (decoder.frameLength, decoder.latentDimension)
        func frameByFrame(_ latents: Tensor, _ state: inout MimiDecoder.State) -> [Float] {
            (0..<latents.shape[0]).flatMap { decoder.step(S.rows(latents, $0, 1), state: &state).data }
        }
        var alone: [MimiDecoder.State] = []
        for (s, frames) in [0, 3, 7, 25].prefix(streams).enumerated() {
            var state = decoder.makeState()
            if frames > 0 { _ = frameByFrame(Tensor.random([frames, latentDim], seed: UInt64(20 + s)), &state) }
            alone.append(state)
        }
        var batched = alone
        var scratch = MimiDecoder.BatchScratch()
        for round in 0..<3 {
            let latents = Tensor.random([streams, latentDim], seed: UInt64(40 + round))
            let audio = S.forwardBatch(decoder, latents, &batched, &scratch)
            for s in 0..<streams {
                let want = frameByFrame(S.rows(latents, s, 1), &alone[s])
                #expect(audio[s * n..<(s + 1) * n].map(\.bitPattern) == want.map(\.bitPattern), "round \(round), stream \(s)")
            }
        }
    }
}
