import Testing
@testable import Kernels

struct VectorMathTests {
    // Lengths around the 16-lane SIMD width exercise the vector body and the scalar tail.
    static let lengths = [0, 1, 15, 16, 17, 33, 100]

    @Test(arguments: lengths) func reductionsMatchNaive(n: Int) {
        // One spare element so the buffers are never empty; only the first n are used.
        let x = randomArray(n + 1, seed: UInt64(n) + 1)
        let y = randomArray(n + 1, seed: UInt64(n) + 100)
        let mean: Float = 0.3
        let (sum, deviation, dot, maximum) = x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                let (p, q) = (xp.baseAddress!, yp.baseAddress!)
                return (VectorMath.sum(p, count: n), VectorMath.sumSquaredDeviation(p, count: n, mean: mean),
                        VectorMath.dot(p, q, count: n), VectorMath.max(p, count: n))
            }
        }
        let xs = x.prefix(n).map(Double.init)
        let ys = y.prefix(n).map(Double.init)
        #expect(abs(Double(sum) - xs.reduce(0, +)) < 1e-5)
        #expect(abs(Double(deviation) - xs.reduce(0) { $0 + ($1 - 0.3) * ($1 - 0.3) }) < 1e-5)
        #expect(abs(Double(dot) - zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-5)
        #expect(maximum == (x.prefix(n).max() ?? -.infinity))
    }

    @Test(arguments: lengths) func elementwiseMatchNaive(n: Int) {
        let x = randomArray(n, seed: UInt64(n) + 7)
        var y = randomArray(n, seed: UInt64(n) + 8)
        let y0 = y
        guard n > 0 else { return }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in VectorMath.axpy(0.5, xp.baseAddress!, yp.baseAddress!, count: n) }
        }
        #expect(y == zip(x, y0).map { $1 + 0.5 * $0 })
        var z = y0
        x.withUnsafeBufferPointer { xp in
            z.withUnsafeMutableBufferPointer { zp in
                VectorMath.add(xp.baseAddress!, into: zp.baseAddress!, count: n)
                VectorMath.multiply(xp.baseAddress!, into: zp.baseAddress!, count: n)
                VectorMath.scale(zp.baseAddress!, by: -2, count: n)
            }
        }
        #expect(z == zip(x, y0).map { -2 * (($1 + $0) * $0) })
    }
}
