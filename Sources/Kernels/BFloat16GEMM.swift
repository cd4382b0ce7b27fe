// BFloat16GEMM: weights × many activation columns with bfloat16 products (CKernels gemm_bf16.c),
// for Mimi's convolutions and transformer linears under `Precision.bf16` / `.int8`.
import CKernels

/// A weight matrix W[M, K] rounded to bfloat16 once and packed in panels of 8 rows, and
/// `multiply`: C[M, N] (+)= W · X (+ bias) with X packed per call by `BFloat16GEMM.pack`.
///
/// Each output is computed by the same operations in the same order whatever N and whichever
/// columns share the call (vdpbf16ps lanes are columns; the sum over k runs from zero in one
/// fixed order): a stream's columns come out bit for bit the same decoded alone or batched.
public struct BFloat16Panels: Sendable {
    public let rows: Int  // M
    public let depth: Int  // K
    let words: [UInt32]  // [ceil(M / 8)][ceil(K / 2)][8] pairs of bfloat16

    /// Packs W[rows, depth], element (m, k) at weights[m · rowStride + k · depthStride].
    public init(weights: UnsafePointer<Float>, rows: Int, depth: Int, rowStride: Int, depthStride: Int) {
        precondition(rows > 0 && depth > 0, "BFloat16Panels: empty matrix")
        self.rows = rows
        self.depth = depth
        words = [UInt32](unsafeUninitializedCapacity: ck_gemm_bf16_weight_words(rows, depth)) { buffer, count in
            ck_gemm_bf16_pack_weights(weights, rows, depth, rowStride, depthStride, buffer.baseAddress!)
            count = buffer.count
        }
    }

    /// Row-major W[rows, depth].
    public init(weights: [Float], rows: Int, depth: Int) {
        precondition(weights.count == rows * depth, "BFloat16Panels: \(weights.count) weights for \(rows)×\(depth)")
        self = weights.withUnsafeBufferPointer {
            BFloat16Panels(weights: $0.baseAddress!, rows: rows, depth: depth, rowStride: depth, depthStride: 1)
        }
    }

    /// c[m, j] = Σ_k W[m, k] · X[k, j] + bias[m] (c[m, j] + that when `accumulate`), j < columns;
    /// `packed` from `BFloat16GEMM.pack` with rows `stride` words apart; c rows `ldc` apart.
    public func multiply(
        _ packed: UnsafePointer<UInt32>, columns: Int, stride: Int, bias: UnsafePointer<Float>?,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, path: SkinnyLinear.Path = .automatic
    ) {
        precondition(stride >= columns && ldc >= columns, "BFloat16Panels: strides")
        words.withUnsafeBufferPointer { w in
            _ = ck_gemm_bf16(w.baseAddress!, rows, depth, packed, columns, stride, bias, c, ldc, accumulate ? 1 : 0, path.cPath)
        }
    }
}

/// Packing of activations for `BFloat16Panels.multiply`.
public enum BFloat16GEMM {
    /// The AVX512-BF16 code runs (else portable C: the same results, slower).
    public static var isAccelerated: Bool { SkinnyLinear.hasAVX512BF16 }

    /// Words per packed row for `columns` columns (a multiple of 16).
    public static func stride(columns: Int) -> Int { ck_gemm_bf16_activation_stride(columns) }

    /// Words of a packing of `depth` rows with rows `stride` apart.
    public static func wordCount(depth: Int, stride: Int) -> Int { (depth + 1) / 2 * stride }

    /// packed[k / 2][j] (rows `stride` apart) from X[depth, columns], X[c · taps + t, j] at
    /// x[c · channelStride + t · tapStride + j · columnStride] (see ck_gemm_bf16_pack_activations):
    /// a conv's im2col, a [depth, columns] matrix, or rows [columns, depth].
    public static func pack(
        _ x: UnsafePointer<Float>, depth: Int, columns: Int, taps: Int = 1, channelStride: Int, tapStride: Int = 0,
        columnStride: Int = 1, into packed: UnsafeMutablePointer<UInt32>, stride: Int, path: SkinnyLinear.Path = .automatic
    ) {
        precondition(depth % taps == 0 && stride >= columns, "BFloat16GEMM.pack: shape")
        _ = ck_gemm_bf16_pack_activations(x, depth, columns, taps, channelStride, tapStride, columnStride, packed, stride,
                                          path.cPath)
    }
}

extension SkinnyLinear.Path {
    /// The CKernels value.
    var cPath: ck_path {
        switch self {
        case .automatic: CK_PATH_AUTO
        case .scalar: CK_PATH_SCALAR
        case .avx512: CK_PATH_AVX512
        }
    }
}
