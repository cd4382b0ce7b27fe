// `TTSModel.precisionFallbacks`: which parts of a model built for bf16/int8 multiply in a slower
// arithmetic on this CPU (issue 20 item 3: fall back per layer, and say so once at load).
import Foundation
import Kernels
import Testing
@testable import PocketTTS

@Suite struct PrecisionFallbackTests {
    /// The CPU runs every reduced kernel (AVX-512 with BF16 and VNNI).
    static let fullyAccelerated = SkinnyLinear.hasAVX512 && SkinnyLinear.hasAVX512BF16 && SkinnyLinear.hasAVX512VNNI

    static func demo(_ name: String, _ precision: Precision) throws -> TTSModel {
        let config = try ModelCatalog.config(named: name)
        let tokenizer = try Tokenizer(path: try TTSModelTests.tokenizerPath(), kind: .sentencePiece)
        return try TTSModel.demo(config: config, seed: 5, tokenizer: tokenizer, precision: precision)
    }

    @Test(arguments: ["english_2m_2026-10", "english_7m_2026-10"], [Precision.bf16, .int8])
    func tinyShapesTakeTheReducedKernels(name: String, precision: Precision) throws {
        let model = try Self.demo(name, precision)
        let fallbacks = model.precisionFallbacks(precision)
        if Self.fullyAccelerated {
            // Widths 112/224, 3 heads with 1 KV head, SEANet widths of 24: no layer falls back.
            #expect(fallbacks.isEmpty, "\(fallbacks)")
            #expect(!model.mimi.decoder.transformer.isExact)
        } else if !SkinnyLinear.hasAVX512 {
            #expect(fallbacks.contains { $0.hasPrefix("mimi.decoder: exact") }, "\(fallbacks)")
        } else {
            #expect(!fallbacks.isEmpty)
        }
        #expect(model.precisionFallbacks(.exact).isEmpty)
    }

    @Test func anExactModelHasNoFallbacks() throws {
        let model = try Self.demo("english_2m_2026-10", .exact)
        #expect(model.mimi.decoder.transformer.isExact)
        #expect(model.precisionFallbacks(.exact).isEmpty)
        // Asked of an exact-built model, a reduced precision names the decoder that stayed exact.
        #expect(model.precisionFallbacks(.int8).contains { $0.hasPrefix("mimi.decoder: exact") })
    }
}
