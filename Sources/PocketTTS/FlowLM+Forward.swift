import Kernels

/// The forward passes behind `prompt`, `step` and `stepBatch`, on workspace pointers.
extension FlowLM {
    /// Scratch pointers of one call: R transformer rows, B streams (with the call's worker pool).
    struct CallBuffers {
        let transformer: FlowTransformer.Buffers
        let latentIn: UnsafeMutablePointer<Float>  // [B, ldim] input latents with BOS substituted
        let normed: UnsafeMutablePointer<Float>  // [B, d] out_norm of each stream's last row
        let z: UnsafeMutablePointer<Float>  // [B, z_dim] z_proj(normed) (unused without z_proj)
        let head: FlowHead.Buffers

        /// What the EOS and flow heads read: z_proj(out_norm(x)), or out_norm(x).  // [B, z_dim or d]
        func condition(projected: Bool) -> UnsafeMutablePointer<Float> { projected ? z : normed }
    }

    /// Floats of the per-stream rows outside the transformer and the flow head: latentIn, normed, z.
    var stepRowFloats: Int { dimensions.latentDim + dimensions.modelDim + (dimensions.zDim ?? 0) }

    func prepare(_ workspace: inout Workspace, rows: Int, streams: Int, scoreCount: Int, pool: WorkerPool?) -> CallBuffers {
        let (d, l) = (dimensions.modelDim, dimensions.latentDim)
        let transformerCount = FlowTransformer.Buffers.floatCount(rows: rows, scoreCount: scoreCount, transformer: transformer)
        let headCount = FlowHead.floatCount(rows: streams, flowDim: flowHead.flowDim, latentDim: l,
                                            frequencyDim: flowHead.frequencyDim)
        let base = workspace.floats(transformerCount + streams * stepRowFloats + headCount)
        let latentIn = base + transformerCount
        let normed = latentIn + streams * l
        let z = normed + streams * d
        return CallBuffers(
            transformer: FlowTransformer.Buffers(base: base, rows: rows, transformer: transformer, pool: pool),
            latentIn: latentIn, normed: normed, z: z,
            head: flowHead.makeBuffers(base: z + streams * (dimensions.zDim ?? 0), rows: streams, pool: pool))
    }

    /// `FlowLMModel.forward` for one latent per stream, then `increment_steps`. From
    /// `Linear.parallelMinimumRows` streams the linear layers share their outputs with `pool`.
    func stepCore<G: RandomNumberGenerator>(
        latents: UnsafePointer<Float>, streams: UnsafeMutableBufferPointer<State>, generators: UnsafeMutablePointer<G>,
        sampling: FlowLMSampling, workspace: inout Workspace,
        latentsOut: UnsafeMutablePointer<Float>, eosLogits: UnsafeMutablePointer<Float>, pool: WorkerPool?
    ) {
        let (B, l) = (streams.count, dimensions.latentDim)
        var maxCapacity = 0
        for b in 0..<B {
            streams[b].cache.ensureRoom(for: 1)
            maxCapacity = max(maxCapacity, streams[b].cache.capacity)
        }
        let buffers = prepare(&workspace, rows: B, streams: B, scoreCount: transformer.scoreCount(rows: 1, keys: maxCapacity),
                              pool: pool)
        // sequence = where(isnan(sequence), bos_emb, sequence); input_ = input_linear(sequence)
        bosEmbedding.withUnsafeBufferPointer { bos in
            for b in 0..<B {
                for j in 0..<l {
                    let v = latents[b * l + j]
                    buffers.latentIn[b * l + j] = v.isNaN ? bos[j] : v
                }
            }
        }
        inputLinear.forward(buffers.latentIn, rows: B, into: buffers.transformer.x, pool: pool)
        transformer.forward(streams: streams, rowsPerStream: 1, buffers: buffers.transformer)
        // One row per stream, so every row is a last position: out_norm, z_proj, out_eos.
        outNorm.forward(buffers.transformer.x, rows: B, into: buffers.normed)
        if let zProjection { zProjection.forward(buffers.normed, rows: B, into: buffers.z, pool: pool) }
        let condition = buffers.condition(projected: zProjection != nil)
        outEOS.forward(condition, rows: B, into: eosLogits)
        // x0 ~ Normal(0, sqrt(temp)) (truncated to ±noise_clamp), then the sampler.
        let std = Float(Double(sampling.temperature).squareRoot())
        for b in 0..<B {
            GaussianNoise.fill(latentsOut + b * l, count: l, std: std, clamp: sampling.noiseClamp, using: &generators[b])
        }
        flowHead.decode(condition: condition, rows: B, steps: sampling.lsdSteps, x: latentsOut, buffers: buffers.head)
    }

    /// Runs `count` prefix rows of one stream through the transformer: `fill` writes the
    /// input rows [count, d], `read` sees the transformer output rows [count, d] (before
    /// out_norm). Shares the pieces of its layers with `pool`. Allocates only when the
    /// workspace or caches must grow.
    func prefill(
        count: Int, state: inout State, pool: WorkerPool?, fill: (UnsafeMutablePointer<Float>) -> Void,
        read: (UnsafePointer<Float>) -> Void
    ) {
        if count == 0 { return }
        state.cache.ensureRoom(for: count)
        var workspace = Workspace()
        swap(&workspace, &state.workspace)
        defer { swap(&workspace, &state.workspace) }
        let buffers = prepare(&workspace, rows: count, streams: 1,
                              scoreCount: transformer.scoreCount(rows: count, keys: state.cache.length + count), pool: pool)
        fill(buffers.transformer.x)
        withUnsafeMutablePointer(to: &state) { s in
            transformer.forward(streams: UnsafeMutableBufferPointer(start: s, count: 1), rowsPerStream: count,
                                buffers: buffers.transformer)
        }
        read(buffers.transformer.x)
    }
}

/// The backbone alone, for tests and tools that feed their own embeddings: not a latent step.
extension FlowLM {
    /// Runs input embeddings [T, d] (text embeddings, voice conditioning or
    /// `latentEmbeddings`) through the transformer, advancing the stream by T positions, and
    /// returns the transformer output [T, d] before `out_norm` (no EOS, no flow head). The
    /// latent step is `step(latent:state:sampling:using:)`. `pool`: as for `prompt`.
    public func transformerOutput(forEmbeddings x: Tensor, state: inout State, pool: WorkerPool? = nil) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == dimensions.modelDim, "FlowLM.transformerOutput: input \(x.shape)")
        var out = Tensor.zeros(x.shape)
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { o in
                prefill(count: x.shape[0], state: &state, pool: pool) { rows in
                    rows.update(from: input.baseAddress!, count: input.count)
                } read: { rows in
                    o.baseAddress!.update(from: rows, count: o.count)
                }
            }
        }
        return out
    }
}
