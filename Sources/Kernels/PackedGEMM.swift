// PackedGEMM: weights × many activation columns (CKernels gemm_bf16.c, gemm_f32.c, gemm_int8.c),
// for Mimi's convolutions and transformer linears under PocketTTS's `Precision.bf16` / `.int8`.
import CKernels

/// A weight matrix W[M, K] packed once in panels of 8 rows, and `multiply`: C[M, N] (+)= W · X
/// (+ bias) with X packed per call by `pack`. Products either of bfloat16 (weights rounded at
/// load, activations while packed; `vdpbf16ps`: half the weight bytes, for layers that stream
/// their weights from memory) or of f32 (fused multiply-adds: this CPU issues them at twice the
/// rate of vdpbf16ps, for wide compute-bound layers), or of int8 (weights quantized at load per
/// row, activations per call per column, exact int32 sums: AVX512-VNNI `vpdpbusd`, four times the
/// products of an f32 FMA; SEANet's convolutions under `Precision.int8`).
///
/// Each output is computed by the same operations in the same order whatever N and whichever
/// columns share the call (vector lanes are columns; the sum over k runs from zero in one fixed
/// order): a stream's columns come out bit for bit the same decoded alone or batched.
public struct PackedWeights: Sendable {
    public enum Products: Sendable, Equatable {
        case bfloat16, float32, int8
    }

    public let products: Products
    public let rows: Int  // M
    public let depth: Int  // K
    let words: [UInt32]  // bfloat16: [ceil(M / 8)][ceil(K / 2)][8] pairs; float32: [ceil(M / 8)][K][8] f32 bits;
                         // int8: [ceil(M / 8)][ceil(K / 4)][8] quadruples
    let scales: [Float]  // int8: each row's scale (else empty)
    let sums: [Int32]  // int8: each row's sum of quantized weights (else empty)

    /// Packs W[rows, depth], element (m, k) at weights[m · rowStride + k · depthStride].
    public init(
        _ products: Products, weights: UnsafePointer<Float>, rows: Int, depth: Int, rowStride: Int, depthStride: Int
    ) {
        precondition(rows > 0 && depth > 0, "PackedWeights: empty matrix")
        self.products = products
        self.rows = rows
        self.depth = depth
        var (scales, sums) = ([Float](), [Int32]())
        switch products {
        case .bfloat16:
            words = [UInt32](unsafeUninitializedCapacity: ck_gemm_bf16_weight_words(rows, depth)) { buffer, count in
                ck_gemm_bf16_pack_weights(weights, rows, depth, rowStride, depthStride, buffer.baseAddress!)
                count = buffer.count
            }
        case .float32:
            words = [UInt32](unsafeUninitializedCapacity: ck_gemm_f32_weight_words(rows, depth)) { buffer, count in
                buffer.withMemoryRebound(to: Float.self) {
                    ck_gemm_f32_pack_weights(weights, rows, depth, rowStride, depthStride, $0.baseAddress!)
                }
                count = buffer.count
            }
        case .int8:
            scales = [Float](repeating: 0, count: rows)
            sums = [Int32](repeating: 0, count: rows)
            words = [UInt32](unsafeUninitializedCapacity: ck_gemm_int8_weight_words(rows, depth)) { buffer, count in
                ck_gemm_int8_pack_weights(weights, rows, depth, rowStride, depthStride, buffer.baseAddress!, &scales, &sums)
                count = buffer.count
            }
        }
        self.scales = scales
        self.sums = sums
    }

    /// Row-major W[rows, depth].
    public init(_ products: Products, weights: [Float], rows: Int, depth: Int) {
        precondition(weights.count == rows * depth, "PackedWeights: \(weights.count) weights for \(rows)×\(depth)")
        self = weights.withUnsafeBufferPointer {
            PackedWeights(products, weights: $0.baseAddress!, rows: rows, depth: depth, rowStride: depth, depthStride: 1)
        }
    }

    /// Words per packed activation row for `columns` columns (a multiple of 16).
    public static func stride(columns: Int) -> Int { ck_gemm_bf16_activation_stride(columns) }

    /// Words of packed activations of this depth with rows `stride` apart.
    public func activationWords(stride: Int) -> Int {
        switch products {
        case .bfloat16: (depth + 1) / 2 * stride
        case .float32: depth * stride
        case .int8: ck_gemm_int8_activation_words(depth, stride)
        }
    }

    /// packed (rows `stride` words apart) from X[depth, columns], X[c · taps + t, j] at
    /// x[c · channelStride + t · tapStride + j · columnStride] (see ck_gemm_bf16_pack_activations):
    /// a conv's im2col, a [depth, columns] matrix, or rows [columns, depth]. int8: each column
    /// quantized with its own scale (kept after the packed words).
    public func pack(
        _ x: UnsafePointer<Float>, columns: Int, taps: Int = 1, channelStride: Int, tapStride: Int = 0,
        columnStride: Int = 1, into packed: UnsafeMutablePointer<UInt32>, stride: Int, path: SkinnyLinear.Path = .automatic
    ) {
        precondition(depth % taps == 0 && stride >= columns, "PackedWeights.pack: shape")
        switch products {
        case .bfloat16:
            _ = ck_gemm_bf16_pack_activations(x, depth, columns, taps, channelStride, tapStride, columnStride, packed,
                                              stride, path.cPath)
        case .float32:
            packed.withMemoryRebound(to: Float.self, capacity: depth * stride) {
                ck_gemm_f32_pack_activations(x, depth, columns, taps, channelStride, tapStride, columnStride, $0, stride)
            }
        case .int8:
            _ = ck_gemm_int8_pack_activations(x, depth, columns, taps, channelStride, tapStride, columnStride, packed,
                                              stride, path.cPath)
        }
    }

    /// c[m, j] = Σ_k W[m, k] · X[k, j] + bias[m] (c[m, j] + that when `accumulate`), j < columns;
    /// `packed` from `pack` with rows `stride` words apart; c[m, j] at c[m · ldc + j · columnStride]
    /// (row-major: columnStride 1; the transpose [columns, rows]: ldc 1, columnStride rows).
    public func multiply(
        _ packed: UnsafePointer<UInt32>, columns: Int, stride: Int, bias: UnsafePointer<Float>?,
        into c: UnsafeMutablePointer<Float>, ldc: Int, columnStride: Int = 1, accumulate: Bool = false,
        path: SkinnyLinear.Path = .automatic
    ) {
        precondition(stride >= columns && columnStride >= 1, "PackedWeights: strides")
        words.withUnsafeBufferPointer { w in
            switch products {
            case .bfloat16:
                _ = ck_gemm_bf16(w.baseAddress!, rows, depth, packed, columns, stride, bias, c, ldc, columnStride,
                                 accumulate ? 1 : 0, path.cPath)
            case .float32:
                w.withMemoryRebound(to: Float.self) { wf in
                    packed.withMemoryRebound(to: Float.self, capacity: depth * stride) { xf in
                        _ = ck_gemm_f32(wf.baseAddress!, rows, depth, xf, columns, stride, bias, c, ldc, columnStride,
                                        accumulate ? 1 : 0, path.cPath)
                    }
                }
            case .int8:
                _ = ck_gemm_int8(w.baseAddress!, scales, sums, rows, depth, packed, columns, stride, bias, c, ldc,
                                 columnStride, accumulate ? 1 : 0, path.cPath)
            }
        }
    }

    /// y[j] = Σ_k W[0, k] · X[k, j] (+ bias[0]), j < columns, for one row of f32 products, straight
    /// from X (read as `pack` reads it, columnStride 1; no packing): the bits of `pack` + `multiply`
    /// (SEANet's output conv, one channel out).
    public func multiplyRow(
        _ x: UnsafePointer<Float>, columns: Int, taps: Int = 1, channelStride: Int, tapStride: Int = 0,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, path: SkinnyLinear.Path = .automatic
    ) {
        precondition(products == .float32 && rows == 1 && depth % taps == 0, "PackedWeights.multiplyRow: one f32 row")
        words.withUnsafeBufferPointer { w in
            w.withMemoryRebound(to: Float.self) {
                _ = ck_gemm_f32_row($0.baseAddress!, 8, depth, taps, x, channelStride, tapStride, columns, bias, y,
                                    path.cPath)
            }
        }
    }

    /// The bfloat16 products run on AVX512-BF16 (else portable C: the same results, slower).
    public static var hasAcceleratedBFloat16: Bool { SkinnyLinear.hasAVX512BF16 }

    /// The int8 products run on AVX512-VNNI (else portable C: the same results, slower).
    public static var hasAcceleratedInt8: Bool { SkinnyLinear.hasAVX512VNNI }
}

extension SkinnyLinear.Path {
    /// The CKernels value.
    var cPath: ck_path {
        switch self {
        case .automatic: CK_PATH_AUTO
        case .scalar: CK_PATH_SCALAR
        case .avx512: CK_PATH_AVX512
        case .avx2: CK_PATH_AVX2
        }
    }
}
