import Foundation
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

    /// The AVX-512 code (CKernels elu.c) gives the Swift code's bits (the exact path's ELU runs on
    /// it), over the range, around the −87 clamp and the rounding boundaries, and specials.
    @Test(.enabled(if: SkinnyLinear.hasAVX512, "AVX-512 only"))
    func avx512EqualsSwiftBitForBit() {
        var values: [Float] = [0, -0.0, .nan, -.infinity, .infinity, -.leastNonzeroMagnitude, -.leastNormalMagnitude,
                               -86.99, -87, -87.01, -88, -1e30, 1, 5]
        var rng = SplitMix64(seed: 2)
        for _ in 0..<200_000 { values.append(Float.random(in: -100...3, using: &rng)) }
        for _ in 0..<100_000 { values.append(-Float.random(in: 0...1, using: &rng) * Float.random(in: 0...1, using: &rng)) }
        for e in -40...6 { for m in 0..<64 { values.append(-Float(sign: .plus, exponent: e, significand: 1 + Float(m) / 64)) } }
        values.append(-0.5)  // a count that is not a multiple of 16: the masked tail
        var swift = values, vector = values
        swift.withUnsafeMutableBufferPointer { VectorELU.apply($0.baseAddress!, count: $0.count, path: .scalar) }
        vector.withUnsafeMutableBufferPointer { VectorELU.apply($0.baseAddress!, count: $0.count, path: .avx512) }
        #expect(swift.map(\.bitPattern) == vector.map(\.bitPattern))
        for count in [1, 15, 17, 33] {  // short calls leave what follows untouched
            var part = [Float](repeating: -1, count: 40)
            part.withUnsafeMutableBufferPointer { VectorELU.apply($0.baseAddress!, count: count, path: .avx512) }
            #expect(part[count...].allSatisfy { $0 == -1 } && part[..<count].allSatisfy { $0 == expm1f(-1) || abs($0 - expm1f(-1)) < 1e-6 })
        }
    }
}
