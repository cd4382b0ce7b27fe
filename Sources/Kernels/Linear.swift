// Linear: y = x·Wᵀ + b over rows, one sgemm (one sgemv per row for 1–3 rows).

/// A fully connected layer with torch's weight layout.
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: [Float]  // [outFeatures, inFeatures]
    public let bias: [Float]?  // [outFeatures]

    public init(weight: [Float], bias: [Float]? = nil, inFeatures: Int, outFeatures: Int) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear: empty dimensions")
        precondition(weight.count == inFeatures * outFeatures,
                     "Linear: weight has \(weight.count) elements, expected \(outFeatures)×\(inFeatures)")
        precondition(bias.map { $0.count == outFeatures } ?? true, "Linear: bias must have \(outFeatures) elements")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = weight
        self.bias = bias
    }

    /// weight: [out, in]; bias: [out].
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Linear: bias shape \(bias.shape)") }
        self.init(weight: weight.data, bias: bias?.data, inFeatures: weight.shape[1], outFeatures: weight.shape[0])
    }

    /// Below this many rows `forward` runs one sgemv per row: OpenBLAS sgemm packs the whole
    /// weight matrix on every call, which costs more than streaming it 2–3 times (measured on
    /// 1024×4096, one thread, busy machine: 2 rows as 2 sgemvs 1.8 ms vs one sgemm 4.8 ms;
    /// 8 rows as one sgemm 5.2 ms vs 8 sgemvs 7.8 ms).
    public static let sgemmMinimumRows = 4

    /// y[rows, out] = x[rows, in]·Wᵀ + b, or y += x·Wᵀ + b when `accumulate`.
    /// Rows of x and y are contiguous. Allocation-free. y must not overlap x.
    public func forward(
        _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        precondition(rows >= 0, "Linear: negative row count")
        if rows == 0 { return }
        let (n, k) = (outFeatures, inFeatures)
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    if accumulate {
                        VectorMath.add(b.baseAddress!, into: y + r * n, count: n)
                    } else {
                        (y + r * n).update(from: b.baseAddress!, count: n)
                    }
                }
            }
            beta = 1
        }
        weight.withUnsafeBufferPointer { w in
            if rows < Linear.sgemmMinimumRows {
                for r in 0..<rows {
                    BLAS.sgemv(m: n, n: k, a: w.baseAddress!, lda: k, x: x + r * k, beta: beta, y: y + r * n)
                }
            } else {
                BLAS.sgemm(transposeB: true, m: rows, n: n, k: k, a: x, lda: k,
                           b: w.baseAddress!, ldb: k, beta: beta, c: y, ldc: n)
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
}
