import Kernels

extension FlowLM {
    /// Loads every FlowLM tensor from `weights`, a view whose keys are relative to `flow_lm.`
    /// (`reader.scoped("flow_lm.")`). Fails naming any missing or mis-shaped tensor; call
    /// `finish()` on the root reader afterwards to reject unused ones.
    ///
    /// `precision` is the arithmetic of the transformer's and the flow net's linear layers (the
    /// 85 M weights each step reads); the small input, z, EOS and speaker projections stay exact.
    public init(weights w: WeightReader, dimensions dims: FlowLMDimensions, precision: Precision = .exact) throws {
        try dims.validate()
        let (d, l) = (dims.modelDim, dims.latentDim)
        self.dimensions = dims
        textEmbeddingTable = try Self.textTable(w, dims)
        inputLinear = try Self.linear(w, "input_linear", out: d, in: l, bias: false)
        bosEmbedding = try w.floats("bos_emb", shape: [l])
        bosBeforeVoice = dims.insertsBOSBeforeVoice ? try w.floats("bos_before_voice", shape: [1, 1, d]) : nil
        normalization = LatentNormalization(mean: try w.floats("emb_mean", shape: [l]),
                                            std: try w.floats("emb_std", shape: [l]))
        let layers = try (0..<dims.layerCount).map { i in
            try Self.transformerLayer(w.scoped("transformer.layers.\(i)."), dims, precision)
        }
        transformer = FlowTransformer(layers: layers, headCount: dims.headCount, keyValueHeadCount: dims.keyValueHeadCount,
                                      maxPeriod: dims.maxPeriod, geluApproximation: dims.geluApproximation)
        outNorm = try Self.layerNorm(w, "out_norm", dim: d, eps: 1e-5)
        zProjection = try dims.zDim.map { z in try Self.linear(w, "z_proj", out: z, in: d, bias: false) }
        outEOS = try Self.linear(w, "out_eos", out: 1, in: dims.conditionDim)
        flowHead = try Self.flowHead(w.scoped("flow_net."), dims, precision)
        speakerProjection = Linear(weights: try w.linearWeights("speaker_proj_weight", shape: [d, dims.speakerDim]),
                                   inFeatures: dims.speakerDim, outFeatures: d)
    }

    /// `LUTConditioner` as one [n_bins + 1, d] table: conditioner.embed.weight itself, or with a
    /// rank, conditioner.embed.weight [n_bins + 1, rank] through conditioner.proj.weight [d, rank].
    static func textTable(_ w: WeightReader, _ dims: FlowLMDimensions) throws -> [Float] {
        let (rows, d) = (dims.vocabularySize + 1, dims.modelDim)
        guard let rank = dims.lookupRank else { return try w.floats("conditioner.embed.weight", shape: [rows, d]) }
        let embed = try w.tensor("conditioner.embed.weight", shape: [rows, rank])
        let projection = try linear(w, "conditioner.proj", out: d, in: rank, bias: false)
        return projection(embed).data
    }

    static func transformerLayer(_ w: WeightReader, _ dims: FlowLMDimensions, _ p: Precision) throws -> FlowTransformerLayer {
        let (d, f, a) = (dims.modelDim, dims.feedForwardDim, dims.attentionDim)
        return FlowTransformerLayer(
            norm1: try layerNorm(w, "norm1", dim: d, eps: 1e-5),
            inProjection: try linear(w, "self_attn.in_proj", out: dims.inProjectionDim, in: d, bias: false, precision: p),
            outProjection: try linear(w, "self_attn.out_proj", out: d, in: a, bias: false, precision: p),
            norm2: try layerNorm(w, "norm2", dim: d, eps: 1e-5),
            linear1: try linear(w, "linear1", out: f, in: d, bias: false, precision: p),
            linear2: try linear(w, "linear2", out: d, in: f, bias: false, precision: p))
    }

    static func flowHead(_ w: WeightReader, _ dims: FlowLMDimensions, _ p: Precision) throws -> FlowHead {
        let (c, l, n, fq) = (dims.conditionDim, dims.latentDim, dims.flowDim, dims.timeFrequencyDim)
        let embedders = try (0..<dims.flowType.timeConditionCount).map { i in
            let e = w.scoped("time_embed.\(i).")
            return TimestepEmbedder(
                frequencies: try e.floats("freqs", shape: [fq / 2]),
                linear1: try linear(e, "mlp.0", out: n, in: fq, precision: p),
                linear2: try linear(e, "mlp.2", out: n, in: n, precision: p),
                norm: RMSNormUnbiased(dim: n, eps: 1e-5, alpha: try e.floats("mlp.3.alpha", shape: [n])))
        }
        let blocks = try (0..<dims.flowDepth).map { i in
            let b = w.scoped("res_blocks.\(i).")
            return FlowResBlock(
                inNorm: try layerNorm(b, "in_ln", dim: n, eps: 1e-6),
                linear1: try linear(b, "mlp.0", out: n, in: n, precision: p),
                linear2: try linear(b, "mlp.2", out: n, in: n, precision: p),
                modulation: try linear(b, "adaLN_modulation.1", out: 3 * n, in: n, precision: p))
        }
        let final = FlowFinalLayer(
            norm: LayerNorm(dim: n, eps: 1e-6),
            linear: try linear(w, "final_layer.linear", out: l, in: n, precision: p),
            modulation: try linear(w, "final_layer.adaLN_modulation.1", out: 2 * n, in: n, precision: p))
        return FlowHead(
            flowType: dims.flowType, timeEmbedders: embedders,
            conditionEmbedding: try linear(w, "cond_embed", out: n, in: c, precision: p),
            inputProjection: try linear(w, "input_proj", out: n, in: l, precision: p),
            blocks: blocks, finalLayer: final)
    }

    /// `<name>.weight` [out, in] (bfloat16 when the file stores it so; converted as `precision`
    /// needs) and, when `bias`, `<name>.bias` [out].
    static func linear(_ w: WeightReader, _ name: String, out: Int, in inFeatures: Int, bias: Bool = true,
                       precision: Precision = .exact) throws -> Linear {
        Linear(weights: try w.linearWeights("\(name).weight", shape: [out, inFeatures]),
               bias: bias ? try w.floats("\(name).bias", shape: [out]) : nil, inFeatures: inFeatures, outFeatures: out,
               arithmetic: precision.linearArithmetic)
    }

    /// `<name>.weight`, `<name>.bias` [dim].
    static func layerNorm(_ w: WeightReader, _ name: String, dim: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(dim: dim, eps: eps, weight: try w.floats("\(name).weight", shape: [dim]),
                  bias: try w.floats("\(name).bias", shape: [dim]))
    }
}
