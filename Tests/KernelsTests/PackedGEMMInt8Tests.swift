import Testing
@testable import Kernels

/// `PackedWeights` with int8 products (SEANet's convolutions under `Precision.int8`) against
/// naive loops: weights quantized per row, activations per column (max |·| / 127, round to
/// nearest even, clamp ±127), exact integer dot products, one scaling per output; each path
/// forced. (Batch invariance, packings and the portable path's bits: PackedGEMMTests.)
struct PackedGEMMInt8Tests {
    typealias P = PackedGEMMTests

    /// (scale, quantized values) of a set of values, the kernel's rule.
    static func quantized(_ v: [Float]) -> (scale: Float, q: [Int]) {
        let largest = v.reduce(Float(0)) { max($0, abs($1)) }
        let inverse: Float = largest > 0 ? 127 / largest : 0
        return (largest / 127, v.map { Int(min(127, max(-127, ($0 * inverse).rounded(.toNearestOrEven)))) })
    }

    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 5, 7), (8, 4, 16), (9, 33, 17), (17, 64, 49), (30, 7, 50), (64, 96, 300), (1, 192, 100),
    ]

    @Test(arguments: P.paths)
    func matrixMatchesNaiveLoops(path: SkinnyLinear.Path) {
        for (i, s) in Self.shapes.enumerated() {
            let w = randomArray(s.m * s.k, seed: UInt64(i), in: -1...1)
            var x = randomArray(s.k * s.n, seed: UInt64(100 + i), in: -2...2)
            if s.n > 3 { for q in 0..<s.k { x[q * s.n + 2] = 0 } }  // an all-zero column: scale 0
            let bias = i % 2 == 0 ? randomArray(s.m, seed: UInt64(200 + i)) : nil
            let c0 = i % 3 == 0 ? randomArray(s.m * s.n, seed: UInt64(300 + i)) : nil
            let c = P.run(.int8, w: w, m: s.m, k: s.k, x: x, columns: s.n, channelStride: s.n, bias: bias, c0: c0, path: path)
            let rows = (0..<s.m).map { r in Self.quantized(Array(w[(r * s.k)..<(r * s.k + s.k)])) }
            let columns = (0..<s.n).map { j in Self.quantized((0..<s.k).map { x[$0 * s.n + j] }) }
            for r in 0..<s.m {
                for j in 0..<s.n {
                    let dot = (0..<s.k).reduce(0) { $0 + rows[r].q[$1] * columns[j].q[$1] }
                    let product = Double(dot) * Double(rows[r].scale * columns[j].scale)
                    let want = product + Double(bias?[r] ?? 0) + Double(c0?[r * s.n + j] ?? 0)
                    let scale = abs(product) + abs(want)
                    #expect(abs(Double(c[r * s.n + j]) - want) <= 1e-6 * max(1, scale), "shape \(s) at \(r), \(j)")
                    // And within the quantization steps (half a step each) of the f32 product.
                    let (sw, sx) = (Double(rows[r].scale), Double(columns[j].scale))
                    var (exact, bound) = (0.0, 1e-6)
                    for q in 0..<s.k {
                        let (wq, xq) = (Double(w[r * s.k + q]), Double(x[q * s.n + j]))
                        exact += wq * xq
                        bound += 0.5 * sw * abs(xq) + 0.5 * sx * abs(wq) + 0.25 * sw * sx
                    }
                    #expect(abs(product - exact) <= bound, "shape \(s) at \(r), \(j)")
                }
            }
        }
    }

    /// Scaling a column by a power of two scales its outputs exactly (its own scale, nothing shared).
    @Test(arguments: P.paths)
    func eachColumnHasItsOwnScale(path: SkinnyLinear.Path) {
        let (m, k, n) = (11, 70, 20)
        let w = randomArray(m * k, seed: 31, in: -1...1)
        let x = randomArray(k * n, seed: 32, in: -1...1)
        var scaled = x
        for q in 0..<k { scaled[q * n + 5] *= 64 }
        let a = P.run(.int8, w: w, m: m, k: k, x: x, columns: n, channelStride: n, path: path)
        let b = P.run(.int8, w: w, m: m, k: k, x: scaled, columns: n, channelStride: n, path: path)
        for r in 0..<m {
            for j in 0..<n {
                #expect(b[r * n + j] == (j == 5 ? 64 * a[r * n + j] : a[r * n + j]), "at \(r), \(j)")
            }
        }
    }
}
