/// Every tensor of the reference `TTSModel.state_dict()` for a config, in state_dict order,
/// built by walking the same module tree the reference builds (`TTSModel._from_pydantic_config_with_weights`):
/// `flow_lm.*` (FlowLMModel) then `mimi.*` (MimiModel). Nothing here is hard-coded for b6369a24.
public enum ModelLayout {
    public static func tensors(for config: PocketTTSConfig) -> [TensorSpec] {
        var builder = LayoutBuilder()
        builder.flowLM(config, prefix: "flow_lm.")
        builder.mimi(config.mimi, prefix: "mimi.")
        return builder.specs
    }

    /// Total number of values in the state_dict (parameters and buffers).
    public static func elementCount(for config: PocketTTSConfig) -> Int {
        tensors(for: config).reduce(0) { $0 + $1.elementCount }
    }
}

/// Appends specs in the order torch's `state_dict` lists them: a module's own parameters,
/// then its buffers, then its children in registration order.
private struct LayoutBuilder {
    var specs: [TensorSpec] = []

    mutating func add(_ name: String, _ shape: [Int], _ initialization: WeightInitialization, buffer: Bool = false) {
        specs.append(TensorSpec(name: name, shape: shape, isBuffer: buffer, initialization: initialization))
    }

    /// torch's default bound for weights and biases: 1/sqrt(fan_in), fan_in = shape[1] · kernel.
    static func defaultBound(fanIn: Int) -> WeightInitialization { .uniform(bound: 1 / Float(fanIn).squareRoot()) }

    /// nn.Linear: weight [out, in], bias [out].
    mutating func linear(_ prefix: String, input: Int, output: Int, bias: Bool) {
        add(prefix + "weight", [output, input], Self.defaultBound(fanIn: input))
        if bias { add(prefix + "bias", [output], Self.defaultBound(fanIn: input)) }
    }

    /// nn.LayerNorm (and the flow head's own LayerNorm with elementwise_affine).
    mutating func layerNorm(_ prefix: String, _ channels: Int) {
        add(prefix + "weight", [channels], .ones)
        add(prefix + "bias", [channels], .zeros)
    }

    /// nn.Conv1d: weight [out, in / groups, kernel], bias [out].
    mutating func conv1d(_ prefix: String, input: Int, output: Int, kernel: Int, groups: Int = 1, bias: Bool = true) {
        let fanIn = input / groups * kernel
        add(prefix + "weight", [output, input / groups, kernel], Self.defaultBound(fanIn: fanIn))
        if bias { add(prefix + "bias", [output], Self.defaultBound(fanIn: fanIn)) }
    }

    /// nn.ConvTranspose1d: weight [in, out / groups, kernel], bias [out]; torch's fan_in is
    /// weight.size(1) · kernel.
    mutating func convTranspose1d(_ prefix: String, input: Int, output: Int, kernel: Int, groups: Int = 1, bias: Bool = true) {
        let fanIn = output / groups * kernel
        add(prefix + "weight", [input, output / groups, kernel], Self.defaultBound(fanIn: fanIn))
        if bias { add(prefix + "bias", [output], Self.defaultBound(fanIn: fanIn)) }
    }

    // MARK: FlowLM (models/flow_lm.py, modules/mlp.py, modules/transformer.py)

    mutating func flowLM(_ config: PocketTTSConfig, prefix: String) {
        let flowLM = config.flowLM
        let latent = config.mimi.quantizer.dimension  // ldim
        let transformer = flowLM.transformer
        let model = transformer.modelDimension
        add(prefix + "bos_emb", [latent], .normal(mean: 0, standardDeviation: 1))
        if flowLM.insertBOSBeforeVoice {
            add(prefix + "bos_before_voice", [1, 1, model], .normal(mean: 0, standardDeviation: 1))
        }
        // Added by TTSModel after construction: torch.zeros((d_model, mimi.inner_dim or
        // seanet.dimension)); made up here like a Linear weight so voice cloning is exercised.
        let speaker = config.mimi.encoderLatentDimension
        add(prefix + "speaker_proj_weight", [model, speaker], Self.defaultBound(fanIn: speaker))
        add(prefix + "emb_std", [latent], .ones, buffer: true)
        add(prefix + "emb_mean", [latent], .zeros, buffer: true)
        // LUTConditioner: n_bins + 1 rows (the last one is padding), rank wide and projected
        // (no bias) to dim when low-rank.
        let table = flowLM.lookupTable
        add(prefix + "conditioner.embed.weight", [table.binCount + 1, table.rank ?? table.dimension],
            .normal(mean: 0, standardDeviation: 1))
        if let rank = table.rank { linear(prefix + "conditioner.proj.", input: rank, output: table.dimension, bias: false) }
        flowHead(flowLM.flow, latent: latent, condition: flowLM.headInputDimension, prefix: prefix + "flow_net.")
        linear(prefix + "input_linear.", input: latent, output: model, bias: false)
        // StreamingMultiheadAttention: in_proj packs [q (attn_dim) | k (kv_dim) | v (kv_dim)].
        let attention = transformer.effectiveAttentionDimension
        let keyValue = attention / transformer.headCount * transformer.effectiveKeyValueHeadCount
        let feedForward = transformer.effectiveFeedForwardDimension
        for layer in 0..<transformer.layerCount {
            let layerPrefix = prefix + "transformer.layers.\(layer)."
            linear(layerPrefix + "self_attn.in_proj.", input: model, output: attention + 2 * keyValue, bias: false)
            linear(layerPrefix + "self_attn.out_proj.", input: attention, output: model, bias: false)
            layerNorm(layerPrefix + "norm1.", model)
            layerNorm(layerPrefix + "norm2.", model)
            linear(layerPrefix + "linear1.", input: model, output: feedForward, bias: false)
            linear(layerPrefix + "linear2.", input: feedForward, output: model, bias: false)
        }
        layerNorm(prefix + "out_norm.", model)
        if let z = flowLM.zDimension { linear(prefix + "z_proj.", input: model, output: z, bias: false) }
        linear(prefix + "out_eos.", input: flowLM.headInputDimension, output: 1, bias: true)
    }

    /// SimpleMLPAdaLN with the time conditions of its sampler (lsd 2, flow_matching 1, else 0).
    mutating func flowHead(_ flow: FlowConfig, latent: Int, condition: Int, prefix: String) {
        let width = flow.dimension
        let frequencyEmbeddingSize = 256  // TimestepEmbedder default
        for index in 0..<flow.type.timeConditionCount {
            let embedder = prefix + "time_embed.\(index)."
            add(embedder + "freqs", [frequencyEmbeddingSize / 2], .timestepFrequencies(maxPeriod: 10_000), buffer: true)
            linear(embedder + "mlp.0.", input: frequencyEmbeddingSize, output: width, bias: true)
            linear(embedder + "mlp.2.", input: width, output: width, bias: true)
            add(embedder + "mlp.3.alpha", [width], .ones)  // RMSNorm
        }
        linear(prefix + "cond_embed.", input: condition, output: width, bias: true)
        linear(prefix + "input_proj.", input: latent, output: width, bias: true)
        for block in 0..<flow.depth {
            let blockPrefix = prefix + "res_blocks.\(block)."
            layerNorm(blockPrefix + "in_ln.", width)
            linear(blockPrefix + "mlp.0.", input: width, output: width, bias: true)
            linear(blockPrefix + "mlp.2.", input: width, output: width, bias: true)
            linear(blockPrefix + "adaLN_modulation.1.", input: width, output: 3 * width, bias: true)
        }
        linear(prefix + "final_layer.linear.", input: width, output: latent, bias: true)
        linear(prefix + "final_layer.adaLN_modulation.1.", input: width, output: 2 * width, bias: true)
    }

    // MARK: Mimi (pocket-tts 4.0.1: models/mimi.py, modules/seanet.py, modules/transformer.py, modules/resample.py)

    /// `build_mimi`: encoder (`seanet`), decoder (`decoder_seanet or seanet`), their transformers
    /// (`transformer`, `decoder_transformer or transformer`), quantizer, then the resampling convs:
    /// downsample `dimension → inner_dim`, upsample `outer_dim → decoder dimension` with one group
    /// per decoder channel.
    mutating func mimi(_ mimi: MimiConfig, prefix: String) {
        let decoderSEANet = mimi.effectiveDecoderSEANet
        seanetEncoder(mimi.seanet, prefix: prefix + "encoder.model.")
        seanetDecoder(decoderSEANet, prefix: prefix + "decoder.model.")
        projectedTransformer(mimi.transformer, prefix: prefix + "encoder_transformer.")
        projectedTransformer(mimi.effectiveDecoderTransformer, prefix: prefix + "decoder_transformer.")
        conv1d(prefix + "quantizer.output_proj.", input: mimi.quantizer.dimension, output: mimi.quantizer.outputDimension,
               kernel: 1, bias: false)
        let stride = mimi.resampleStride
        if stride != 1 {
            conv1d(prefix + "downsample.conv.conv.", input: mimi.seanet.dimension, output: mimi.encoderLatentDimension,
                   kernel: 2 * stride, bias: false)
            convTranspose1d(prefix + "upsample.convtr.convtr.", input: mimi.decoderInputDimension,
                            output: decoderSEANet.dimension, kernel: 2 * stride, groups: decoderSEANet.dimension, bias: false)
        }
    }

    /// SEANetResnetBlock: [ELU, conv(k, dim → hidden), ELU, conv(1, hidden → dim)].
    mutating func residualBlock(_ seanet: SEANetConfig, channels: Int, prefix: String) {
        let hidden = channels / seanet.compress
        conv1d(prefix + "block.1.conv.", input: channels, output: hidden, kernel: seanet.residualKernelSize)
        conv1d(prefix + "block.3.conv.", input: hidden, output: channels, kernel: 1)
    }

    mutating func seanetEncoder(_ seanet: SEANetConfig, prefix: String) {
        var index = 0
        var channels = seanet.filterCount
        conv1d(prefix + "0.conv.", input: seanet.channels, output: channels, kernel: seanet.kernelSize)
        index += 1
        for ratio in seanet.ratios.reversed() {
            for _ in 0..<seanet.residualLayerCount {
                residualBlock(seanet, channels: channels, prefix: prefix + "\(index).")
                index += 1
            }
            index += 1  // ELU
            conv1d(prefix + "\(index).conv.", input: channels, output: 2 * channels, kernel: 2 * ratio)
            index += 1
            channels *= 2
        }
        index += 1  // ELU
        conv1d(prefix + "\(index).conv.", input: channels, output: seanet.dimension, kernel: seanet.lastKernelSize)
    }

    mutating func seanetDecoder(_ seanet: SEANetConfig, prefix: String) {
        var index = 0
        var channels = seanet.filterCount << seanet.ratios.count
        conv1d(prefix + "0.conv.", input: seanet.dimension, output: channels, kernel: seanet.kernelSize)
        index += 1
        for ratio in seanet.ratios {
            index += 1  // ELU
            convTranspose1d(prefix + "\(index).convtr.", input: channels, output: channels / 2, kernel: 2 * ratio)
            index += 1
            for _ in 0..<seanet.residualLayerCount {
                residualBlock(seanet, channels: channels / 2, prefix: prefix + "\(index).")
                index += 1
            }
            channels /= 2
        }
        index += 1  // ELU
        conv1d(prefix + "\(index).conv.", input: seanet.filterCount, output: seanet.channels, kernel: seanet.lastKernelSize)
    }

    mutating func projectedTransformer(_ config: MimiTransformerConfig, prefix: String) {
        let model = config.modelDimension
        for layer in 0..<config.layerCount {
            let layerPrefix = prefix + "transformer.layers.\(layer)."
            // 4.0.1's StreamingMultiheadAttention registers in_proj, then out_proj (1.1.1's
            // MimiStreamingMultiheadAttention had them the other way round).
            linear(layerPrefix + "self_attn.in_proj.", input: model, output: 3 * model, bias: false)
            linear(layerPrefix + "self_attn.out_proj.", input: model, output: model, bias: false)
            layerNorm(layerPrefix + "norm1.", model)
            layerNorm(layerPrefix + "norm2.", model)
            linear(layerPrefix + "linear1.", input: model, output: config.feedForwardDimension, bias: false)
            linear(layerPrefix + "linear2.", input: config.feedForwardDimension, output: model, bias: false)
            add(layerPrefix + "layer_scale_1.scale", [model], .constant(Float(config.layerScale)))
            add(layerPrefix + "layer_scale_2.scale", [model], .constant(Float(config.layerScale)))
        }
        if config.inputDimension != model {
            linear(prefix + "input_proj.", input: config.inputDimension, output: model, bias: false)
        }
        for (index, output) in config.outputDimensions.enumerated() where output != model {
            linear(prefix + "output_projs.\(index).", input: model, output: output, bias: false)
        }
    }
}

extension MimiConfig {
    /// Samples per encoder frame: the product of the SEANet ratios.
    public var hopLength: Int { seanet.ratios.reduce(1, *) }

    /// Encoder frames per latent frame (16): the stride of the `downsample` conv and
    /// `upsample` transposed conv, 1 when the rates match (no resampling layers).
    public var resampleStride: Int {
        let encoderFrameRate = Double(sampleRate) / Double(hopLength)
        return Int((encoderFrameRate / frameRate).rounded())
    }
}
