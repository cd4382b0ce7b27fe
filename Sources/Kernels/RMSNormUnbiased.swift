// RMSNormUnbiased: pocket_tts/modules/mlp.py `_rms_norm`, y = x·alpha / sqrt(var(x, unbiased) + eps).

/// The reference's "RMSNorm" (pocket_tts/modules/mlp.py `RMSNorm`, used in `TimestepEmbedder`):
/// `y = x · alpha · rsqrt(eps + x.var(dim=-1))`, where `var` is torch's default UNBIASED
/// variance (mean subtracted inside the variance, divided by dim − 1) while x itself is NOT
/// centred. Not a true RMS norm; reproduced as is.
public struct RMSNormUnbiased: Sendable {
    public let dim: Int
    public let eps: Float
    public let alpha: [Float]  // [dim]

    public init(dim: Int, eps: Float = 1e-5, alpha: [Float]? = nil) {
        precondition(dim > 1, "RMSNormUnbiased: dim must be > 1 (unbiased variance)")
        precondition(alpha.map { $0.count == dim } ?? true, "RMSNormUnbiased: alpha must have \(dim) elements")
        self.dim = dim
        self.eps = eps
        self.alpha = alpha ?? [Float](repeating: 1, count: dim)
    }

    /// y[rows, dim] = norm(x[rows, dim]). x and y may be the same buffer.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let n = dim
        alpha.withUnsafeBufferPointer { a in
            for r in 0..<rows {
                let xr = x + r * n
                let yr = y + r * n
                let mean = VectorMath.sum(xr, count: n) / Float(n)
                let variance = VectorMath.sumSquaredDeviation(xr, count: n, mean: mean) / Float(n - 1)
                let inv = 1 / (variance + eps).squareRoot()
                for i in 0..<n { yr[i] = xr[i] * (a[i] * inv) }
            }
        }
    }

    /// Normalises x[rows, dim] in place.
    public func forwardInPlace(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        forward(UnsafePointer(x), rows: rows, into: x)
    }

    /// Normalises over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.lastDimension == dim, "RMSNormUnbiased: input \(x.shape), expected last dim \(dim)")
        var out = x
        if x.count == 0 { return out }
        out.data.withUnsafeMutableBufferPointer { forwardInPlace($0.baseAddress!, rows: x.rowCount) }
        return out
    }
}
