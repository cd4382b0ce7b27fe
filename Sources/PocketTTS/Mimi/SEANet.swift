// SEANet: the convolutional encoder and decoder of Mimi, pocket_tts/modules/seanet.py.
// Every conv is causal and streaming; ELUs are fused into the following conv's input copy
// where the conv makes one anyway.
import Kernels

/// `SEANetResnetBlock` with kernel sizes [k, 1]: x + conv2(ELU(conv1(ELU(x)))).
public struct SEANetResidualBlock: Sendable {
    public let conv1: StreamingConv1d  // block.1.conv [dim / compress, dim, k], dilation d
    public let conv2: StreamingConv1d  // block.3.conv [dim, dim / compress, 1]

    public struct State: Sendable {
        var conv1: StreamingConv1d.State
        var conv2: StreamingConv1d.State
        var hidden: [Float] = []  // scratch [dim / compress, T]
        var update: [Float] = []  // scratch [dim, T]
    }

    public init(conv1: StreamingConv1d, conv2: StreamingConv1d) {
        precondition(conv1.stride == 1 && conv2.stride == 1, "SEANetResidualBlock: strided conv")
        precondition(conv1.outChannels == conv2.inChannels && conv2.outChannels == conv1.inChannels,
                     "SEANetResidualBlock: channel mismatch")
        self.conv1 = conv1
        self.conv2 = conv2
    }

    public func makeState() -> State { State(conv1: conv1.makeState(), conv2: conv2.makeState()) }

    /// x[dim, T] += conv2(ELU(conv1(ELU(x)))), in place.
    public func forward(_ x: UnsafeMutablePointer<Float>, length T: Int, state: inout State) {
        state.hidden.reserveScratch(conv1.outChannels * T)
        if conv2.panels != nil {  // x + (sum + bias) straight from the GEMM: the same bits, no `update` pass
            state.hidden.withUnsafeMutableBufferPointer { hidden in
                conv1.forward(x, length: T, into: hidden.baseAddress!, state: &state.conv1, applyingELU: true)
                conv2.forward(hidden.baseAddress!, length: T, into: x, state: &state.conv2, applyingELU: true,
                              accumulating: true)
            }
            return
        }
        state.update.reserveScratch(conv2.outChannels * T)
        withPointers(&state.hidden, &state.update) { hidden, update in
            conv1.forward(x, length: T, into: hidden, state: &state.conv1, applyingELU: true)
            conv2.forward(hidden, length: T, into: update, state: &state.conv2, applyingELU: true)
            VectorMath.add(update, into: x, count: conv2.outChannels * T)
        }
    }
}

/// `SEANetDecoder`: conv k → for each ratio r: ELU, transposed conv (C → C/2, kernel 2r,
/// stride r), residual blocks → ELU, conv. [dimension, T] -> [channels, T · Π ratios].
public struct SEANetDecoder: StreamingModule {
    public struct Stage: Sendable {
        public let upsample: StreamingConvTranspose1d  // model.<i>.convtr (ELU model.<i−1> before it)
        public let residuals: [SEANetResidualBlock]  // model.<i+1>, ...
        public init(upsample: StreamingConvTranspose1d, residuals: [SEANetResidualBlock]) {
            self.upsample = upsample
            self.residuals = residuals
        }
    }

    public let inputConv: StreamingConv1d  // model.0.conv
    public let stages: [Stage]
    public let outputConv: StreamingConv1d  // model.<last>.conv (ELU before it)

    public struct State: Sendable {
        var inputConv: StreamingConv1d.State
        var upsample: [StreamingConvTranspose1d.State]  // per stage
        var residuals: [[SEANetResidualBlock.State]]  // per stage, per block
        var outputConv: StreamingConv1d.State
        var ping: [Float] = []  // scratch: activations of even stages
        var pong: [Float] = []  // scratch: activations of odd stages
    }

    public init(inputConv: StreamingConv1d, stages: [Stage], outputConv: StreamingConv1d) {
        self.inputConv = inputConv
        self.stages = stages
        self.outputConv = outputConv
    }

    public var inputChannels: Int { inputConv.inChannels }
    public var outputChannels: Int { outputConv.outChannels }
    /// Output samples per input step: Π ratios.
    public var hopLength: Int { stages.reduce(1) { $0 * $1.upsample.stride } }

    public func makeState(capacity: Int = 0) -> State {
        State(inputConv: inputConv.makeState(),
              upsample: stages.map { $0.upsample.makeState() },
              residuals: stages.map { $0.residuals.map { $0.makeState() } },
              outputConv: outputConv.makeState())
    }

    /// out[channels, T·hop] from x[dimension, T]. Allocation-free once the scratch has grown.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into out: UnsafeMutablePointer<Float>, state: inout State
    ) {
        // Scratch sizes: ping holds even-numbered activations, pong odd ones.
        var (pingCount, pongCount) = (inputConv.outChannels * T, 0)
        var length = T
        for (s, stage) in stages.enumerated() {
            length *= stage.upsample.stride
            let count = stage.upsample.outChannels * length
            if s % 2 == 0 { pongCount = max(pongCount, count) } else { pingCount = max(pingCount, count) }
        }
        state.ping.reserveScratch(pingCount)
        state.pong.reserveScratch(max(1, pongCount))
        withPointers(&state.ping, &state.pong) { ping, pong in
            inputConv.forward(x, length: T, into: ping, state: &state.inputConv)
            var (current, next) = (ping, pong)
            var length = T
            for (s, stage) in stages.enumerated() {
                VectorELU.apply(current, count: stage.upsample.inChannels * length)
                stage.upsample.forward(current, length: length, into: next, state: &state.upsample[s])
                length *= stage.upsample.stride
                for (j, block) in stage.residuals.enumerated() {
                    block.forward(next, length: length, state: &state.residuals[s][j])
                }
                swap(&current, &next)
            }
            outputConv.forward(current, length: length, into: out, state: &state.outputConv, applyingELU: true)
        }
    }

    /// [dimension, T] -> [channels, T·hop].
    public func step(_ x: Tensor, state: inout State) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inputChannels, "SEANetDecoder: input \(x.shape), expected [\(inputChannels), T]")
        let T = x.shape[1]
        var y = Tensor.zeros([outputChannels, T * hopLength])
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, length: T, into: yp.baseAddress!, state: &state)
            }
        }
        return y
    }
}

/// `SEANetEncoder`: conv k → for each ratio r (reversed config order): residual blocks, ELU,
/// conv (C → 2C, kernel 2r, stride r) → ELU, conv. [channels, T] -> [dimension, T / Π ratios].
public struct SEANetEncoder: StreamingModule {
    public struct Stage: Sendable {
        public let residuals: [SEANetResidualBlock]  // model.<i>, ...
        public let downsample: StreamingConv1d  // model.<i+n+1>.conv (ELU model.<i+n> before it)
        public init(residuals: [SEANetResidualBlock], downsample: StreamingConv1d) {
            self.residuals = residuals
            self.downsample = downsample
        }
    }

    public let inputConv: StreamingConv1d  // model.0.conv
    public let stages: [Stage]
    public let outputConv: StreamingConv1d  // model.<last>.conv (ELU before it)

    public struct State: Sendable {
        var inputConv: StreamingConv1d.State
        var residuals: [[SEANetResidualBlock.State]]  // per stage, per block
        var downsample: [StreamingConv1d.State]  // per stage
        var outputConv: StreamingConv1d.State
        var ping: [Float] = []  // scratch
        var pong: [Float] = []  // scratch
    }

    public init(inputConv: StreamingConv1d, stages: [Stage], outputConv: StreamingConv1d) {
        self.inputConv = inputConv
        self.stages = stages
        self.outputConv = outputConv
    }

    public var inputChannels: Int { inputConv.inChannels }
    public var outputChannels: Int { outputConv.outChannels }
    /// Input samples per output step: Π ratios. Chunks must be multiples of it.
    public var hopLength: Int { stages.reduce(1) { $0 * $1.downsample.stride } }

    public func makeState(capacity: Int = 0) -> State {
        State(inputConv: inputConv.makeState(),
              residuals: stages.map { $0.residuals.map { $0.makeState() } },
              downsample: stages.map { $0.downsample.makeState() },
              outputConv: outputConv.makeState())
    }

    /// out[dimension, T / hop] from x[channels, T], T a multiple of the hop length.
    public func forward(
        _ x: UnsafePointer<Float>, length T: Int, into out: UnsafeMutablePointer<Float>, state: inout State
    ) {
        precondition(T > 0 && T % hopLength == 0, "SEANetEncoder: length \(T) is not a multiple of \(hopLength)")
        var (pingCount, pongCount) = (inputConv.outChannels * T, 0)
        var length = T
        for (s, stage) in stages.enumerated() {
            length /= stage.downsample.stride
            let count = stage.downsample.outChannels * length
            if s % 2 == 0 { pongCount = max(pongCount, count) } else { pingCount = max(pingCount, count) }
        }
        state.ping.reserveScratch(pingCount)
        state.pong.reserveScratch(max(1, pongCount))
        withPointers(&state.ping, &state.pong) { ping, pong in
            inputConv.forward(x, length: T, into: ping, state: &state.inputConv)
            var (current, next) = (ping, pong)
            var length = T
            for (s, stage) in stages.enumerated() {
                for (j, block) in stage.residuals.enumerated() {
                    block.forward(current, length: length, state: &state.residuals[s][j])
                }
                stage.downsample.forward(current, length: length, into: next, state: &state.downsample[s], applyingELU: true)
                length /= stage.downsample.stride
                swap(&current, &next)
            }
            outputConv.forward(current, length: length, into: out, state: &state.outputConv, applyingELU: true)
        }
    }

    /// [channels, T] -> [dimension, T / hop].
    public func step(_ x: Tensor, state: inout State) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == inputChannels, "SEANetEncoder: input \(x.shape), expected [\(inputChannels), T]")
        let T = x.shape[1]
        var y = Tensor.zeros([outputChannels, T / hopLength])
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, length: T, into: yp.baseAddress!, state: &state)
            }
        }
        return y
    }
}
