import Testing
@testable import Kernels

struct RMSNormUnbiasedTests {
    static func naive(_ x: [Float], rows: Int, _ norm: RMSNormUnbiased) -> [Double] {
        let n = norm.dim
        var out = [Double]()
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)  // unbiased
            for i in 0..<n {
                out.append(row[i] * Double(norm.alpha[i]) / (variance + Double(norm.eps)).squareRoot())  // x not centred
            }
        }
        return out
    }

    @Test func forwardMatchesNaive() {
        let (rows, dim) = (3, 53)
        let norm = RMSNormUnbiased(dim: dim, alpha: randomArray(dim, seed: 1, in: 0.5...1.5))
        let x = randomArray(rows * dim, seed: 2, in: -1...4)
        var y = [Float](repeating: .nan, count: x.count)
        y.withUnsafeMutableBufferPointer { norm.forward(x, rows: rows, into: $0.baseAddress!) }
        #expect(relativeError(y, Self.naive(x, rows: rows, norm)) < 1e-5)
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { norm.forwardInPlace($0.baseAddress!, rows: rows) }
        #expect(inPlace == y)
    }

    @Test func differsFromLayerNormAndTrueRMSNorm() {
        // A shifted input: the mean is not removed from x, and the variance is unbiased.
        let x = Tensor(shape: [1, 4], data: [1, 2, 3, 4])
        let y = RMSNormUnbiased(dim: 4, eps: 0)(x)
        let std = (5.0 / 3.0).squareRoot()  // unbiased variance of 1...4 is 5/3
        #expect(relativeError(y.data, [1, 2, 3, 4].map { $0 / std }) < 1e-6)
    }

    @Test func matchesReference() throws {
        let fixture = try KernelFixture.load()
        #expect(!fixture.rmsNorm.isEmpty)
        for c in fixture.rmsNorm {
            let norm = RMSNormUnbiased(dim: c.dim, eps: c.eps, alpha: c.alpha)
            let y = norm(Tensor(shape: [c.rows, c.dim], data: c.input))
            #expect(relativeError(y.data, c.output) < 1e-5, "rows \(c.rows) dim \(c.dim)")
        }
    }
}
