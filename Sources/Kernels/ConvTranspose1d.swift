// ConvTranspose1d: transposed 1-D convolution, [Cin, T] -> full [Cout, (T − 1)·stride + K].

/// A transposed 1-D convolution (torch `nn.ConvTranspose1d`, padding 0, output_padding 0),
/// returning the FULL output: no trimming; streaming wrappers handle the overlap.
/// groups == 1 (and any grouped case) runs as one sgemm per group + col2im; depthwise
/// (groups == Cin == Cout) uses a direct SIMD loop.
public struct ConvTranspose1d: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let groups: Int
    public let weight: [Float]  // [inChannels, outChannels / groups, kernelSize] (torch layout)
    public let bias: [Float]?  // [outChannels]

    public init(
        weight: [Float], bias: [Float]? = nil, inChannels: Int, outChannels: Int, kernelSize: Int,
        stride: Int = 1, groups: Int = 1
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0, "ConvTranspose1d: empty dimensions")
        precondition(stride > 0 && groups > 0, "ConvTranspose1d: stride and groups must be positive")
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "ConvTranspose1d: channels not divisible by groups")
        precondition(weight.count == inChannels * (outChannels / groups) * kernelSize,
                     "ConvTranspose1d: weight has \(weight.count) elements, expected [\(inChannels), \(outChannels / groups), \(kernelSize)]")
        precondition(bias.map { $0.count == outChannels } ?? true, "ConvTranspose1d: bias must have \(outChannels) elements")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.groups = groups
        self.weight = weight
        self.bias = bias
    }

    /// weight: [Cin, Cout / groups, K]; bias: [Cout].
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, groups: Int = 1) {
        precondition(weight.rank == 3, "ConvTranspose1d: weight must be [Cin, Cout/groups, K], got \(weight.shape)")
        self.init(weight: weight.data, bias: bias?.data, inChannels: weight.shape[0],
                  outChannels: weight.shape[1] * groups, kernelSize: weight.shape[2],
                  stride: stride, groups: groups)
    }

    /// Full output length for `inputLength` samples: (T − 1)·stride + K (0 for T == 0).
    public func outputLength(inputLength: Int) -> Int {
        inputLength == 0 ? 0 : (inputLength - 1) * stride + kernelSize
    }

    private var isDepthwise: Bool { groups == inChannels && groups == outChannels }

    /// Floats of scratch `forward` needs for `inputLength` samples (0 for depthwise).
    public func scratchCount(inputLength: Int) -> Int {
        isDepthwise ? 0 : (outChannels / groups) * kernelSize * inputLength
    }

    /// y[Cout, (T − 1)·stride + K] = convtr(x[Cin, T]) (+ bias on every output sample).
    /// Both contiguous; `scratch` holds `scratchCount(inputLength: T)` floats (nil allowed when
    /// that is 0). Allocation-free.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>?
    ) {
        let Tout = outputLength(inputLength: T)
        if Tout == 0 { return }
        let (K, S) = (kernelSize, stride)
        let cinG = inChannels / groups
        let coutG = outChannels / groups
        for co in 0..<outChannels {
            (y + co * Tout).update(repeating: bias?[co] ?? 0, count: Tout)
        }
        weight.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            if isDepthwise {
                // y[c, t·S + k] += x[c, t] · w[c, 0, k]
                for c in 0..<inChannels {
                    let wc = w + c * K
                    let yc = y + c * Tout
                    for t in 0..<T { VectorMath.axpy(x[c * T + t], wc, yc + t * S, count: K) }
                }
                return
            }
            guard let col = scratch else { preconditionFailure("ConvTranspose1d: scratch buffer required") }
            for g in 0..<groups {
                let xg = x + g * cinG * T
                let wg = w + g * cinG * coutG * K
                let yg = y + g * coutG * Tout
                // col[(co·K + k), t] = Σ_ci w[ci, co, k] · x[ci, t]   (Wᵀ · X)
                BLAS.sgemm(transposeA: true, m: coutG * K, n: T, k: cinG, a: wg, lda: coutG * K,
                           b: xg, ldb: T, c: col, ldc: T)
                // col2im: y[co, t·S + k] += col[(co·K + k), t]
                for co in 0..<coutG {
                    let yc = yg + co * Tout
                    for k in 0..<K {
                        let src = col + (co * K + k) * T
                        var dst = yc + k
                        for t in 0..<T { dst.pointee += src[t]; dst += S }
                    }
                }
            }
        }
    }

    /// [Cin, T] -> [Cout, (T − 1)·stride + K].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inChannels,
                     "ConvTranspose1d: input \(x.shape), expected [\(inChannels), T]")
        let T = x.shape[1]
        return convolve(x, outChannels: outChannels, outputLength: outputLength(inputLength: T),
                        scratchCount: scratchCount(inputLength: T)) { xp, t, yp, sp in
            forward(xp, length: t, into: yp, scratch: sp)
        }
    }
}
