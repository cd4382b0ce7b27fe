// Activations: element-wise GELU (exact erf), SiLU, ELU, and row softmax, in place.

/// Which GELU a transformer's feed-forward uses (torch `F.gelu(x, approximate=...)`):
/// pocket-tts 1.1.1 uses the exact erf form, 4.0.1 the tanh form.
public enum GELUApproximation: String, Sendable, Equatable, CaseIterable {
    case none
    case tanh
}

/// In-place activation functions on contiguous floats. Allocation-free.
public enum Activation {
    /// GELU, exact form: 0.5·x·(1 + erf(x/√2)) (torch `F.gelu`, approximate="none").
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let invSqrt2: Float = 0.707_106_781_186_547_524_4
        for i in 0..<n {
            let v = x[i]
            x[i] = 0.5 * v * (1 + CMath.erf(v * invSqrt2))
        }
    }

    /// GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (torch `F.gelu`,
    /// approximate="tanh": pocket-tts 4.0.1's transformers).
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let sqrt2OverPi: Float = 0.797_884_560_802_865_355_9
        let cubic: Float = 0.044_715
        for i in 0..<n {
            let v = x[i]
            let inner = sqrt2OverPi * (v + cubic * v * v * v)
            x[i] = 0.5 * v * (1 + CMath.tanh(inner))
        }
    }

    /// GELU of either form, in place.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int, approximation: GELUApproximation) {
        switch approximation {
        case .none: gelu(x, count: n)
        case .tanh: geluTanh(x, count: n)
        }
    }

    /// SiLU: x·sigmoid(x) = x / (1 + e^(−x)).
    public static func silu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let v = x[i]
            x[i] = v / (1 + CMath.exp(-v))
        }
    }

    /// ELU: x for x > 0, alpha·(e^x − 1) otherwise.
    public static func elu(_ x: UnsafeMutablePointer<Float>, count n: Int, alpha: Float = 1) {
        for i in 0..<n {
            let v = x[i]
            if !(v > 0) { x[i] = alpha * CMath.expm1(v) }
        }
    }

    /// Softmax over each row of x[rows, columns] in place (max-subtracted).
    /// A row whose entries are all −infinity becomes all zeros.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, columns n: Int) {
        for r in 0..<rows {
            let row = x + r * n
            let m = VectorMath.max(row, count: n)
            if m == -.infinity {
                row.update(repeating: 0, count: n)
                continue
            }
            var sum: Float = 0
            for i in 0..<n {
                let e = CMath.exp(row[i] - m)
                row[i] = e
                sum += e
            }
            VectorMath.scale(row, by: 1 / sum, count: n)
        }
    }

    // MARK: Buffer and Tensor conveniences

    public static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        if let p = x.baseAddress { gelu(p, count: x.count) }
    }

    public static func silu(_ x: UnsafeMutableBufferPointer<Float>) {
        if let p = x.baseAddress { silu(p, count: x.count) }
    }

    public static func elu(_ x: UnsafeMutableBufferPointer<Float>, alpha: Float = 1) {
        if let p = x.baseAddress { elu(p, count: x.count, alpha: alpha) }
    }

    public static func gelu(_ x: Tensor) -> Tensor { map(x) { gelu($0) } }
    public static func silu(_ x: Tensor) -> Tensor { map(x) { silu($0) } }
    public static func elu(_ x: Tensor, alpha: Float = 1) -> Tensor { map(x) { elu($0, alpha: alpha) } }

    /// Softmax over the last dimension.
    public static func softmax(_ x: Tensor) -> Tensor {
        map(x) { softmax($0.baseAddress!, rows: x.rowCount, columns: x.lastDimension) }
    }

    private static func map(_ x: Tensor, _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        var out = x
        if out.count > 0 { out.data.withUnsafeMutableBufferPointer { body($0) } }
        return out
    }
}
