// Conv1d: 1-D convolution without padding, [Cin, T] -> [Cout, Tout], torch weight layout.

/// A 1-D convolution (torch `nn.Conv1d` with padding 0). Streaming wrappers prepend their
/// own state; this kernel never pads.
/// Tout = (T − dilation·(K − 1) − 1) / stride + 1.
/// groups == 1 (and any grouped conv) runs as im2col + one sgemm per group; 1×1 convs with
/// stride 1 skip im2col; depthwise convs (groups == Cin == Cout) use a direct loop.
public struct Conv1d: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public let groups: Int
    public let weight: [Float]  // [outChannels, inChannels / groups, kernelSize]
    public let bias: [Float]?  // [outChannels]

    public init(
        weight: [Float], bias: [Float]? = nil, inChannels: Int, outChannels: Int, kernelSize: Int,
        stride: Int = 1, dilation: Int = 1, groups: Int = 1
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0, "Conv1d: empty dimensions")
        precondition(stride > 0 && dilation > 0 && groups > 0, "Conv1d: stride, dilation, groups must be positive")
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "Conv1d: channels not divisible by groups")
        precondition(weight.count == outChannels * (inChannels / groups) * kernelSize,
                     "Conv1d: weight has \(weight.count) elements, expected [\(outChannels), \(inChannels / groups), \(kernelSize)]")
        precondition(bias.map { $0.count == outChannels } ?? true, "Conv1d: bias must have \(outChannels) elements")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
        self.groups = groups
        self.weight = weight
        self.bias = bias
    }

    /// weight: [Cout, Cin / groups, K]; bias: [Cout].
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, dilation: Int = 1, groups: Int = 1) {
        precondition(weight.rank == 3, "Conv1d: weight must be [Cout, Cin/groups, K], got \(weight.shape)")
        self.init(weight: weight.data, bias: bias?.data, inChannels: weight.shape[1] * groups,
                  outChannels: weight.shape[0], kernelSize: weight.shape[2],
                  stride: stride, dilation: dilation, groups: groups)
    }

    /// Span of input samples one output sample sees: dilation·(K − 1) + 1.
    public var effectiveKernelSize: Int { dilation * (kernelSize - 1) + 1 }

    /// Output length for `inputLength` samples (0 when the input is shorter than the kernel).
    public func outputLength(inputLength: Int) -> Int {
        inputLength < effectiveKernelSize ? 0 : (inputLength - effectiveKernelSize) / stride + 1
    }

    private var isDepthwise: Bool { groups == inChannels && groups == outChannels }
    private var isPointwise: Bool { kernelSize == 1 && stride == 1 }

    /// Floats of scratch `forward` needs for `inputLength` samples (may be 0).
    public func scratchCount(inputLength: Int) -> Int {
        if isDepthwise || isPointwise { return 0 }
        return (inChannels / groups) * kernelSize * outputLength(inputLength: inputLength)
    }

    /// y[Cout, Tout] = conv(x[Cin, T]). Both contiguous; `scratch` holds `scratchCount(inputLength: T)`
    /// floats (may be nil when that is 0). Allocation-free.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?
    ) {
        let Tout = outputLength(inputLength: T)
        if Tout == 0 { return }
        let (K, S, Dl) = (kernelSize, stride, dilation)
        let cinG = inChannels / groups
        let coutG = outChannels / groups
        // Start from the bias (or zero), then accumulate.
        for co in 0..<outChannels {
            (y + co * Tout).update(repeating: bias?[co] ?? 0, count: Tout)
        }
        weight.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            if isDepthwise {
                for c in 0..<inChannels {
                    let xc = x + c * T
                    let yc = y + c * Tout
                    for k in 0..<K {
                        let wk = w[c * K + k]
                        if S == 1 {
                            VectorMath.axpy(wk, xc + k * Dl, yc, count: Tout)
                        } else {
                            var src = xc + k * Dl
                            for t in 0..<Tout { yc[t] += wk * src.pointee; src += S }
                        }
                    }
                }
                return
            }
            for g in 0..<groups {
                let xg = x + g * cinG * T
                let wg = w + g * coutG * cinG * K
                let yg = y + g * coutG * Tout
                if isPointwise {
                    BLAS.sgemm(m: coutG, n: Tout, k: cinG, a: wg, lda: cinG, b: xg, ldb: T,
                               beta: 1, c: yg, ldc: Tout)
                    continue
                }
                guard let col = scratch else { preconditionFailure("Conv1d: scratch buffer required") }
                // col[(ci·K + k), t] = x[ci, t·S + k·Dl]
                for ci in 0..<cinG {
                    for k in 0..<K {
                        let dst = col + (ci * K + k) * Tout
                        let src = xg + ci * T + k * Dl
                        if S == 1 {
                            dst.update(from: src, count: Tout)
                        } else {
                            for t in 0..<Tout { dst[t] = src[t * S] }
                        }
                    }
                }
                BLAS.sgemm(m: coutG, n: Tout, k: cinG * K, a: wg, lda: cinG * K, b: col, ldb: Tout,
                           beta: 1, c: yg, ldc: Tout)
            }
        }
    }

    /// [Cin, T] -> [Cout, Tout].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inChannels, "Conv1d: input \(x.shape), expected [\(inChannels), T]")
        let T = x.shape[1]
        return convolve(x, outChannels: outChannels, outputLength: outputLength(inputLength: T),
                        scratchCount: scratchCount(inputLength: T)) { xp, t, yp, sp in
            forward(xp, length: t, into: yp, scratch: sp)
        }
    }
}

/// The Tensor form shared by Conv1d and ConvTranspose1d: [Cin, T] in, [Cout, Tout] out, with a
/// scratch buffer of `scratchCount` values for the pointer `forward`.
func convolve(
    _ x: Tensor, outChannels: Int, outputLength Tout: Int, scratchCount: Int,
    _ forward: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
) -> Tensor {
    let T = x.shape[1]
    var out = Tensor.zeros([outChannels, Tout])
    if Tout == 0 { return out }
    var scratch = [Float](repeating: 0, count: max(1, scratchCount))
    x.data.withUnsafeBufferPointer { xp in
        out.data.withUnsafeMutableBufferPointer { yp in
            scratch.withUnsafeMutableBufferPointer { sp in
                forward(xp.baseAddress!, T, yp.baseAddress!, sp.baseAddress!)
            }
        }
    }
    return out
}
