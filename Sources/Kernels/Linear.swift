// Linear: y = x·Wᵀ + b over rows. Up to 63 rows: CKernels (AVX-512, weights read once per
// call; from 16 rows the outputs split over the caller's WorkerPool, WorkerPool.swift); more:
// OpenBLAS sgemm. Weights in f32 or bfloat16 (Linear+BFloat16.swift); the reduced arithmetics
// bf16 and int8 run CKernels at every row count (Linear+Arithmetic.swift).

/// A fully connected layer with torch's weight layout.
public struct Linear: Sendable {
    /// The weight matrix [outFeatures, inFeatures], row-major, as loaded.
    public enum Weights: Sendable, Equatable {
        case float32([Float])
        /// bfloat16 bits, each the top half of a Float32 (the official checkpoint's dtype): the
        /// same values as `.float32` of the widened bits, with half the memory and traffic.
        case bfloat16([UInt16])
        /// int8 with one scale per output row (`Arithmetic.int8` only).
        case int8(Int8Weights)
    }

    public let inFeatures: Int
    public let outFeatures: Int
    public let weights: Weights  // [outFeatures, inFeatures]
    public let bias: [Float]?  // [outFeatures]
    /// The arithmetic of `forward`: `.f32` keeps f32 or bfloat16 weights, `.bf16` bfloat16
    /// ones, `.int8` int8 ones.
    public let arithmetic: Arithmetic

    /// The weights are stored as `arithmetic` needs them: `.bf16` rounds f32 weights to bfloat16
    /// (nearest even), `.int8` quantizes f32 or bfloat16 ones (`Int8Weights`); `.f32` keeps them.
    public init(weights: Weights, bias: [Float]? = nil, inFeatures: Int, outFeatures: Int, arithmetic: Arithmetic = .f32) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear: empty dimensions")
        precondition(weights.count == inFeatures * outFeatures,
                     "Linear: weight has \(weights.count) elements, expected \(outFeatures)×\(inFeatures)")
        precondition(bias.map { $0.count == outFeatures } ?? true, "Linear: bias must have \(outFeatures) elements")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weights = weights.stored(for: arithmetic, outFeatures: outFeatures, inFeatures: inFeatures)
        self.bias = bias
        self.arithmetic = arithmetic
    }

    public init(weight: [Float], bias: [Float]? = nil, inFeatures: Int, outFeatures: Int) {
        self.init(weights: .float32(weight), bias: bias, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// weight: [out, in]; bias: [out].
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Linear: bias shape \(bias.shape)") }
        self.init(weight: weight.data, bias: bias?.data, inFeatures: weight.shape[1], outFeatures: weight.shape[0])
    }

    /// The weight values [out, in] as Float32 (a widened copy when stored as bfloat16, the
    /// dequantized values when int8).
    public var weight: [Float] {
        switch weights {
        case .float32(let w): w
        case .bfloat16(let bits): Linear.widen(bits)
        case .int8(let q): q.dequantized
        }
    }

    /// From this many rows on, `forward` runs OpenBLAS sgemm (bfloat16 weights widened in
    /// blocks); below, with AVX-512, the CKernels kernels, which read the weights once per call
    /// where sgemm re-packs the whole matrix on every call. Crossover measured on FlowLM's 24
    /// transformer matrices (AMD EPYC Zen 4, one BLAS thread): equal at 64 rows, CKernels 1.2–2×
    /// faster from 32 rows down, sgemm 6–10% faster at 128 (Benchmarks/README.md).
    public static let sgemmMinimumRows = 64

    /// On the BLAS path, up to this many rows run one sgemv each (2 rows as 2 sgemvs 1.8 ms vs
    /// one sgemm 4.8 ms on 1024×4096; 8 rows: sgemm 5.2 ms vs 8 sgemvs 7.8 ms).
    public static let sgemvMaximumRows = 3

    /// True when `forward` over `rows` rows runs the CKernels AVX-512 kernels. Without AVX-512
    /// everything goes through OpenBLAS (CKernels' portable C is slower than OpenBLAS's AVX2).
    public static func usesCKernels(rows: Int) -> Bool {
        rows < sgemmMinimumRows && SkinnyLinear.hasAVX512
    }

    /// y[rows, out] = x[rows, in]·Wᵀ + b, or y += x·Wᵀ + b when `accumulate`, in `arithmetic`.
    /// Rows of x and y are contiguous; y must not overlap x. From `parallelMinimumRows` rows the
    /// CKernels path shares blocks of outputs with `pool` (none: all on the calling thread; the
    /// same values either way). Allocation-free, except that bfloat16 weights on the BLAS path
    /// widen into a temporary block (prompts), as do the reduced arithmetics' activations past
    /// 64 KB (CKernels).
    public func forward(
        _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
        pool: WorkerPool? = nil
    ) {
        precondition(rows >= 0, "Linear: negative row count")
        if rows == 0 { return }
        let ckernels = Linear.usesCKernels(rows: rows)
        switch weights {
        case .float32(let w):
            w.withUnsafeBufferPointer { w in
                if ckernels {
                    skinny(x, rows: rows, weight: w.baseAddress!, into: y, accumulate: accumulate, pool: pool)
                } else {
                    let beta = prefillBias(rows: rows, into: y, accumulate: accumulate)
                    blas(x, rows: rows, weight: w.baseAddress!, outputs: 0..<outFeatures, beta: beta, into: y)
                }
            }
        case .bfloat16(let bits) where arithmetic == .bf16:
            bits.withUnsafeBufferPointer { w in
                bf16(x, rows: rows, weight: w.baseAddress!, into: y, accumulate: accumulate, pool: pool)
            }
        case .int8(let q):
            int8(x, rows: rows, weight: q, into: y, accumulate: accumulate, pool: pool)
        case .bfloat16(let bits):
            bits.withUnsafeBufferPointer { w in
                if ckernels {
                    skinny(x, rows: rows, bfloat16Weight: w.baseAddress!, into: y, accumulate: accumulate, pool: pool)
                } else {
                    widenedBLAS(x, rows: rows, bfloat16Weight: w.baseAddress!, into: y, accumulate: accumulate)
                }
            }
        }
    }

    /// Applies the layer on the last dimension: [..., in] -> [..., out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.lastDimension == inFeatures, "Linear: input \(x.shape), expected last dim \(inFeatures)")
        let rows = x.rowCount
        var out = Tensor.zeros(Array(x.shape.dropLast()) + [outFeatures])
        if rows == 0 { return out }
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, rows: rows, into: yp.baseAddress!)
            }
        }
        return out
    }

    // MARK: - Paths

    func skinny(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>,
                into y: UnsafeMutablePointer<Float>, accumulate: Bool, pool: WorkerPool?) {
        withBias { b in
            splitOutputs(rows: rows, pool: pool) { outputs in
                SkinnyLinear.forward(x, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures,
                                     bias: b, into: y, accumulate: accumulate, outputs: outputs)
            }
        }
    }

    /// Writes (or adds) the bias into every row of y; returns the BLAS beta that follows.
    func prefillBias(rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) -> Float {
        guard let bias else { return accumulate ? 1 : 0 }
        let n = outFeatures
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                if accumulate {
                    VectorMath.add(b.baseAddress!, into: y + r * n, count: n)
                } else {
                    (y + r * n).update(from: b.baseAddress!, count: n)
                }
            }
        }
        return 1
    }

    /// y[:, outputs] = x·W[outputs]ᵀ + beta·y[:, outputs]; `weight` points at W[outputs.lowerBound].
    func blas(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, outputs: Range<Int>, beta: Float,
              into y: UnsafeMutablePointer<Float>) {
        let (n, k, c) = (outFeatures, inFeatures, y + outputs.lowerBound)
        if rows <= Linear.sgemvMaximumRows {
            for r in 0..<rows {
                BLAS.sgemv(m: outputs.count, n: k, a: weight, lda: k, x: x + r * k, beta: beta, y: c + r * n)
            }
        } else {
            BLAS.sgemm(transposeB: true, m: rows, n: outputs.count, k: k, a: x, lda: k,
                       b: weight, ldb: k, beta: beta, c: c, ldc: n)
        }
    }

    @discardableResult
    func withBias<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension Linear.Weights {
    /// Number of weights.
    public var count: Int {
        switch self {
        case .float32(let w): w.count
        case .bfloat16(let w): w.count
        case .int8(let q): q.values.count
        }
    }
}
