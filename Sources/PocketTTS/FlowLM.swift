import Kernels

/// The latent generator: pocket_tts/models/flow_lm.py `FlowLMModel` plus the parts of
/// `TTSModel` that drive it (`_run_flow_lm_and_increment_step`, `_encode_audio`'s speaker
/// projection). Weights only; each stream keeps a `FlowLM.State`.
///
/// A stream is prompted with prefixes (voice conditioning, text tokens), then stepped one
/// latent at a time; `stepBatch` steps B streams with one sgemm per linear layer.
public struct FlowLM: Sendable {
    public let dimensions: FlowLMDimensions
    /// `conditioner(token)` for every token: conditioner.embed.weight [n_bins + 1, d], or with a
    /// low-rank table (`lookup_table.rank`) conditioner.embed.weight [n_bins + 1, rank] projected
    /// by conditioner.proj.weight [d, rank] (no bias) once at load.  // [n_bins + 1, d]
    public let textEmbeddingTable: [Float]
    public let inputLinear: Linear  // input_linear.weight [d, ldim]
    public let bosEmbedding: [Float]  // bos_emb [ldim]
    /// bos_before_voice [1, 1, d], prepended to every voice prompt (`insert_bos_before_voice`).
    public let bosBeforeVoice: [Float]?  // [d]
    public let normalization: LatentNormalization  // emb_mean, emb_std [ldim]: Mimi's input from a latent
    public let transformer: FlowTransformer  // transformer.layers.*
    public let outNorm: LayerNorm  // out_norm.weight, out_norm.bias [d], eps 1e-5
    public let zProjection: Linear?  // z_proj.weight [z_dim, d], no bias (after out_norm)
    public let outEOS: Linear  // out_eos.weight [1, z_dim or d], out_eos.bias [1]
    public let flowHead: FlowHead  // flow_net.*
    public let speakerProjection: Linear  // speaker_proj_weight [d, speakerDim], no bias

    /// A fresh stream whose caches hold `capacity` positions before growing.
    public func makeState(capacity: Int) -> State {
        State(cache: KVCache(layerCount: dimensions.layerCount, rowSize: dimensions.keyValueDim, capacity: capacity,
                             element: transformer.cacheElement),
              workspace: Workspace())
    }

    // MARK: Prompting (prefixes)

    /// Feeds text tokens as a prefix: `conditioner.embed(tokens)` rows, no latent. The
    /// reference also runs the flow head on the last position and discards it; we do not.
    /// From `Linear.parallelMinimumRows` tokens (with AVX-512) the layers share their pieces
    /// with `pool`, the caller's helper threads (nil: all on the calling thread; the same
    /// values either way).
    public func prompt(textTokens: [Int], state: inout State, pool: WorkerPool? = nil) throws(FlowLMError) {
        try checkTokens(textTokens)
        let d = dimensions.modelDim
        textEmbeddingTable.withUnsafeBufferPointer { table in
            prefill(count: textTokens.count, state: &state, pool: pool) { x in
                for (t, token) in textTokens.enumerated() {
                    (x + t * d).update(from: table.baseAddress! + token * d, count: d)
                }
            } read: { _ in }
        }
    }

    /// Feeds conditioning rows [T, d] as a prefix (a voice prompt: `projectVoice` output).
    /// `pool`: as for `prompt(textTokens:state:pool:)`.
    public func prompt(conditioning: Tensor, state: inout State, pool: WorkerPool? = nil) throws(FlowLMError) {
        try checkRows(conditioning, name: "conditioning")
        conditioning.data.withUnsafeBufferPointer { c in
            prefill(count: conditioning.shape[0], state: &state, pool: pool) { x in
                x.update(from: c.baseAddress!, count: c.count)
            } read: { _ in }
        }
    }

    // MARK: Stepping

    /// One latent step (`_run_flow_lm_and_increment_step` with one backbone latent).
    /// latent: [ldim], NaN entries mean BOS (replaced by `bos_emb`). Returns the next latent
    /// (normalised; feed it back as the next input) and the EOS logit.
    public func step<G: RandomNumberGenerator>(
        latent: [Float], state: inout State, sampling: FlowLMSampling, using rng: inout G
    ) -> FlowLMStep {
        var out = [Float](repeating: 0, count: dimensions.latentDim)
        let logit = latent.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in step(latent: l, state: &state, sampling: sampling, using: &rng, into: o) }
        }
        return FlowLMStep(latent: out, eosLogit: logit, isEndOfSpeech: logit > sampling.eosThreshold)
    }

    /// Allocation-free form of `step`: writes the next latent [ldim] into `latentOut` (which
    /// may be the input buffer itself) and returns the EOS logit. Allocates only when the
    /// caches must grow.
    public func step<G: RandomNumberGenerator>(
        latent: UnsafeBufferPointer<Float>, state: inout State, sampling: FlowLMSampling, using rng: inout G,
        into latentOut: UnsafeMutableBufferPointer<Float>
    ) -> Float {
        let l = dimensions.latentDim
        precondition(latent.count == l && latentOut.count == l, "FlowLM.step: latents must have \(l) values")
        var workspace = Workspace()  // empty: no allocation; the state's own is swapped in
        swap(&workspace, &state.workspace)
        defer { swap(&workspace, &state.workspace) }
        var logit: Float = 0
        withUnsafeMutablePointer(to: &state) { s in
            withUnsafeMutablePointer(to: &rng) { g in
                stepCore(latents: latent.baseAddress!, streams: UnsafeMutableBufferPointer(start: s, count: 1),
                         generators: g, sampling: sampling, workspace: &workspace,
                         latentsOut: latentOut.baseAddress!, eosLogits: &logit, pool: nil)
            }
        }
        return logit
    }

    /// Steps B streams at once, each with its own state and generator (so results do not
    /// depend on batching): latents [B, ldim] in, latentsOut [B, ldim] and eosLogits [B] out.
    /// Each linear layer reads its weights once per 8 streams (Linear). `latentsOut` may be `latents` itself.
    /// All streams share `sampling` (group streams by settings). From `Linear.parallelMinimumRows`
    /// streams the linear layers share their outputs with `pool` (the same values). Allocation-free
    /// in steady state (`workspace` is reused across calls; caches grow only past their capacity).
    public func stepBatch<G: RandomNumberGenerator>(
        latents: UnsafeBufferPointer<Float>, states: UnsafeMutableBufferPointer<State>,
        generators: UnsafeMutableBufferPointer<G>, sampling: FlowLMSampling, workspace: inout Workspace,
        latentsOut: UnsafeMutableBufferPointer<Float>, eosLogits: UnsafeMutableBufferPointer<Float>,
        pool: WorkerPool? = nil
    ) {
        let (b, l) = (states.count, dimensions.latentDim)
        precondition(latents.count == b * l && latentsOut.count == b * l && eosLogits.count == b
                     && generators.count == b, "FlowLM.stepBatch: expected \(b) streams of \(l) latents")
        if b == 0 { return }
        stepCore(latents: latents.baseAddress!, streams: states, generators: generators.baseAddress!,
                 sampling: sampling, workspace: &workspace, latentsOut: latentsOut.baseAddress!,
                 eosLogits: eosLogits.baseAddress!, pool: pool)
    }

    /// Array form of `stepBatch` (allocates its results).
    public func stepBatch<G: RandomNumberGenerator>(
        latents: [[Float]], states: inout [State], generators: inout [G], sampling: FlowLMSampling,
        workspace: inout Workspace, pool: WorkerPool? = nil
    ) -> [FlowLMStep] {
        let (b, l) = (states.count, dimensions.latentDim)
        precondition(latents.count == b && latents.allSatisfy { $0.count == l }, "FlowLM.stepBatch: latents")
        let flat = latents.flatMap { $0 }
        var out = [Float](repeating: 0, count: b * l)
        var logits = [Float](repeating: 0, count: b)
        flat.withUnsafeBufferPointer { x in
            states.withUnsafeMutableBufferPointer { s in
                generators.withUnsafeMutableBufferPointer { g in
                    out.withUnsafeMutableBufferPointer { o in
                        logits.withUnsafeMutableBufferPointer { e in
                            stepBatch(latents: x, states: s, generators: g, sampling: sampling,
                                      workspace: &workspace, latentsOut: o, eosLogits: e, pool: pool)
                        }
                    }
                }
            }
        }
        return (0..<b).map { i in
            FlowLMStep(latent: Array(out[i * l..<(i + 1) * l]), eosLogit: logits[i],
                       isEndOfSpeech: logits[i] > sampling.eosThreshold)
        }
    }

    // MARK: Helpers around the model

    /// `TTSModel._encode_audio`'s projection: latents [T, speakerDim] → conditioning [T, d].
    public func projectVoice(latents: Tensor) throws(FlowLMError) -> Tensor {
        guard latents.rank == 2, latents.shape[1] == dimensions.speakerDim else {
            throw .shape(name: "voice latents", expected: [-1, dimensions.speakerDim], got: latents.shape)
        }
        return speakerProjection(latents)
    }

    /// The voice prompt of `get_state_for_audio_prompt` from Mimi latents [T, speakerDim]: the
    /// projection, after `bos_before_voice` when the model has one. [T (+ 1), d]
    public func voicePrompt(latents: Tensor) throws(FlowLMError) -> Tensor {
        let projected = try projectVoice(latents: latents)
        guard let bos = bosBeforeVoice else { return projected }
        return Tensor(shape: [projected.shape[0] + 1, dimensions.modelDim], data: bos + projected.data)
    }

    /// `conditioner.embed(tokens)`: [N, d].
    public func textEmbeddings(_ tokens: [Int]) throws(FlowLMError) -> Tensor {
        try checkTokens(tokens)
        let d = dimensions.modelDim
        var out = [Float]()
        out.reserveCapacity(tokens.count * d)
        for token in tokens { out += textEmbeddingTable[token * d..<(token + 1) * d] }
        return Tensor(shape: [tokens.count, d], data: out)
    }

    /// `input_linear(where(isnan(latents), bos_emb, latents))`: [S, ldim] → [S, d].
    public func latentEmbeddings(_ latents: Tensor) -> Tensor {
        let l = dimensions.latentDim
        precondition(latents.lastDimension == l, "FlowLM.latentEmbeddings: \(latents.shape)")
        var x = latents
        for i in 0..<x.count where x.data[i].isNaN { x.data[i] = bosEmbedding[i % l] }
        return inputLinear(x.reshaped([-1, l]))
    }

    // MARK: Internals

    func checkTokens(_ tokens: [Int]) throws(FlowLMError) {
        for token in tokens where token < 0 || token > dimensions.vocabularySize {
            throw .tokenOutOfRange(token: token, vocabularySize: dimensions.vocabularySize)
        }
    }

    func checkRows(_ x: Tensor, name: String) throws(FlowLMError) {
        guard x.rank == 2, x.shape[1] == dimensions.modelDim else {
            throw .shape(name: name, expected: [-1, dimensions.modelDim], got: x.shape)
        }
    }
}
