// RoPE: rotary position embedding, pocket_tts/modules/rope.py `apply_rope`.

/// Rotary embedding on interleaved pairs (x[2i], x[2i+1]) of each head, as in
/// pocket_tts/modules/rope.py: freq_i = exp(i · (−ln(maxPeriod)·2/D)) in float32,
/// angle = freq_i · Float(position) in float32, then
/// (re, im) -> (re·cos − im·sin, re·sin + im·cos).
public struct RoPE: Sendable {
    public let headDim: Int
    public let maxPeriod: Double
    /// freq_i for i in 0..<headDim/2.  // [headDim / 2]
    public let frequencies: [Float]

    public init(headDim: Int, maxPeriod: Double = 10_000) {
        precondition(headDim > 0 && headDim % 2 == 0, "RoPE: headDim must be even and positive")
        precondition(maxPeriod > 0, "RoPE: maxPeriod must be positive")
        self.headDim = headDim
        self.maxPeriod = maxPeriod
        // torch: float32 arange times a float32 scalar, then exp (float32 result).
        let step = Float(-CMath.log(maxPeriod) * 2 / Double(headDim))
        frequencies = (0..<headDim / 2).map { i in Float(CMath.exp(Double(Float(i) * step))) }
    }

    /// Rotates x in place. x is [T, heads, headDim] with row (time step) stride `rowStride`
    /// (default heads·headDim; pass a larger stride to work inside a packed [T, 3, H, D] buffer).
    /// Row t is at absolute position `offset + t`. Allocation-free.
    public func apply(
        _ x: UnsafeMutablePointer<Float>, count T: Int, heads: Int, offset: Int, rowStride: Int? = nil
    ) {
        let D = headDim
        let half = D / 2
        let stride = rowStride ?? heads * D
        precondition(stride >= heads * D, "RoPE: rowStride smaller than heads·headDim")
        frequencies.withUnsafeBufferPointer { freqs in
            for t in 0..<T {
                let position = Float(offset + t)  // torch: float32 arange + offset
                let row = x + t * stride
                for i in 0..<half {
                    let angle = freqs[i] * position
                    let c = CMath.cos(angle)
                    let s = CMath.sin(angle)
                    var p = row + 2 * i
                    for _ in 0..<heads {
                        let re = p[0]
                        let im = p[1]
                        p[0] = re * c - im * s
                        p[1] = re * s + im * c
                        p += D
                    }
                }
            }
        }
    }

    /// Returns x [T, H, D] rotated for positions offset..<offset+T.
    public func callAsFunction(_ x: Tensor, offset: Int) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == headDim, "RoPE: input \(x.shape), expected [T, H, \(headDim)]")
        var out = x
        if x.count == 0 { return out }
        out.data.withUnsafeMutableBufferPointer {
            apply($0.baseAddress!, count: x.shape[0], heads: x.shape[1], offset: offset)
        }
        return out
    }
}
