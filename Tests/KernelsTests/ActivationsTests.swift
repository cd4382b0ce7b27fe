import Foundation
import Testing
@testable import Kernels

struct ActivationsTests {
    /// erf in Double via its Taylor series (|x| <= 3) or continued fraction complement, independent of libm's erff.
    static func erfHighPrecision(_ x: Double) -> Double {
        if abs(x) > 3 { return (x > 0 ? 1 : -1) * (1 - erfcContinuedFraction(abs(x))) }
        var term = x
        var sum = x
        var n = 0.0
        while abs(term) > 1e-17 * abs(sum) || n < 3 {
            n += 1
            term *= -x * x / n
            sum += term / (2 * n + 1)
        }
        return 2 / Double.pi.squareRoot() * sum
    }

    static func erfcContinuedFraction(_ x: Double) -> Double {
        var f = 0.0
        for k in stride(from: 60.0, through: 1, by: -1) { f = (k / 2) / (x + f) }
        return exp(-x * x) / Double.pi.squareRoot() / (x + f)
    }

    @Test func geluMatchesHighPrecision() {
        let x = (0..<401).map { Float($0 - 200) * 0.05 } + randomArray(200, seed: 1, in: -8...8)
        let y = Activation.gelu(Tensor(shape: [x.count], data: x))
        let expected = x.map { v -> Double in
            let d = Double(v)
            return 0.5 * d * (1 + Self.erfHighPrecision(d / 2.0.squareRoot()))
        }
        #expect(relativeError(y.data, expected) < 1e-6)
        // Sanity of the reference itself.
        #expect(abs(Self.erfHighPrecision(1) - 0.842_700_792_949_714_9) < 1e-15)
        #expect(abs(Self.erfHighPrecision(3.5) - 0.999_999_256_901_627_7) < 1e-13)
    }

    @Test func geluMatchesTorch() throws {
        let fixture = try KernelFixture.load()
        #expect(fixture.gelu.input.count > 10)
        let y = Activation.gelu(Tensor(shape: [fixture.gelu.input.count], data: fixture.gelu.input))
        #expect(relativeError(y.data, fixture.gelu.output) < 1e-6)
    }

    @Test func siluAndEluMatchNaive() {
        let x = randomArray(333, seed: 2, in: -20...20) + [0, -0.0, 1e-8, -1e-8]
        let t = Tensor(shape: [x.count], data: x)
        let silu = x.map { Double($0) / (1 + exp(-Double($0))) }
        let elu = x.map { $0 > 0 ? Double($0) : expm1(Double($0)) }
        let elu2 = x.map { $0 > 0 ? Double($0) : 2 * expm1(Double($0)) }
        #expect(relativeError(Activation.silu(t).data, silu) < 1e-6)
        #expect(relativeError(Activation.elu(t).data, elu) < 1e-6)
        #expect(relativeError(Activation.elu(t, alpha: 2).data, elu2) < 1e-6)
    }

    @Test func bufferFormsMatchTensorForms() {
        var x = randomArray(50, seed: 3, in: -4...4)
        let t = Tensor(shape: [50], data: x)
        x.withUnsafeMutableBufferPointer { Activation.gelu($0); Activation.silu($0); Activation.elu($0) }
        #expect(x == Activation.elu(Activation.silu(Activation.gelu(t))).data)
    }

    @Test func softmaxMatchesNaiveAndIsStable() {
        let (rows, cols) = (4, 37)
        var x = randomArray(rows * cols, seed: 4, in: -5...5)
        x[cols] = 1000  // row 1 has a huge entry: max subtraction keeps it finite
        x[cols + 1] = -.infinity
        let y = Activation.softmax(Tensor(shape: [rows, cols], data: x))
        var expected = [Double]()
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max()!
            let e = row.map { exp($0 - m) }
            let s = e.reduce(0, +)
            expected += e.map { $0 / s }
        }
        #expect(relativeError(y.data, expected) < 1e-6)
        #expect(y.data[cols] == 1 && y.data[cols + 1] == 0)
    }

    @Test func softmaxOfFullyMaskedRowIsZero() {
        let y = Activation.softmax(Tensor(shape: [2, 3], data: [-.infinity, -.infinity, -.infinity, 0, 0, 0]))
        #expect(y.data[0..<3].allSatisfy { $0 == 0 })
        #expect(y.data[3..<6].allSatisfy { abs($0 - 1.0 / 3) < 1e-7 })
    }
}
