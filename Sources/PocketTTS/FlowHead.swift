import Kernels

/// pocket_tts/modules/mlp.py `TimestepEmbedder`: [cos(t·f), sin(t·f)] → Linear → SiLU → Linear
/// → the reference's "RMSNorm" (unbiased variance, no centring, eps 1e-5).
public struct TimestepEmbedder: Sendable {
    public let frequencies: [Float]  // freqs [F/2] (a buffer in the checkpoint)
    public let linear1: Linear  // mlp.0.weight [fd, F], mlp.0.bias [fd]
    public let linear2: Linear  // mlp.2.weight [fd, fd], mlp.2.bias [fd]
    public let norm: RMSNormUnbiased  // mlp.3.alpha [fd]

    public init(frequencies: [Float], linear1: Linear, linear2: Linear, norm: RMSNormUnbiased) {
        precondition(linear1.inFeatures == 2 * frequencies.count && linear2.inFeatures == linear1.outFeatures
                     && norm.dim == linear2.outFeatures, "TimestepEmbedder: sizes do not chain")
        self.frequencies = frequencies
        self.linear1 = linear1
        self.linear2 = linear2
        self.norm = norm
    }

    /// out[rows, fd] = embed(times[rows]). scratch: rows·(F + fd) floats.
    func forward(times: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
                 scratch: UnsafeMutablePointer<Float>, pool: WorkerPool? = nil) {
        let half = frequencies.count
        let angles = scratch  // [rows, F]
        let hidden = scratch + rows * 2 * half  // [rows, fd]
        frequencies.withUnsafeBufferPointer { f in
            for r in 0..<rows {
                let row = angles + r * 2 * half
                for i in 0..<half {
                    let a = times[r] * f[i]
                    row[i] = LibM.cos(a)
                    row[half + i] = LibM.sin(a)
                }
            }
        }
        linear1.forward(angles, rows: rows, into: hidden, pool: pool)
        Activation.silu(hidden, count: rows * linear1.outFeatures)
        linear2.forward(hidden, rows: rows, into: out, pool: pool)
        norm.forwardInPlace(out, rows: rows)
    }
}

/// `ResBlock`: adaLN-modulated MLP with a gated residual.
public struct FlowResBlock: Sendable {
    public let inNorm: LayerNorm  // in_ln.weight, in_ln.bias [fd], eps 1e-6
    public let linear1: Linear  // mlp.0.weight [fd, fd], mlp.0.bias [fd]
    public let linear2: Linear  // mlp.2.weight [fd, fd], mlp.2.bias [fd]
    public let modulation: Linear  // adaLN_modulation.1.weight [3fd, fd], .bias [3fd]: shift | scale | gate

    public init(inNorm: LayerNorm, linear1: Linear, linear2: Linear, modulation: Linear) {
        let n = inNorm.dim
        precondition(linear1.inFeatures == n && linear1.outFeatures == n && linear2.inFeatures == n
                     && linear2.outFeatures == n && modulation.inFeatures == n && modulation.outFeatures == 3 * n,
                     "FlowResBlock: sizes")
        self.inNorm = inNorm
        self.linear1 = linear1
        self.linear2 = linear2
        self.modulation = modulation
    }
}

/// `FinalLayer`: adaLN-modulated LayerNorm without affine, then Linear to the latent size.
public struct FlowFinalLayer: Sendable {
    public let norm: LayerNorm  // norm_final: no parameters, eps 1e-6
    public let linear: Linear  // linear.weight [ldim, fd], linear.bias [ldim]
    public let modulation: Linear  // adaLN_modulation.1.weight [2fd, fd], .bias [2fd]: shift | scale

    public init(norm: LayerNorm, linear: Linear, modulation: Linear) {
        precondition(linear.inFeatures == norm.dim && modulation.inFeatures == norm.dim
                     && modulation.outFeatures == 2 * norm.dim, "FlowFinalLayer: sizes")
        self.norm = norm
        self.linear = linear
        self.modulation = modulation
    }
}

/// The flow network `SimpleMLPAdaLN` (flow_net) and its sampler (models/flow_lm.py), on B rows.
/// The sampler (`flow.type`) fixes the time conditions: `lsd` two (s, t; `lsd_decode`),
/// `flow_matching` one (t; Euler steps, `ot_decode`), `drifting` none (the head maps the noise
/// to the sample, `drifting_decode`), `pointwise` none (noise plus the head's output,
/// `pointwise_decode`).
public struct FlowHead: Sendable {
    public let flowType: FlowType  // flow.type
    public let timeEmbedders: [TimestepEmbedder]  // time_embed.* (flowType.timeConditionCount of them)
    public let conditionEmbedding: Linear  // cond_embed.weight [fd, z_dim or d], cond_embed.bias [fd]
    public let inputProjection: Linear  // input_proj.weight [fd, ldim], input_proj.bias [fd]
    public let blocks: [FlowResBlock]  // res_blocks.*
    public let finalLayer: FlowFinalLayer  // final_layer.*

    public var flowDim: Int { inputProjection.outFeatures }
    public var latentDim: Int { inputProjection.inFeatures }
    public var conditionDim: Int { conditionEmbedding.inFeatures }

    public init(flowType: FlowType = .lsd, timeEmbedders: [TimestepEmbedder], conditionEmbedding: Linear,
                inputProjection: Linear, blocks: [FlowResBlock], finalLayer: FlowFinalLayer) {
        let n = inputProjection.outFeatures
        precondition(timeEmbedders.count == flowType.timeConditionCount,
                     "FlowHead: a \(flowType.rawValue) head has \(flowType.timeConditionCount) time embedders")
        precondition(timeEmbedders.allSatisfy { $0.norm.dim == n && $0.frequencies.count == timeEmbedders[0].frequencies.count }
                     && conditionEmbedding.outFeatures == n && blocks.allSatisfy { $0.inNorm.dim == n }
                     && finalLayer.norm.dim == n && finalLayer.linear.outFeatures == inputProjection.inFeatures,
                     "FlowHead: sizes")
        self.flowType = flowType
        self.timeEmbedders = timeEmbedders
        self.conditionEmbedding = conditionEmbedding
        self.inputProjection = inputProjection
        self.blocks = blocks
        self.finalLayer = finalLayer
    }

    /// Scratch pointers for B rows, and the caller's worker pool that the linear layers share
    /// their outputs with from `Linear.parallelMinimumRows` rows (nil: all on the calling thread).
    struct Buffers {
        let condition: UnsafeMutablePointer<Float>  // [B, fd] cond_embed(c)
        let y: UnsafeMutablePointer<Float>  // [B, fd] SiLU(condition + mean time embedding), the adaLN input
        let x: UnsafeMutablePointer<Float>  // [B, fd] residual stream
        let h: UnsafeMutablePointer<Float>  // [B, fd]
        let modulation: UnsafeMutablePointer<Float>  // [B, 3fd]
        let timeEmbeddings: UnsafeMutablePointer<Float>  // [2, B, fd] one per time condition
        let times: UnsafeMutablePointer<Float>  // [2] the time conditions of the current step
        let velocity: UnsafeMutablePointer<Float>  // [B, ldim] flow output
        let scratch: UnsafeMutablePointer<Float>  // [B, F + fd] time embedder scratch, also [B, fd]
        let pool: WorkerPool?

        static func floatCount(rows: Int, flowDim n: Int, latentDim l: Int, frequencyDim f: Int) -> Int {
            rows * (10 * n + l + f) + 2
        }

        init(base: UnsafeMutablePointer<Float>, rows: Int, flowDim n: Int, latentDim l: Int, pool: WorkerPool?) {
            self.pool = pool
            condition = base
            y = condition + rows * n
            x = y + rows * n
            h = x + rows * n
            modulation = h + rows * n
            timeEmbeddings = modulation + rows * 3 * n
            velocity = timeEmbeddings + 2 * rows * n
            times = velocity + rows * l
            scratch = times + 2
        }
    }

    func makeBuffers(base: UnsafeMutablePointer<Float>, rows: Int, pool: WorkerPool? = nil) -> Buffers {
        Buffers(base: base, rows: rows, flowDim: flowDim, latentDim: latentDim, pool: pool)
    }

    static func floatCount(rows: Int, flowDim: Int, latentDim: Int, frequencyDim: Int) -> Int {
        Buffers.floatCount(rows: rows, flowDim: flowDim, latentDim: latentDim, frequencyDim: frequencyDim)
    }

    /// Frequency embedding size of the time embedders (256; any even value without them).
    var frequencyDim: Int { timeEmbedders.first.map { 2 * $0.frequencies.count } ?? 256 }

    /// `SimpleMLPAdaLN.forward(c, *times, x)` given cond_embed(c) already in `buffers.condition`.
    /// times: one array of `timeRows` values per time embedder, back to back ([count, timeRows]),
    /// timeRows 1 (shared by all rows) or B; nil without time embedders. x: [B, ldim]; out: [B, ldim].
    func velocity(times: UnsafePointer<Float>?, timeRows: Int, x: UnsafePointer<Float>,
                  rows B: Int, into out: UnsafeMutablePointer<Float>, buffers: Buffers) {
        precondition(timeRows == 1 || timeRows == B, "FlowHead: timeRows must be 1 or B")
        let n = flowDim
        // y = cond_embed(c) [+ sum(time_embed[i](t_i)) / num_time_conds]
        let conditions = timeEmbedders.count
        for (i, embedder) in timeEmbedders.enumerated() {
            embedder.forward(times: times! + i * timeRows, rows: timeRows, into: buffers.timeEmbeddings + i * B * n,
                             scratch: buffers.scratch, pool: buffers.pool)
        }
        for r in 0..<B {
            let (c, y) = (buffers.condition + r * n, buffers.y + r * n)
            let e0 = buffers.timeEmbeddings + (timeRows == 1 ? 0 : r * n)
            let e1 = e0 + B * n
            switch conditions {
            case 0: y.update(from: c, count: n)
            case 1: for i in 0..<n { y[i] = c[i] + e0[i] }
            default: for i in 0..<n { y[i] = c[i] + (e0[i] + e1[i]) / 2 }
            }
        }
        // Every adaLN_modulation starts with SiLU(y): apply it once.
        Activation.silu(buffers.y, count: B * n)
        let pool = buffers.pool
        inputProjection.forward(x, rows: B, into: buffers.x, pool: pool)
        let (hx, h, m, tmp) = (buffers.x, buffers.h, buffers.modulation, buffers.scratch)
        for block in blocks {
            // h = mlp(modulate(in_ln(x), shift, scale)); x = x + gate · h
            block.modulation.forward(buffers.y, rows: B, into: m, pool: pool)
            block.inNorm.forward(hx, rows: B, into: h)
            for r in 0..<B {
                modulate(h + r * n, shift: m + r * 3 * n, scale: m + r * 3 * n + n, count: n)
            }
            block.linear1.forward(h, rows: B, into: tmp, pool: pool)
            Activation.silu(tmp, count: B * n)
            block.linear2.forward(tmp, rows: B, into: h, pool: pool)
            for r in 0..<B {
                let (xr, hr, gate) = (hx + r * n, h + r * n, m + r * 3 * n + 2 * n)
                for i in 0..<n { xr[i] += gate[i] * hr[i] }
            }
        }
        finalLayer.modulation.forward(buffers.y, rows: B, into: m, pool: pool)
        finalLayer.norm.forward(hx, rows: B, into: h)
        for r in 0..<B {
            modulate(h + r * n, shift: m + r * 2 * n, scale: m + r * 2 * n + n, count: n)
        }
        finalLayer.linear.forward(h, rows: B, into: out, pool: pool)
    }

    /// The sampler (`lsd_decode`, `ot_decode`, `drifting_decode` or `pointwise_decode` on
    /// `partial(flow_net, c)`): x holds the noise x0 [B, ldim] on entry and the sample on return.
    /// condition: [B, z_dim or d]. `steps` is `sampler_decode_steps` (lsd and flow_matching only).
    func decode(condition: UnsafePointer<Float>, rows B: Int, steps: Int, x: UnsafeMutablePointer<Float>,
                buffers: Buffers) {
        precondition(steps >= 1, "FlowHead: the sampler needs at least one step")
        conditionEmbedding.forward(condition, rows: B, into: buffers.condition, pool: buffers.pool)
        let count = B * latentDim
        let (times, v) = (buffers.times, buffers.velocity)
        switch flowType {
        case .lsd:
            let divisor = Float(steps)
            for i in 0..<steps {
                times[0] = Float(Double(i) / Double(steps))  // s
                times[1] = Float(Double(i + 1) / Double(steps))  // t
                velocity(times: times, timeRows: 1, x: x, rows: B, into: v, buffers: buffers)
                for j in 0..<count { x[j] += v[j] / divisor }
            }
        case .flowMatching:
            let divisor = Float(steps)
            for i in 0..<steps {
                times[0] = Float(Double(i) / Double(steps))  // t
                velocity(times: times, timeRows: 1, x: x, rows: B, into: v, buffers: buffers)
                for j in 0..<count { x[j] += v[j] / divisor }
            }
        case .drifting:
            velocity(times: nil, timeRows: 1, x: x, rows: B, into: v, buffers: buffers)
            x.update(from: v, count: count)
        case .pointwise:
            velocity(times: nil, timeRows: 1, x: x, rows: B, into: v, buffers: buffers)
            for j in 0..<count { x[j] += v[j] }
        }
    }

    /// modulate(h, shift, scale) = h · (1 + scale) + shift, in place.
    @inline(__always)
    private func modulate(_ h: UnsafeMutablePointer<Float>, shift: UnsafePointer<Float>,
                          scale: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n { h[i] = h[i] * (1 + scale[i]) + shift[i] }
    }
}

// MARK: - Tensor conveniences (tests, non-hot code)

extension TimestepEmbedder {
    /// Embeds times [B] (or [B, 1]) → [B, fd].
    public func callAsFunction(_ times: Tensor) -> Tensor {
        let rows = times.count
        var out = Tensor.zeros([rows, linear2.outFeatures])
        if rows == 0 { return out }
        var scratch = [Float](repeating: 0, count: rows * (linear1.inFeatures + linear1.outFeatures))
        times.data.withUnsafeBufferPointer { t in
            out.data.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    forward(times: t.baseAddress!, rows: rows, into: o.baseAddress!, scratch: s.baseAddress!)
                }
            }
        }
        return out
    }
}

extension FlowHead {
    /// flow_net(c, *times, x): c [B, z_dim or d], times one tensor of B values (or [B, 1]) per
    /// time embedder (s, t for lsd; t for flow_matching; none otherwise), x [B, ldim] → [B, ldim].
    public func callAsFunction(condition c: Tensor, times: [Tensor], x: Tensor) -> Tensor {
        let rows = c.rowCount
        precondition(c.lastDimension == conditionDim && x.lastDimension == latentDim && x.rowCount == rows
                     && times.count == timeEmbedders.count && times.allSatisfy { $0.count == rows },
                     "FlowHead: input shapes \(c.shape) \(times.map(\.shape)) \(x.shape)")
        let flatTimes = times.flatMap(\.data)
        return run(rows: rows) { buffers, out in
            c.data.withUnsafeBufferPointer { conditionEmbedding.forward($0.baseAddress!, rows: rows, into: buffers.condition) }
            flatTimes.withUnsafeBufferPointer { tp in
                x.data.withUnsafeBufferPointer { xp in
                    velocity(times: tp.baseAddress, timeRows: rows, x: xp.baseAddress!, rows: rows, into: out,
                             buffers: buffers)
                }
            }
        }
    }

    /// flow_net(c, s, t, x) of an lsd head: c [B, d], s and t [B] (or [B, 1]), x [B, ldim] → [B, ldim].
    public func callAsFunction(condition c: Tensor, s: Tensor, t: Tensor, x: Tensor) -> Tensor {
        callAsFunction(condition: c, times: [s, t], x: x)
    }

    /// The sampler with `steps` steps from x0 [B, ldim], condition c [B, z_dim or d] → [B, ldim].
    public func decode(condition c: Tensor, x0: Tensor, steps: Int) -> Tensor {
        let rows = c.rowCount
        precondition(c.lastDimension == conditionDim && x0.lastDimension == latentDim && x0.rowCount == rows,
                     "FlowHead: input shapes \(c.shape) \(x0.shape)")
        return run(rows: rows) { buffers, out in
            out.update(from: x0.data, count: x0.count)
            c.data.withUnsafeBufferPointer { decode(condition: $0.baseAddress!, rows: rows, steps: steps, x: out, buffers: buffers) }
        }
    }

    /// A [rows, ldim] result computed with freshly allocated buffers.
    private func run(rows: Int, _ body: (Buffers, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var out = Tensor.zeros([rows, latentDim])
        var scratch = [Float](repeating: 0, count: FlowHead.floatCount(
            rows: rows, flowDim: flowDim, latentDim: latentDim, frequencyDim: frequencyDim))
        scratch.withUnsafeMutableBufferPointer { s in
            out.data.withUnsafeMutableBufferPointer { o in body(makeBuffers(base: s.baseAddress!, rows: rows), o.baseAddress!) }
        }
        return out
    }
}
