import Testing
@testable import Kernels

/// `SkinnyGEMM` (row blocks of one sgemm each) against naive loops: blocked and plain paths,
/// transposed weights, padded strides, accumulate.
struct SkinnyGEMMTests {
    /// (m, n, k): k = 4096 at n = 16 gives blocks of 16 rows, so m = 50 ends in a short block;
    /// n = 40 is wider than `maxColumns` and goes through one sgemm.
    static let shapes = [(m: 50, n: 16, k: 4096), (m: 33, n: 5, k: 700), (m: 7, n: 40, k: 9)]

    @Test(arguments: [false, true], [false, true])
    func matchesNaiveLoops(transposeA: Bool, accumulate: Bool) {
        var seed: UInt64 = 40
        for (m, n, k) in Self.shapes {
            seed += 3
            let lda = (transposeA ? m : k) + 3
            let (ldb, ldc) = (n + 2, n + 1)
            let a = randomArray((transposeA ? k : m) * lda, seed: seed)
            let b = randomArray(k * ldb, seed: seed + 1)
            var c = randomArray(m * ldc, seed: seed + 2)
            let expected = BLASTests.naiveGemm(transposeA, false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda,
                                               b: b, ldb: ldb, beta: accumulate ? 1 : 0, c: c, ldc: ldc)
            c.withUnsafeMutableBufferPointer { cp in
                SkinnyGEMM.multiply(transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                    accumulate: accumulate, c: cp.baseAddress!, ldc: ldc)
            }
            // Padding columns of C are written by neither: compare the whole buffer.
            #expect(relativeError(c, expected) < 1e-4, "m \(m) n \(n) k \(k)")
        }
    }
}
