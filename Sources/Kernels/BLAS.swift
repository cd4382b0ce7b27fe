// BLAS: the only file that imports COpenBLAS. Row-major single-precision wrappers.
import CKernels
import COpenBLAS
import Foundation

/// Thin row-major wrappers over OpenBLAS `cblas_sgemm` / `cblas_sgemv`.
///
/// All matrices are row-major; `lda`/`ldb`/`ldc` are row strides in elements, so a
/// sub-matrix of a wider buffer (e.g. one head of a `[T, H, D]` tensor) can be passed directly.
/// Debian's OpenBLAS (pthreads build) may be called from several threads at once; the thread
/// count is process-wide.
public enum BLAS {
    /// C[m, n] = alpha · op(A) · op(B) + beta · C.
    /// op(A) is [m, k] (A stored [m, k] or, when `transposeA`, [k, m]);
    /// op(B) is [k, n] (B stored [k, n] or, when `transposeB`, [n, k]).
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
        if m == 0 || n == 0 { return }
        _ = singleThreadedByDefault
        cblasSgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// y[m or n] = alpha · op(A) · x + beta · y, A stored row-major [m, n] with row stride `lda`.
    /// Without `transpose`: x is [n], y is [m]. With `transpose`: x is [m], y is [n].
    public static func sgemv(
        transpose: Bool = false,
        m: Int, n: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>,
        beta: Float = 0,
        y: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0, "sgemv: negative dimension")
        if m == 0 || n == 0 { return }
        _ = singleThreadedByDefault
        cblasSgemv(transpose, m, n, alpha, a, lda, x, beta, y)
    }

    /// Number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        _ = singleThreadedByDefault
        return Int(openblas_get_num_threads())
    }

    /// Sets the number of threads OpenBLAS uses for one call (process-wide).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS.setThreadCount: count must be >= 1")
        _ = singleThreadedByDefault
        openblas_set_num_threads(Int32(count))
    }

    /// One thread per call until someone asks for more, set once before the first call:
    /// OpenBLAS picks other kernels (and so other roundings) for one thread than for several,
    /// so a process-wide count that changed midway (an engine starting while a voice is being
    /// encoded) gave the same input slightly different results (up to 6e-7 in a voice state).
    private static let singleThreadedByDefault: Void = openblas_set_num_threads(1)

    /// The kernels OpenBLAS runs: its name for the CPU core ("SkylakeX", "Haswell", "Prescott").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The core OpenBLAS should run instead of the one it picked, or nil. Debian's OpenBLAS
    /// 0.3.21 does not know newer AVX-512 CPUs (Intel Sapphire and Emerald Rapids) and falls
    /// back to its SSE3 `Prescott` kernels: measured on an Emerald Rapids VM, a Mimi frame takes
    /// 35 ms with them and 14 ms with the `SkylakeX` (AVX-512) ones, a 7 s voice encode 2.9 s
    /// and 1.1 s (Benchmarks/README.md). A core the user forces (OPENBLAS_CORETYPE) is kept.
    public static func preferredCore(current: String, forced: String?, cpuHasAVX512: Bool) -> String? {
        guard forced?.isEmpty ?? true, cpuHasAVX512, current.lowercased() == "prescott" else { return nil }
        return "SkylakeX"
    }

    /// Switches OpenBLAS to `preferredCore` when there is one, and says so (nil: nothing to do).
    /// Re-runs OpenBLAS's core selection: call it first thing in `main`, before any BLAS call
    /// and before any other thread starts. Programs only; tests keep the library's choice.
    @discardableResult
    public static func useKernelsForThisCPU() -> String? {
        let before = coreName
        let cpuHasAVX512 = ck_cpu_features() & UInt32(CK_FEATURE_AVX512) != 0
        guard let core = preferredCore(current: before, forced: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                                       cpuHasAVX512: cpuHasAVX512) else { return nil }
        setenv("OPENBLAS_CORETYPE", core, 1)
        gotoblas_dynamic_quit()
        gotoblas_dynamic_init()
        return "OpenBLAS: \(coreName) kernels (it picked \(before) for this AVX-512 CPU)"
    }

    static func cblasSgemm(
        _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    static func cblasSgemv(
        _ t: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
        _ x: UnsafePointer<Float>, _ beta: Float, _ y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, t ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
            blasint(lda), x, 1, beta, y, 1)
    }
}
