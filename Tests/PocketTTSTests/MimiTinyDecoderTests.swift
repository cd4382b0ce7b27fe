// The tiny models' own Mimi decoder (english_2m_2026-10: d_model 128, 4 heads of 32, context 50,
// feed-forward 384; SEANet n_filters 24, kernel 3: widths that are not multiples of 16) on
// seeded random weights: streaming equals batch, and the reduced precisions against exact.
import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct MimiTinyDecoderTests {
    typealias S = MimiTestSupport

    /// english_2m_2026-10's Mimi with the encoder narrowed to 64 (it is not under test here).
    static let config: MimiConfig = {
        var config = try! ModelCatalog.config(named: "english_2m_2026-10")
        config.mimi.seanet.dimension = 64
        config.mimi.transformer = MimiTransformerConfig(
            modelDimension: 64, inputDimension: 64, outputDimensions: [64], headCount: 4, layerCount: 1, layerScale: 0.01,
            context: 250, feedForwardDimension: 128)
        return config.mimi
    }()

    /// Seeded `RandomWeights` of the layout, LayerScale raised to 0.5 so the transformer counts.
    static let tensors: [String: Tensor] = {
        var whole = try! ModelCatalog.config(named: "english_2m_2026-10")
        whole.mimi = config
        var tensors: [String: Tensor] = [:]
        for spec in ModelLayout.tensors(for: whole) where spec.name.hasPrefix("mimi.") {
            var values = RandomWeights.values(for: spec, seed: 21)
            if spec.name.hasSuffix(".scale") { values = values.map { _ in 0.5 } }
            tensors[spec.name] = Tensor(shape: spec.shape, data: values)
        }
        return tensors
    }()

    static func mimi(_ precision: Precision = .exact) throws -> Mimi {
        let reader = WeightReader(tensors: tensors)
        let mimi = try Mimi(config: config, weights: reader.scoped("mimi."), geluApproximation: .tanh, precision: precision)
        try reader.finish()
        return mimi
    }

    /// The decoder with the reduced precisions' arithmetic forced, whatever the CPU (without
    /// AVX-512, `Mimi.init` keeps the decoder exact; the kernels' portable C code runs here):
    /// as `Mimi.init` picks it on an AVX512-BF16/VNNI CPU.
    static func forcedDecoder(_ precision: Precision) throws -> MimiDecoder {
        let reader = WeightReader(tensors: tensors)
        let arithmetic: MimiTransformerLayer.Arithmetic = precision == .int8 ? .int8 : .packed(.bfloat16)
        return try Mimi.loadDecoder(config, reader.scoped("mimi."), gelu: .tanh, arithmetic: arithmetic) { columns, isOutput in
            precision == .int8 && !isOutput ? .int8 : columns <= 16 ? .bfloat16 : .float32
        }
    }

    static let latents = Tensor.random([12, 32], seed: 31)

    @Test func shapesAreTheTinyDecoders() throws {
        let decoder = try Self.mimi().decoder
        #expect(decoder.transformer.dModel == 128 && decoder.transformer.attention.headDim == 32)
        #expect(decoder.transformer.context == 50 && decoder.transformer.layers.count == 4)
        #expect(decoder.seanet.outputConv.inChannels == 24 && decoder.seanet.inputConv.conv.kernelSize == 3)
        #expect(decoder.upsample.inChannels == 128 && decoder.frameLength == 1920)
    }

    /// 4.0.1's attention (a linear cache, each query seeing the keys within `context` of it)
    /// equals the decoder's streaming ring of `ringCapacity` = context + 15 slots, frame after
    /// frame of 16 queries: the same as the whole sequence at once with the band mask. 1.1.1's
    /// ring of `context` slots loses keys once it wraps (192 steps through 50 here).
    @Test func ringKeepsEveryKeyTheContextMaskSees() throws {
        let decoder = try Self.mimi().decoder
        let transformer = decoder.transformer
        #expect(decoder.ringCapacity == 65)
        let x = Tensor.random([192, 128], seed: 41)
        let whole = transformer(x)  // model_state=None: the band mask over all 192 positions
        func streamed(capacity: Int) -> Tensor {
            var state = transformer.makeState(capacity: capacity)
            return S.concatRows((0..<12).map { transformer.step(S.rows(x, 16 * $0, 16), state: &state) })
        }
        let error = S.scaledError(streamed(capacity: decoder.ringCapacity), whole)
        let ringError = S.scaledError(streamed(capacity: transformer.context), whole)
        print("mimi tiny decoder: streamed vs whole \(error), 1.1.1 ring vs whole \(ringError)")
        #expect(error <= 1e-5)
        #expect(ringError > 1e-3)
    }

    /// Random frame chunks through one state equal one call (12 frames: 192 steps through a
    /// ring of 50).
    @Test func steppingRandomChunksEqualsDecodingAtOnce() throws {
        let decoder = try Self.mimi().decoder
        let whole = decoder.decode(frames: Self.latents, fadingIn: false)
        for seed in UInt64(1)..<4 {
            var state = decoder.makeState(fadingIn: false)
            var parts: [Tensor] = []
            var frame = 0
            for n in S.randomChunks(total: 12, unit: 1, maxUnits: 4, seed: seed) {
                parts.append(decoder.step(S.rows(Self.latents, frame, n), state: &state))
                frame += n
            }
            #expect(S.scaledError(S.concatColumns(parts), whole) <= 1e-5)
        }
    }

    /// `forwardBatch` over 3 streams at different positions equals each stream decoded alone:
    /// bit for bit in the reduced precisions, to summation order on the exact path.
    @Test(arguments: [Precision.exact, .bf16, .int8])
    func batchEqualsAlone(precision: Precision) throws {
        let decoder = precision == .exact ? try Self.mimi().decoder : try Self.forcedDecoder(precision)
        #expect(decoder.isBatchInvariant == (precision != .exact))
        var alone = (0..<3).map { _ in decoder.makeState() }
        var batched = alone
        var scratch = MimiDecoder.BatchScratch()
        for s in 0..<3 {  // stream s starts 5·s frames ahead (the last one's ring has wrapped)
            for f in 0..<5 * s { _ = decoder.step(S.rows(Self.latents, f % 12, 1), state: &alone[s]) }
            for f in 0..<5 * s { _ = decoder.step(S.rows(Self.latents, f % 12, 1), state: &batched[s]) }
        }
        for step in 0..<3 {
            let rows = (0..<3).map { S.rows(Self.latents, $0 + step, 1) }
            let want = (0..<3).flatMap { decoder.step(rows[$0], state: &alone[$0]).data }
            let got = S.forwardBatch(decoder, S.concatRows(rows), &batched, &scratch)
            if decoder.isBatchInvariant {
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "step \(step)")
            } else {
                #expect(Tensor.maxAbsDifference(got, want) <= 1e-5 * max(1, want.map(abs).max()!), "step \(step)")
            }
        }
    }

    static func snr(_ got: Tensor, _ want: Tensor) -> Double {
        let signal = want.data.reduce(0.0) { $0 + Double($1) * Double($1) }
        let noise = zip(got.data, want.data).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return 10 * log10(signal / max(noise, 1e-30))
    }

    /// The reduced precisions' arithmetic runs the tiny decoder (every transformer projection and
    /// SEANet conv packed: no layer falls back) and stays close to exact: audio SNR in dB.
    /// Measured here (portable C kernels): bf16 70 dB, int8 49 dB.
    @Test(arguments: [Precision.bf16, .int8])
    func reducedPrecisionAgainstExact(precision: Precision) throws {
        let exact = try Self.mimi().decoder.decode(frames: Self.latents)
        let fast = try Self.forcedDecoder(precision)
        #expect(fast.exactFallbackLayers.isEmpty)
        let audio = fast.decode(frames: Self.latents)
        let finite = audio.data.allSatisfy { $0.isFinite }
        #expect(finite)
        let snr = Self.snr(audio, exact)
        print("mimi tiny decoder \(precision) (forced): SNR \(snr) dB against exact")
        #expect(snr >= 30, "SNR \(snr) dB")
        // The precision as `Mimi.init` applies it on this CPU (exact without AVX-512).
        let chosen = try Self.mimi(precision).decoder
        print("mimi tiny decoder \(precision) (this CPU): SNR \(Self.snr(chosen.decode(frames: Self.latents), exact)) dB, "
              + "exact layers \(chosen.exactFallbackLayers)")
        #expect(chosen.exactFallbackLayers.isEmpty)
    }
}
