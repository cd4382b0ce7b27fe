// StreamingConv: causal streaming convolutions, pocket_tts/modules/conv.py
// (`StreamingConv1d`, `StreamingConvTranspose1d`). Weights here, history in a per-stream State.
import Kernels

/// How a causal convolution fills the history before the first sample
/// (pocket_tts `pad_mode`).
public enum ConvPaddingMode: String, Sendable {
    /// Zeros.
    case constant
    /// Copies of the stream's first (input) sample.
    case replicate
}

/// Causal 1-D convolution (pocket_tts `StreamingConv1d`): each call prepends the last
/// `historyLength` = effective kernel − stride input samples of the previous call (zeros, or
/// the first sample in replicate mode, at the start) and returns T / stride samples.
/// Feeding a stream in chunks (each a multiple of the stride) equals feeding it at once.
public struct StreamingConv1d: StreamingModule {
    public let conv: Conv1d  // <prefix>.conv.weight [Cout, Cin/groups, K], <prefix>.conv.bias [Cout]
    public let paddingMode: ConvPaddingMode
    /// The weights [Cout, Cin·K] packed for `PackedWeights` (the decoder under `Precision.bf16` /
    /// `.int8`, groups 1); nil: the exact path.
    public let panels: PackedWeights?

    public struct State: Sendable {
        var previous: [Float]  // [Cin, historyLength]: conv input kept from the last call
        var isFirst = true  // no call yet (replicate mode pads from the first sample)
        var input: [Float] = []  // scratch [Cin, historyLength + T]
        var columns: [Float] = []  // scratch for the conv kernel (im2col)
        var packed: [UInt32] = []  // scratch: the packed im2col (`panels`)
    }

    /// `products` non-nil: multiply with `PackedWeights` of that kind (nil: the exact path).
    public init(conv: Conv1d, paddingMode: ConvPaddingMode = .constant, products: PackedWeights.Products? = nil) {
        self.conv = conv
        self.paddingMode = paddingMode
        panels = products.flatMap { p in
            conv.groups != 1 ? nil
                : PackedWeights(p, weights: conv.weight, rows: conv.outChannels, depth: conv.inChannels * conv.kernelSize)
        }
    }

    public var inChannels: Int { conv.inChannels }
    public var outChannels: Int { conv.outChannels }
    public var stride: Int { conv.stride }
    /// Input samples carried from one call to the next.
    public var historyLength: Int { conv.effectiveKernelSize - conv.stride }

    public func makeState(capacity: Int = 0) -> State {
        State(previous: [Float](repeating: 0, count: inChannels * historyLength))
    }

    /// Output samples for an input chunk of `length` samples (a positive multiple of the stride).
    public func outputLength(inputLength length: Int) -> Int { length / stride }

    /// y[Cout, T / stride] = conv(history ++ f(x[Cin, T])), f = ELU when `applyingELU`
    /// (the ELU that precedes this conv in SEANet, fused into the history copy); y += that when
    /// `accumulating` (packed weights only: y + (sum + bias), the bits of adding the output after).
    /// x and y must not overlap. Allocation-free once the state's scratch has grown to this T.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into y: UnsafeMutablePointer<Float>,
        state: inout State, applyingELU: Bool = false, accumulating: Bool = false
    ) {
        precondition(T > 0 && T % stride == 0, "StreamingConv1d: steps (\(T)) must be a positive multiple of stride \(stride)")
        precondition(!accumulating || panels != nil, "StreamingConv1d: accumulating needs packed weights")
        let (C, P) = (inChannels, historyLength)
        let L = P + T
        state.input.reserveScratch(C * L)
        state.columns.reserveScratch(panels == nil ? max(1, conv.scratchCount(inputLength: L)) : 1)
        if let panels, !usesRowPath {
            state.packed.reserveScratch(panels.activationWords(stride: PackedWeights.stride(columns: L / stride)))
        }
        let replicateFirst = paddingMode == .replicate && state.isFirst
        withPointers(&state.input, &state.previous, &state.columns) { buffer, previous, columns in
            // buffer[c] = history[c] ++ f(x[c])   (torch.cat([previous, x], -1))
            for c in 0..<C {
                let row = buffer + c * L
                (row + P).update(from: x + c * T, count: T)
                if applyingELU { VectorELU.apply(row + P, count: T) }
                if P == 0 { continue }
                if replicateFirst {
                    row.update(repeating: row[P], count: P)
                } else {
                    row.update(from: previous + c * P, count: P)
                }
            }
            if let panels {
                state.packed.withUnsafeMutableBufferPointer { packed in
                    convolvePacked(panels, buffer, length: L, into: y, packed: packed.baseAddress!, accumulating: accumulating)
                }
            } else {
                convolve(buffer, length: L, into: y, columns: columns)
            }
            // previous = last P samples of the conv input.
            for c in 0..<C where P > 0 {
                (previous + c * P).update(from: buffer + c * L + T, count: P)
            }
        }
        state.isFirst = false
    }

    /// y = conv(x[Cin, L]) without padding: the Kernels conv, or for a frame's few output steps
    /// im2col + `SkinnyGEMM` (the decoder's first conv: 1.3 → 0.8 ms).
    private func convolve(
        _ x: UnsafePointer<Float>, length L: Int, into y: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>
    ) {
        let Tout = conv.outputLength(inputLength: L)
        let (K, S, Dl, Cin) = (conv.kernelSize, conv.stride, conv.dilation, conv.inChannels)
        guard conv.groups == 1, Tout <= SkinnyGEMM.maxColumns, K > 1 else {
            conv.forward(x, length: L, into: y, scratch: columns)
            return
        }
        // columns[(ci·K + k), t] = x[ci, t·S + k·Dl]
        for ci in 0..<Cin {
            for k in 0..<K {
                let dst = columns + (ci * K + k) * Tout
                let src = x + ci * L + k * Dl
                for t in 0..<Tout { dst[t] = src[t * S] }
            }
        }
        conv.weight.withUnsafeBufferPointer { w in
            SkinnyGEMM.multiply(m: outChannels, n: Tout, k: Cin * K, a: w.baseAddress!, lda: Cin * K,
                                b: columns, ldb: Tout, c: y, ldc: Tout)
        }
        if let bias = conv.bias {
            for co in 0..<outChannels {
                let b = bias[co]
                for t in 0..<Tout { y[co * Tout + t] += b }
            }
        }
    }

    /// One output channel of f32 products, stride 1 (SEANet's output conv): `PackedWeights.multiplyRow`
    /// straight from the conv input, no im2col copy.
    var usesRowPath: Bool { panels.map { $0.products == .float32 && $0.rows == 1 } == true && stride == 1 }

    /// y (+)= conv(x[Cin, L]) with `PackedWeights`: im2col packed straight from x, one GEMM with the
    /// bias (one output channel: `multiplyRow`, no packing).
    private func convolvePacked(
        _ panels: PackedWeights, _ x: UnsafePointer<Float>, length L: Int, into y: UnsafeMutablePointer<Float>,
        packed: UnsafeMutablePointer<UInt32>, accumulating: Bool
    ) {
        let Tout = conv.outputLength(inputLength: L)
        let (K, S, Dl, Cin) = (conv.kernelSize, conv.stride, conv.dilation, conv.inChannels)
        let ldp = PackedWeights.stride(columns: Tout)
        precondition(panels.depth == Cin * K, "StreamingConv1d: packed weights")
        if usesRowPath && !accumulating {
            withOptionalPointer(conv.bias) { bias in
                panels.multiplyRow(x, columns: Tout, taps: K, channelStride: L, tapStride: Dl, bias: bias, into: y)
            }
            return
        }
        panels.pack(x, columns: Tout, taps: K, channelStride: L, tapStride: Dl, columnStride: S, into: packed, stride: ldp)
        withOptionalPointer(conv.bias) { bias in
            panels.multiply(packed, columns: Tout, stride: ldp, bias: bias, into: y, ldc: Tout, accumulate: accumulating)
        }
    }

    /// [Cin, T] -> [Cout, T / stride], T a positive multiple of the stride.
    public func step(_ x: Tensor, state: inout State) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inChannels, "StreamingConv1d: input \(x.shape), expected [\(inChannels), T]")
        let T = x.shape[1]
        var y = Tensor.zeros([outChannels, outputLength(inputLength: T)])
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, length: T, into: yp.baseAddress!, state: &state)
            }
        }
        return y
    }
}

/// Streaming transposed 1-D convolution (pocket_tts `StreamingConvTranspose1d`): the full
/// output of each call gets the previous call's overlap tail (K − stride samples, bias removed)
/// added to its head; its own tail is kept for the next call; T · stride samples come out.
public struct StreamingConvTranspose1d: StreamingModule {
    public let convTranspose: ConvTranspose1d  // <prefix>.convtr.weight [Cin, Cout/groups, K], <prefix>.convtr.bias [Cout]
    /// Wᵀ [Cout·K, Cin] packed for `PackedWeights` (the decoder under `Precision.bf16` / `.int8`,
    /// groups 1); nil: the exact path.
    public let panels: PackedWeights?

    public struct State: Sendable {
        var partial: [Float]  // [Cout, overlapLength]: tail of the last call's output, minus bias
        var full: [Float] = []  // scratch [Cout, (T − 1)·stride + K]
        var columns: [Float] = []  // scratch for the kernel (col2im)
        var packed: [UInt32] = []  // scratch: the packed input (`panels`)
    }

    /// `products` non-nil: multiply with `PackedWeights` of that kind (nil: the exact path).
    public init(convTranspose: ConvTranspose1d, products: PackedWeights.Products? = nil) {
        self.convTranspose = convTranspose
        let c = convTranspose
        panels = products.flatMap { p in
            c.groups != 1 ? nil : c.weight.withUnsafeBufferPointer {
                PackedWeights(p, weights: $0.baseAddress!, rows: c.outChannels * c.kernelSize, depth: c.inChannels,
                              rowStride: 1, depthStride: c.outChannels * c.kernelSize)
            }
        }
    }

    public var inChannels: Int { convTranspose.inChannels }
    public var outChannels: Int { convTranspose.outChannels }
    public var stride: Int { convTranspose.stride }
    /// Output samples that overlap the next call's output: K − stride.
    public var overlapLength: Int { convTranspose.kernelSize - convTranspose.stride }

    public func makeState(capacity: Int = 0) -> State {
        State(partial: [Float](repeating: 0, count: outChannels * max(0, overlapLength)))
    }

    /// Output samples for `length` input samples.
    public func outputLength(inputLength length: Int) -> Int { length * stride }

    /// y[Cout, T·stride] from x[Cin, T]. x and y must not overlap.
    /// Allocation-free once the state's scratch has grown to this T.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into y: UnsafeMutablePointer<Float>, state: inout State
    ) {
        precondition(T > 0, "StreamingConvTranspose1d: empty input")
        precondition(overlapLength >= 0, "StreamingConvTranspose1d: kernel smaller than stride")
        let (C, P) = (outChannels, overlapLength)
        let Lf = convTranspose.outputLength(inputLength: T)
        let Lo = Lf - P  // == T·stride
        // Kernel 2·stride (SEANet) on a GEMM: col2im and the overlap fused, straight into y (no `full`).
        let fused = P == stride && (panels != nil || (convTranspose.groups == 1 && T <= SkinnyGEMM.maxColumns))
        state.full.reserveScratch(fused ? 1 : C * Lf)
        state.columns.reserveScratch(max(1, convTranspose.scratchCount(inputLength: T)))
        if let panels { state.packed.reserveScratch(panels.activationWords(stride: PackedWeights.stride(columns: T))) }
        let bias = convTranspose.bias
        withPointers(&state.full, &state.partial, &state.columns) { full, partial, columns in
            // columns[Cout·K, T] = Wᵀ·x where a GEMM runs (then col2im), else full straight away.
            var gemm = true
            if let panels {
                state.packed.withUnsafeMutableBufferPointer { packed in
                    let ldp = PackedWeights.stride(columns: T)
                    panels.pack(x, columns: T, channelStride: T, into: packed.baseAddress!, stride: ldp)
                    panels.multiply(packed.baseAddress!, columns: T, stride: ldp, bias: nil, into: columns, ldc: T)
                }
            } else {
                gemm = transposeConvolve(x, length: T, into: full, columns: columns)
            }
            if fused {
                withOptionalPointer(bias) {
                    ConvTranspose1d.col2imOverlapDoubleStride(columns, channels: C, stride: stride, length: T, bias: $0,
                                                              partial: partial, into: y)
                }
                return
            }
            if gemm { col2im(columns, length: T, into: full) }
            for c in 0..<C {
                let row = full + c * Lf
                let kept = partial + c * P
                // y[..., :P] += partial, then partial = y[..., -P:] − bias (in this order).
                for i in 0..<P { row[i] += kept[i] }
                let b = bias?[c] ?? 0
                for i in 0..<P { kept[i] = row[Lo + i] - b }
                (y + c * Lo).update(from: row, count: Lo)
            }
        }
    }

    /// columns[Cout·K, T] = Wᵀ·x[Cin, T] for a frame's few input steps (`SkinnyGEMM`: the
    /// decoder's first transposed conv 1.2 → 0.7 ms; true), else full[Cout, (T − 1)·stride + K] =
    /// convtr(x) + bias (the Kernels transposed conv; false).
    private func transposeConvolve(
        _ x: UnsafePointer<Float>, length T: Int, into full: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>
    ) -> Bool {
        let (K, Cin, Cout) = (convTranspose.kernelSize, inChannels, outChannels)
        guard convTranspose.groups == 1, T <= SkinnyGEMM.maxColumns else {
            convTranspose.forward(x, length: T, into: full, scratch: columns)
            return false
        }
        // columns[(co·K + k), t] = Σ_ci w[ci, co, k] · x[ci, t]
        convTranspose.weight.withUnsafeBufferPointer { w in
            SkinnyGEMM.multiply(transposeA: true, m: Cout * K, n: T, k: Cin, a: w.baseAddress!, lda: Cout * K,
                                b: x, ldb: T, c: columns, ldc: T)
        }
        return true
    }

    /// full[co, t·S + k] = bias[co] + Σ columns[(co·K + k), t], from columns[Cout·K, T], adding
    /// the k in order.
    private func col2im(_ columns: UnsafePointer<Float>, length T: Int, into full: UnsafeMutablePointer<Float>) {
        let (K, S, Cout) = (convTranspose.kernelSize, convTranspose.stride, outChannels)
        let Lf = convTranspose.outputLength(inputLength: T)
        for co in 0..<Cout {
            let row = full + co * Lf
            row.update(repeating: convTranspose.bias?[co] ?? 0, count: Lf)
            for k in 0..<K {
                let src = columns + (co * K + k) * T
                for t in 0..<T { row[t * S + k] += src[t] }
            }
        }
    }

    /// [Cin, T] -> [Cout, T·stride].
    public func step(_ x: Tensor, state: inout State) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inChannels,
                      "StreamingConvTranspose1d: input \(x.shape), expected [\(inChannels), T]")
        let T = x.shape[1]
        var y = Tensor.zeros([outChannels, outputLength(inputLength: T)])
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, length: T, into: yp.baseAddress!, state: &state)
            }
        }
        return y
    }
}
