import Foundation
import Testing
@testable import Kernels

/// `Activation.geluVectorized` and `expVectorized` (CKernels activations.c, vector_math.h: the
/// reduced precisions' GELU and softmax e^x) against libm, on both paths.
struct VectorizedActivationTests {
    /// A dense grid over [−10, 10], the tails, and special values.
    static let inputs: [Float] = stride(from: Float(-10), through: 10, by: 1.0 / 1024).map { $0 }
        + [-40, -20, 20, 40, 1e-8, -1e-8, 1e-30, 0, -0.0] + randomArray(1001, seed: 5, in: -6...6)

    /// GELU within 2.5e-7 · |x| + 1 ulp of libm's double-precision value (erf within 1.5e-7
    /// absolute, e^x within a few ulp; lengths not a multiple of 16 exercise the masked tail).
    /// The portable path is `Activation.gelu` bit for bit (libm's erff).
    @Test func geluIsWithinTheStatedToleranceOfLibm() {
        var fast = Self.inputs
        var portable = Self.inputs
        let ran = Activation.geluVectorized(&fast, count: fast.count)
        Activation.geluVectorized(&portable, count: portable.count, path: .scalar)
        var libm = Self.inputs
        Activation.gelu(&libm, count: libm.count)
        #expect(portable.map(\.bitPattern) == libm.map(\.bitPattern))
        #expect(ran == (SkinnyLinear.hasAVX512 ? .avx512 : .scalar))
        var worst: Double = 0
        for (x, y) in zip(Self.inputs, fast) {
            let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            let bound = 2.5e-7 * abs(Double(x)) + Double(Float(exact).ulp)
            worst = max(worst, abs(Double(y) - exact) / bound)
        }
        #expect(worst <= 1, "worst error \(worst) of the bound")
        #expect(fast[Self.inputs.firstIndex(of: 0)!] == 0 && fast[Self.inputs.firstIndex(of: 40)!] == 40)
        #expect(fast[Self.inputs.firstIndex(of: -40)!] == 0)
    }

    /// The tanh GELU (x / (1 + e^(−2u))) within 4e-7 · |x| + 1 ulp of the double-precision tanh
    /// form; the portable path is `Activation.geluTanh` bit for bit (libm's tanhf).
    @Test func geluTanhIsWithinTheStatedToleranceOfLibm() {
        var fast = Self.inputs
        var portable = Self.inputs
        let ran = Activation.geluTanhVectorized(&fast, count: fast.count)
        Activation.geluTanhVectorized(&portable, count: portable.count, path: .scalar)
        var libm = Self.inputs
        Activation.geluTanh(&libm, count: libm.count)
        #expect(portable.map(\.bitPattern) == libm.map(\.bitPattern))
        #expect(ran == (SkinnyLinear.hasAVX512 ? .avx512 : .scalar))
        var worst: Double = 0
        for (x, y) in zip(Self.inputs, fast) {
            let v = Double(x)
            let exact = 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
            let bound = 4e-7 * abs(v) + Double(Float(exact).ulp)
            worst = max(worst, abs(Double(y) - exact) / bound)
        }
        #expect(worst <= 1, "worst error \(worst) of the bound")
        #expect(fast[Self.inputs.firstIndex(of: 0)!] == 0 && fast[Self.inputs.firstIndex(of: 40)!] == 40)
        #expect(abs(fast[Self.inputs.firstIndex(of: -40)!]) < 1e-30)
    }

    /// e^x within 2 ulp of the double-precision value (1.14 measured) over the normal range, 0 from −104 down
    /// (−∞ included), and +∞ past 88.72; the portable path is libm's expf.
    @Test func expIsWithinTwoUlpOfLibm() {
        let x = stride(from: Float(-87), through: 88, by: 1.0 / 64).map { $0 } + randomArray(777, seed: 6, in: -20...20)
        var fast = [Float](repeating: .nan, count: x.count)
        var portable = fast
        Activation.expVectorized(x, into: &fast, count: x.count)
        Activation.expVectorized(x, into: &portable, count: x.count, path: .scalar)
        #expect(portable == x.map { Foundation.exp($0) })
        var worst: Double = 0
        for (v, y) in zip(x, fast) {
            let exact = Foundation.exp(Double(v))
            worst = max(worst, abs(Double(y) - exact) / Double(Float(exact).ulp))
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        let special: [Float] = [-.infinity, -1000, -104, 0, 89, .infinity]
        var out = [Float](repeating: .nan, count: special.count)
        Activation.expVectorized(special, into: &out, count: special.count)
        #expect(out == [0, 0, 0, 1, .infinity, .infinity])
    }
}
