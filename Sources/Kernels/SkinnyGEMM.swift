// SkinnyGEMM: weight × activations for the few time steps of one streaming frame.

/// C[M, N] = op(A)[M, K] · B[K, N] (+ C when `accumulate`), row-major, for small N.
///
/// With N = 16 (one Mimi frame) a single sgemm spends most of its time packing a weight matrix
/// that streams from DRAM. Split into row blocks of at most ~1 M multiply-adds, OpenBLAS
/// (0.3.x, AVX-512 kernels) takes its small-matrix path, which reads A in place: measured
/// 1.4–1.9× faster on this machine for the decoder's weights (in_proj, FFN, the first SEANet
/// conv and transposed conv). Larger N goes through one plain sgemm.
public enum SkinnyGEMM {
    /// Work per block (M·N·K) under which OpenBLAS skips packing.
    public static let blockWork = 1_000_000
    /// Widest N handled by blocks.
    public static let maxColumns = 32

    public static func multiply(
        transposeA: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        accumulate: Bool = false, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let beta: Float = accumulate ? 1 : 0
        let rows = max(16, blockWork / max(1, n * k) / 16 * 16)
        if n > maxColumns || rows >= m {
            BLAS.sgemm(transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        var r = 0
        while r < m {
            let block = min(rows, m - r)
            BLAS.sgemm(transposeA: transposeA, m: block, n: n, k: k, a: transposeA ? a + r : a + r * lda, lda: lda,
                       b: b, ldb: ldb, beta: beta, c: c + r * ldc, ldc: ldc)
            r += block
        }
    }
}
