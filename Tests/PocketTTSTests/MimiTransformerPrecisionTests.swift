import Foundation
import Kernels
import Testing
@testable import PocketTTS

/// The decoder transformer in the reduced precisions' arithmetic (`MimiTransformerLayer.Arithmetic`:
/// packed or int8 projections, the ring attention of CKernels mimi_attention.c, the vectorized
/// GELU) against the naive loops of `MimiTransformerTests` with the reference's ring mask. The
/// layers' updates are compared (y − x): with LayerScale 0.01 the output is mostly its input.
@Suite struct MimiTransformerPrecisionTests {
    typealias S = MimiTestSupport

    static func transformer(_ arithmetic: MimiTransformerLayer.Arithmetic) throws -> MimiTransformer {
        let reader = WeightReader(tensors: S.randomWeights(S.tinyConfig, seed: 3))
        return try Mimi.loadTransformer(S.tinyConfig.transformer, reader.scoped("mimi.decoder_transformer."),
                                        gelu: .none, arithmetic: arithmetic)
    }

    /// Largest |Δ update| over the largest |update|.
    static func updateError(_ got: Tensor, _ expected: Tensor, input x: Tensor) -> Float {
        let a = Tensor(shape: x.shape, data: zip(got.data, x.data).map { $0 - $1 })
        let b = Tensor(shape: x.shape, data: zip(expected.data, x.data).map { $0 - $1 })
        return Tensor.maxAbsDifference(a, b) / b.maxAbs
    }

    /// Frames of 16 rows through a ring of `context` slots (wrapping after the second frame),
    /// every ring update and query as the reference's. With f32 products what is left is the
    /// bfloat16 ring (keys and values rounded as stored) and the vectorized e^x / erf; bfloat16
    /// and int8 products add their rounding. (Measured: 1.6e-3, 5.4e-3, 1.2e-2; with an f32 ring
    /// the first was 6.5e-7.)
    @Test(arguments: [(MimiTransformerLayer.Arithmetic.packed(.float32), Float(4e-3)), (.packed(.bfloat16), 1e-2),
                      (.int8, 2.5e-2)])
    func framesThroughTheRingMatchTheReferenceMask(arithmetic: MimiTransformerLayer.Arithmetic, tolerance: Float) throws {
        let m = try Self.transformer(arithmetic)
        #expect(!m.isExact && m.layers.allSatisfy { $0.arithmetic == arithmetic })
        let (T, chunk) = (6 * 16, 16)
        let x = Tensor.random([T, 32], seed: 4)
        let expected = MimiTransformerTests().naive(m, x) { p, q in
            let last = (p / chunk) * chunk + chunk - 1
            return q <= p && p - q < m.context && q > last - m.context
        }
        var state = m.makeState(capacity: m.context)
        let out = S.concatRows((0..<T / chunk).map { m.step(S.rows(x, $0 * chunk, chunk), state: &state) })
        let error = Self.updateError(out, expected, input: x)
        #expect(error <= tolerance, "update error \(error)")
    }

    /// The exact transformer keeps its f32 ring ([capacity, d] per layer); the reduced one stores
    /// bfloat16 slots, the keys channel-major with slots padded to 16: half the bytes.
    @Test func ringLayoutFollowsTheArithmetic() throws {
        let exact = try Self.transformer(.exact), fast = try Self.transformer(.int8)
        let (e, f) = (exact.makeState(capacity: 20), fast.makeState(capacity: 20))
        #expect(e.keys.count == 2 * 20 * 32 && e.values.count == 2 * 20 * 32 && e.keyBits.count == 1)
        #expect(f.valueBits.count == 2 * 20 * 32 && f.keyBits.count == 2 * 32 * 32 && f.keys.count == 1)
        #expect(exact.ringBytes(capacity: 20) == 2 * (2 * 20 * 32 * 4 + 20 * 8))
        #expect(fast.ringBytes(capacity: 20) == 2 * ((32 * 32 + 20 * 32) * 2 + 20 * 8))
    }
}
