import Testing
@testable import Kernels

struct BLASTests {
    /// Naive C = alpha·op(A)·op(B) + beta·C with row strides, in Double.
    static func naiveGemm(
        _ tA: Bool, _ tB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: [Float], lda: Int,
        b: [Float], ldb: Int, beta: Double, c: [Float], ldc: Int
    ) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = tA ? a[p * lda + i] : a[i * lda + p]
                    let bv = tB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                out[i * ldc + j] = alpha * s + beta * Double(c[i * ldc + j])
            }
        }
        return out
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmMatchesNaiveWithStrides(transposes: (Bool, Bool)) {
        let (tA, tB) = transposes
        let (m, n, k) = (5, 7, 19)
        let lda = (tA ? m : k) + 3  // padded rows: a sub-matrix of a wider buffer
        let ldb = (tB ? k : n) + 2
        let ldc = n + 1
        let a = randomArray((tA ? k : m) * lda, seed: 1)
        let b = randomArray((tB ? n : k) * ldb, seed: 2)
        var c = randomArray(m * ldc, seed: 3)
        let expected = Self.naiveGemm(tA, tB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                                      beta: 2, c: c, ldc: ldc)
        c.withUnsafeMutableBufferPointer { cp in
            BLAS.sgemm(transposeA: tA, transposeB: tB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda,
                       b: b, ldb: ldb, beta: 2, c: cp.baseAddress!, ldc: ldc)
        }
        #expect(relativeError(c, expected) < 1e-5)
    }

    @Test(arguments: [false, true])
    func sgemvMatchesNaive(transpose: Bool) {
        let (m, n, lda) = (9, 21, 24)
        let a = randomArray(m * lda, seed: 4)
        let x = randomArray(transpose ? m : n, seed: 5)
        var y = randomArray(transpose ? n : m, seed: 6)
        var expected = [Double]()
        for i in 0..<(transpose ? n : m) {
            var s = 0.0
            for p in 0..<(transpose ? m : n) {
                s += Double(transpose ? a[p * lda + i] : a[i * lda + p]) * Double(x[p])
            }
            expected.append(1.5 * s - Double(y[i]))
        }
        y.withUnsafeMutableBufferPointer { yp in
            BLAS.sgemv(transpose: transpose, m: m, n: n, alpha: 1.5, a: a, lda: lda, x: x, beta: -1, y: yp.baseAddress!)
        }
        #expect(relativeError(y, expected) < 1e-5)
    }

    @Test func threadCountRoundTrips() {
        let before = BLAS.threadCount
        #expect(before >= 1)
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
        #expect(BLAS.threadCount == before)
    }

    /// Only a CPU with AVX-512 that OpenBLAS gave its SSE3 fallback gets other kernels, and a
    /// core the user forced is kept.
    @Test func prescottOnAnAVX512CPUIsReplacedBySkylakeX() {
        #expect(BLAS.preferredCore(current: "Prescott", forced: nil, cpuHasAVX512: true) == "SkylakeX")
        #expect(BLAS.preferredCore(current: "Prescott", forced: "", cpuHasAVX512: true) == "SkylakeX")
        #expect(BLAS.preferredCore(current: "Prescott", forced: "Haswell", cpuHasAVX512: true) == nil)
        #expect(BLAS.preferredCore(current: "Prescott", forced: nil, cpuHasAVX512: false) == nil)
        #expect(BLAS.preferredCore(current: "Zen", forced: nil, cpuHasAVX512: true) == nil)
        #expect(BLAS.preferredCore(current: "SkylakeX", forced: nil, cpuHasAVX512: true) == nil)
        #expect(!BLAS.coreName.isEmpty)
    }
}
