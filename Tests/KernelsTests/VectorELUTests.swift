import Testing
@testable import Kernels

@Suite struct VectorELUTests {
    /// Against libm expm1f (Kernels.Activation.elu) over the whole useful range.
    @Test func matchesScalarELU() {
        var values: [Float] = [0, -0.0, 1e-8, -1e-8, -1e-3, 0.5, -0.3465, -0.3466, -1, -5, -17, -20, -87, -88, -100, -1e30, 3]
        var rng = SplitMix64(seed: 1)
        for _ in 0..<20_000 { values.append(Float.random(in: -30...2, using: &rng)) }
        for _ in 0..<5_000 { values.append(Float.random(in: -1...0, using: &rng) * Float.random(in: 0...1, using: &rng)) }
        values.append(-20)  // odd count: exercises the scalar tail
        let expected = Activation.elu(Tensor(shape: [values.count], data: values))
        var got = values
        got.withUnsafeMutableBufferPointer { VectorELU.apply($0.baseAddress!, count: $0.count) }
        var worst: Float = 0
        for i in values.indices {
            let e = expected.data[i]
            worst = max(worst, abs(got[i] - e) / max(abs(e), 1e-30))
        }
        #expect(worst <= 4e-7, "worst relative error \(worst)")
        var nan: [Float] = [.nan]
        nan.withUnsafeMutableBufferPointer { VectorELU.apply($0.baseAddress!, count: 1) }
        #expect(nan[0].isNaN)
    }
}
