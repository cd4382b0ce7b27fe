// SkinnyLinear: y = x·Wᵀ (+ b) for few rows (its C loops: CKernels' linear_*.c), in f32 and
// in the reduced precisions (bf16, int8); also the one-query attention kernel (Attention+OneQuery.swift).
import CKernels

/// Linear layers for a few rows (one per concurrent stream): each weight is read once per
/// tile of up to 8 rows (OpenBLAS sgemm re-packs the whole weight matrix on every call, sgemv
/// reads it once per row). AVX-512 code with f32 or bfloat16 weights when the CPU has it
/// (checked at run time), portable C otherwise; likewise the reduced precisions (`forwardBF16`
/// with AVX512-BF16, `forwardInt8` with AVX512-VNNI), which also have AVX2 + FMA code for CPUs
/// without those (the same results: bit for bit for int8, the same sums in the same order for bf16).
public enum SkinnyLinear {
    /// The implementation to run: the best one the CPU supports, or a forced one (tests,
    /// benchmarks). A forced `.avx512` on a CPU without it runs `.scalar`. `.avx2` exists for
    /// `forwardBF16`, `forwardInt8` and `round` only (elsewhere it runs `.scalar`); forced, it runs
    /// on any CPU with AVX2 + FMA, AVX-512 ones included.
    public enum Path: Sendable, Equatable {
        case automatic, scalar, avx512, avx2
    }

    /// The CPU (and OS) support the AVX-512 kernels (F, BW, VL, FMA).
    public static let hasAVX512: Bool = ck_cpu_features() & UInt32(CK_FEATURE_AVX512) != 0

    /// The CPU has AVX-512 and its BF16 extension: `forwardBF16` runs `vdpbf16ps` (the f32
    /// kernels do not use it).
    public static let hasAVX512BF16: Bool = hasAVX512 && ck_cpu_features() & UInt32(CK_FEATURE_AVX512_BF16) != 0

    /// The CPU has AVX-512 and its VNNI extension: `forwardInt8` runs `vpdpbusd`.
    public static let hasAVX512VNNI: Bool = hasAVX512 && ck_cpu_features() & UInt32(CK_FEATURE_AVX512_VNNI) != 0

    /// The CPU (and OS) support AVX2 and FMA: without AVX512-VNNI / AVX512-BF16, `forwardInt8`
    /// and `forwardBF16` run their AVX2 code.
    public static let hasAVX2: Bool = ck_cpu_features() & UInt32(CK_FEATURE_AVX2) != 0

    /// `forwardInt8` runs vector code here (AVX512-VNNI or AVX2), not portable C: what
    /// `Precision.int8` needs to beat `exact` (measured on an AVX2-only AMD EPYC: Benchmarks/README.md).
    public static var hasAcceleratedInt8: Bool { hasAVX512VNNI || hasAVX2 }

    /// `forwardBF16` runs vector code here (AVX512-BF16 or AVX2), not portable C.
    public static var hasAcceleratedBF16: Bool { hasAVX512BF16 || hasAVX2 }

    /// y[rows, out] = x[rows, in]·Wᵀ + bias (y += … when `accumulate`), W: [out, in] f32.
    /// Rows are contiguous; y must not overlap x, W or bias. Returns the path that ran.
    /// With `outputs`, only those columns of y (each computed exactly as by the full call:
    /// disjoint ranges may run on different threads).
    @discardableResult
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<Float>, outFeatures: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        outputs: Range<Int>? = nil, path: Path = .automatic
    ) -> Path {
        let range = checked(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, outputs: outputs)
        return Path(ck_linear_f32_outputs(x, rows, inFeatures, weight, outFeatures, range.lowerBound, range.count,
                                          bias, y, accumulate ? 1 : 0, path.c))
    }

    /// As `forward` with bfloat16 weights: raw bits [out, in], each the top half of a Float32.
    @discardableResult
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, bfloat16Weight weight: UnsafePointer<UInt16>,
        outFeatures: Int, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        accumulate: Bool = false, outputs: Range<Int>? = nil, path: Path = .automatic
    ) -> Path {
        let range = checked(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, outputs: outputs)
        return Path(ck_linear_bf16_outputs(x, rows, inFeatures, weight, outFeatures, range.lowerBound, range.count,
                                           bias, y, accumulate ? 1 : 0, path.c))
    }

    /// `Linear.Arithmetic.bf16`: y[rows, out] = bf16(x)·Wᵀ + bias (y += … when `accumulate`), W: [out, in]
    /// bfloat16 bits. The activations are rounded to bfloat16 (nearest even), each product of two
    /// bfloat16 is exact and added to an f32 sum (AVX512-BF16 `vdpbf16ps`; `.scalar`, or a CPU
    /// without it: portable C summing in the same order). Otherwise as `forward`.
    @discardableResult
    public static func forwardBF16(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: UnsafePointer<UInt16>, outFeatures: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        outputs: Range<Int>? = nil, path: Path = .automatic
    ) -> Path {
        let range = checked(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, outputs: outputs)
        return Path(ck_linear_bf16dot_outputs(x, rows, inFeatures, weight, outFeatures, range.lowerBound, range.count,
                                              bias, y, accumulate ? 1 : 0, path.c))
    }

    /// `Linear.Arithmetic.int8`: y[rows, out] = x·Wᵀ + bias (y += … when `accumulate`) with W quantized
    /// (`Int8Weights`) and each row of x quantized the same way per call (m = max |x[r, :]|,
    /// q = round_even(x · 127 / m)); y = (Σ q_x · q_w) · (m / 127 · scales[n]) + bias, the integer
    /// sums exact (AVX512-VNNI `vpdpbusd`; `.scalar`, or a CPU without it: portable C, the same
    /// outputs bit for bit). Otherwise as `forward`.
    @discardableResult
    public static func forwardInt8(
        _ x: UnsafePointer<Float>, rows: Int, weight: Int8Weights, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, outputs: Range<Int>? = nil,
        path: Path = .automatic
    ) -> Path {
        let (k, n) = (weight.inFeatures, weight.outFeatures)
        let range = checked(rows: rows, inFeatures: k, outFeatures: n, outputs: outputs)
        return weight.values.withUnsafeBufferPointer { q in
            weight.scales.withUnsafeBufferPointer { scales in
                weight.sums.withUnsafeBufferPointer { sums in
                    Path(ck_linear_int8dot_outputs(x, rows, k, q.baseAddress!, scales.baseAddress!, sums.baseAddress!, n,
                                                   range.lowerBound, range.count, bias, y, accumulate ? 1 : 0, path.c))
                }
            }
        }
    }

    /// Int8 quantization of a matrix [out, in] (`Int8Weights`): values, scales [out] and row sums
    /// [out] of the quantized values.
    static func quantize(
        float32 weight: UnsafeBufferPointer<Float>, outFeatures: Int, inFeatures: Int,
        into values: UnsafeMutableBufferPointer<Int8>, scales: UnsafeMutableBufferPointer<Float>,
        sums: UnsafeMutableBufferPointer<Int32>
    ) {
        precondition(weight.count == outFeatures * inFeatures && values.count == weight.count
                     && scales.count == outFeatures && sums.count == outFeatures, "SkinnyLinear.quantize: sizes")
        if weight.isEmpty { return }
        ck_quantize_int8_f32(weight.baseAddress!, outFeatures, inFeatures, values.baseAddress!, scales.baseAddress!,
                             sums.baseAddress!)
    }

    static func quantize(
        bfloat16 weight: UnsafeBufferPointer<UInt16>, outFeatures: Int, inFeatures: Int,
        into values: UnsafeMutableBufferPointer<Int8>, scales: UnsafeMutableBufferPointer<Float>,
        sums: UnsafeMutableBufferPointer<Int32>
    ) {
        precondition(weight.count == outFeatures * inFeatures && values.count == weight.count
                     && scales.count == outFeatures && sums.count == outFeatures, "SkinnyLinear.quantize: sizes")
        if weight.isEmpty { return }
        ck_quantize_int8_bf16(weight.baseAddress!, outFeatures, inFeatures, values.baseAddress!, scales.baseAddress!,
                              sums.baseAddress!)
    }

    private static func checked(rows: Int, inFeatures: Int, outFeatures: Int, outputs: Range<Int>?) -> Range<Int> {
        precondition(rows >= 0 && inFeatures >= 0 && outFeatures >= 0, "SkinnyLinear: negative dimension")
        let range = outputs ?? 0..<outFeatures
        precondition(range.lowerBound >= 0 && range.upperBound <= outFeatures, "SkinnyLinear: outputs \(range) of \(outFeatures)")
        return range
    }

    /// Attention of one query over keys 0 ..< keyCount, all visible (`Attention.forwardOneQuery`):
    /// heads `heads` of query [H, D] into output [H, D]; keys/values rows `keyRowStride` apart;
    /// scratch: keyCount · heads.count floats.
    @discardableResult
    static func attendOne(
        query: UnsafePointer<Float>, heads: Range<Int>, headDim: Int, keys: UnsafePointer<Float>,
        values: UnsafePointer<Float>, keyCount: Int, keyRowStride: Int, scale: Float,
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, path: Path = .automatic
    ) -> Path {
        Path(ck_attend_one(query, heads.lowerBound, heads.count, headDim, keys, values, keyCount, keyRowStride, scale,
                           scratch, output, path.c))
    }

    /// `attendOne` over a bfloat16 cache (keys/values bfloat16 bits, rows `keyRowStride` elements
    /// apart), each element widened exactly as it is loaded.
    @discardableResult
    public static func attendOne(
        query: UnsafePointer<Float>, heads: Range<Int>, headDim: Int, keys: UnsafePointer<UInt16>,
        values: UnsafePointer<UInt16>, keyCount: Int, keyRowStride: Int, scale: Float,
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>, path: Path = .automatic
    ) -> Path {
        Path(ck_attend_one_bf16(query, heads.lowerBound, heads.count, headDim, keys, values, keyCount, keyRowStride,
                                scale, scratch, output, path.c))
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

    /// destination[i] = source[i] rounded to bfloat16 bits, to nearest even (subnormals to a zero
    /// of the same sign, NaN stays NaN): what `forwardBF16` does to its activations.
    @discardableResult
    public static func round(
        _ source: UnsafePointer<Float>, toBFloat16 destination: UnsafeMutablePointer<UInt16>, count: Int,
        path: Path = .automatic
    ) -> Path {
        precondition(count >= 0, "SkinnyLinear: negative count")
        return Path(ck_f32_to_bf16(source, destination, count, path.c))
    }
}

extension SkinnyLinear.Path {
    fileprivate var c: ck_path {
        switch self {
        case .automatic: CK_PATH_AUTO
        case .scalar: CK_PATH_SCALAR
        case .avx512: CK_PATH_AVX512
        case .avx2: CK_PATH_AVX2
        }
    }

    fileprivate init(_ path: ck_path) {
        self.init(ran: path)
    }
}
