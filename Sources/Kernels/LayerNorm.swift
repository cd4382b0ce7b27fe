// LayerNorm: (x - mean) / sqrt(var + eps) · weight + bias over the last dim, biased variance.

/// Layer normalisation over rows of `dim` floats, torch semantics (biased variance).
public struct LayerNorm: Sendable {
    public let dim: Int
    public let eps: Float
    public let weight: [Float]?  // [dim]
    public let bias: [Float]?  // [dim]

    public init(dim: Int, eps: Float = 1e-5, weight: [Float]? = nil, bias: [Float]? = nil) {
        precondition(dim > 0, "LayerNorm: dim must be positive")
        precondition(weight.map { $0.count == dim } ?? true, "LayerNorm: weight must have \(dim) elements")
        precondition(bias.map { $0.count == dim } ?? true, "LayerNorm: bias must have \(dim) elements")
        self.dim = dim
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    /// y[rows, dim] = norm(x[rows, dim]). x and y may be the same buffer.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let n = dim
        for r in 0..<rows {
            let xr = x + r * n
            let yr = y + r * n
            let mean = VectorMath.sum(xr, count: n) / Float(n)
            let variance = VectorMath.sumSquaredDeviation(xr, count: n, mean: mean) / Float(n)
            let inv = 1 / (variance + eps).squareRoot()
            for i in 0..<n { yr[i] = (xr[i] - mean) * inv }
            if let weight { weight.withUnsafeBufferPointer { VectorMath.multiply($0.baseAddress!, into: yr, count: n) } }
            if let bias { bias.withUnsafeBufferPointer { VectorMath.add($0.baseAddress!, into: yr, count: n) } }
        }
    }

    /// Normalises x[rows, dim] in place.
    public func forwardInPlace(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        forward(UnsafePointer(x), rows: rows, into: x)
    }

    /// Normalises over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.lastDimension == dim, "LayerNorm: input \(x.shape), expected last dim \(dim)")
        var out = x
        if x.count == 0 { return out }
        out.data.withUnsafeMutableBufferPointer { forwardInPlace($0.baseAddress!, rows: x.rowCount) }
        return out
    }
}
