import Testing
@testable import Kernels

struct LayerNormTests {
    static func naive(_ x: [Float], rows: Int, _ norm: LayerNorm) -> [Double] {
        let n = norm.dim
        var out = [Double]()
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)  // biased
            for i in 0..<n {
                let y = (row[i] - mean) / (variance + Double(norm.eps)).squareRoot()
                out.append(y * Double(norm.weight?[i] ?? 1) + Double(norm.bias?[i] ?? 0))
            }
        }
        return out
    }

    @Test(arguments: [false, true])
    func forwardMatchesNaive(affine: Bool) {
        let (rows, dim) = (4, 67)
        let norm = LayerNorm(dim: dim, eps: 1e-5, weight: affine ? randomArray(dim, seed: 1) : nil,
                             bias: affine ? randomArray(dim, seed: 2) : nil)
        let x = randomArray(rows * dim, seed: 3, in: -2...5)  // non-zero mean
        var y = [Float](repeating: .nan, count: x.count)
        y.withUnsafeMutableBufferPointer { norm.forward(x, rows: rows, into: $0.baseAddress!) }
        #expect(relativeError(y, Self.naive(x, rows: rows, norm)) < 1e-5)

        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { norm.forwardInPlace($0.baseAddress!, rows: rows) }
        #expect(inPlace == y)
    }

    @Test func largeEpsilonMatters() {
        // eps 1e-6 vs 1 must give different results: eps is really used.
        let x = Tensor.random([2, 8], seed: 4, in: -0.1...0.1)
        let a = LayerNorm(dim: 8, eps: 1e-6)(x)
        let b = LayerNorm(dim: 8, eps: 1)(x)
        #expect(relativeError(a.data, Self.naive(x.data, rows: 2, LayerNorm(dim: 8, eps: 1e-6))) < 1e-5)
        #expect(relativeError(b.data, Self.naive(x.data, rows: 2, LayerNorm(dim: 8, eps: 1))) < 1e-5)
        #expect(Tensor.maxAbsDifference(a, b) > 0.5)
    }

    @Test func tensorWrapperKeepsShape() {
        let x = Tensor.random([3, 2, 16], seed: 5)
        let y = LayerNorm(dim: 16)(x)
        #expect(y.shape == x.shape)
        for r in 0..<6 {
            let row = y.data[(r * 16)..<((r + 1) * 16)]
            #expect(abs(row.reduce(0, +) / 16) < 1e-5)
        }
    }
}
