// SkinnyLinear: the only file that imports CKernels. y = x·Wᵀ (+ b) for few rows.
import CKernels

/// Linear layers for a few rows (one per concurrent stream): each weight is read once per
/// tile of up to 8 rows (OpenBLAS sgemm re-packs the whole weight matrix on every call, sgemv
/// reads it once per row). AVX-512 code with f32 or bfloat16 weights when the CPU has it
/// (checked at run time), portable C otherwise.
public enum SkinnyLinear {
    /// The implementation to run: the best one the CPU supports, or a forced one (tests,
    /// benchmarks). A forced `.avx512` on a CPU without it runs `.scalar`.
    public enum Path: Sendable, Equatable {
        case automatic, scalar, avx512
    }

    /// The CPU (and OS) support the AVX-512 kernels (F, BW, VL, FMA).
    public static let hasAVX512: Bool = ck_cpu_features() & UInt32(CK_FEATURE_AVX512) != 0

    /// The CPU has AVX-512 BF16 (informational: the kernels keep activations in f32, which
    /// `vdpbf16ps` would round to bfloat16, so they do not use it).
    public static let hasAVX512BF16: Bool = ck_cpu_features() & UInt32(CK_FEATURE_AVX512_BF16) != 0

    /// y[rows, out] = x[rows, in]·Wᵀ + bias (y += … when `accumulate`), W: [out, in] f32.
    /// Rows are contiguous; y must not overlap x, W or bias. Returns the path that ran.
    @discardableResult
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>, outFeatures: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        path: Path = .automatic
    ) -> Path {
        precondition(rows >= 0 && inFeatures >= 0 && outFeatures >= 0, "SkinnyLinear: negative dimension")
        return Path(ck_linear_f32(x, rows, inFeatures, weight, outFeatures, bias, y, accumulate ? 1 : 0, path.c))
    }

    /// As `forward` with bfloat16 weights: raw bits [out, in], each the top half of a Float32.
    @discardableResult
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, bfloat16Weight weight: UnsafePointer<UInt16>,
        outFeatures: Int, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        accumulate: Bool = false, path: Path = .automatic
    ) -> Path {
        precondition(rows >= 0 && inFeatures >= 0 && outFeatures >= 0, "SkinnyLinear: negative dimension")
        return Path(ck_linear_bf16(x, rows, inFeatures, weight, outFeatures, bias, y, accumulate ? 1 : 0, path.c))
    }

    /// destination[i] = the Float32 value of the bfloat16 bits source[i] (exact).
    @discardableResult
    public static func widen(
        bfloat16 source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int,
        path: Path = .automatic
    ) -> Path {
        precondition(count >= 0, "SkinnyLinear: negative count")
        return Path(ck_bf16_to_f32(source, destination, count, path.c))
    }
}

extension SkinnyLinear.Path {
    fileprivate var c: ck_path {
        switch self {
        case .automatic: CK_PATH_AUTO
        case .scalar: CK_PATH_SCALAR
        case .avx512: CK_PATH_AVX512
        }
    }

    fileprivate init(_ path: ck_path) {
        self = path == CK_PATH_AVX512 ? .avx512 : .scalar
    }
}
