// Mimi+Loading: builds the codec from the `mimi.*` tensors of a checkpoint, mirroring how
// TTSModel._from_pydantic_config_with_weights builds MimiModel from the yaml. Every tensor is
// taken by its checkpoint key with its expected shape; nothing else is read.
import Kernels

extension Mimi {
    /// Loads the codec. `weights` is scoped at the Mimi module: pass `reader.scoped("mimi.")`
    /// for a full TTSModel checkpoint (`MimiCheckpoint.tensors(from:)` maps a codec checkpoint
    /// in the training layout onto these keys). Throws `MimiError` for an unsupported config and
    /// `WeightError` naming the first missing or mis-shaped tensor (unused ones are reported by
    /// the reader's `finish()`). `geluApproximation`: the transformers' GELU
    /// (`PocketTTSConfig.geluApproximation`: tanh in 4.0.1, the exact erf form for 1.1.1).
    /// `precision` other than `.exact` runs the decoder's transformer linears
    /// (`transformerArithmetic`: int8 under `.int8`) and SEANet convolutions (`seanetProducts`:
    /// `PackedWeights`, bfloat16 / f32 products, int8 under `.int8`) in reduced precision; the
    /// encoder (voice prompts) stays exact.
    public init(
        config: MimiConfig, weights: WeightReader, geluApproximation: GELUApproximation, precision: Precision = .exact
    ) throws {
        try config.checkSupportedByMimi()
        let stride = config.resampleStride
        let decoder = try Mimi.loadDecoder(
            config, weights, gelu: geluApproximation, arithmetic: Mimi.transformerArithmetic(precision, columnsPerFrame: stride),
            products: { Mimi.seanetProducts(precision, columnsPerFrame: $0, isOutputConv: $1) })
        let downsample = StreamingConv1d(conv: Conv1d(  // ConvDownsample1d: Conv1d(dimension, inner_dim, 2·stride)
            weight: try weights.tensor("downsample.conv.conv.weight",
                                       shape: [config.encoderLatentDimension, config.seanet.dimension, 2 * stride]),
            stride: stride), paddingMode: .replicate)
        let encoder = MimiEncoder(
            seanet: try Mimi.loadSEANetEncoder(config.seanet, weights.scoped("encoder.")),
            transformer: try Mimi.loadTransformer(config.transformer, weights.scoped("encoder_transformer."),
                                                  gelu: geluApproximation),
            downsample: downsample)
        self.init(config: config, encoder: encoder, decoder: decoder)
    }

    /// The decoder (quantizer projection, upsampling, `decoder_transformer`, the decoder SEANet) of
    /// a supported `config`: the transformer's projections multiplying as `arithmetic`, each SEANet
    /// conv with `products(columnsPerFrame, isOutputConv)` (nil: exact). `init` picks both from the
    /// precision and the CPU; tests force them to run the reduced kernels' portable code.
    static func loadDecoder(
        _ config: MimiConfig, _ weights: WeightReader, gelu: GELUApproximation,
        arithmetic: MimiTransformerLayer.Arithmetic, products: (Int, Bool) -> PackedWeights.Products?
    ) throws -> MimiDecoder {
        let stride = config.resampleStride
        let decoderSEANet = config.effectiveDecoderSEANet
        let q = config.quantizer
        let outputProjection = Linear(  // quantizer.output_proj: Conv1d(latent, outer, 1, bias=False)
            weight: try weights.floats("quantizer.output_proj.weight", shape: [q.outputDimension, q.dimension, 1]),
            inFeatures: q.dimension, outFeatures: q.outputDimension)
        // ConvTrUpsample1d: ConvTranspose1d(outer_dim, decoder dimension, 2·stride, groups = decoder
        // dimension): outer / dimension input channels per group, one output channel each.
        let upsample = StreamingConvTranspose1d(convTranspose: ConvTranspose1d(
            weight: try weights.tensor("upsample.convtr.convtr.weight", shape: [config.decoderInputDimension, 1, 2 * stride]),
            stride: stride, groups: decoderSEANet.dimension))
        let transformer = try Mimi.loadTransformer(
            config.effectiveDecoderTransformer, weights.scoped("decoder_transformer."), gelu: gelu, arithmetic: arithmetic)
        // A ring holding every key the context mask lets through for a frame's 16 queries
        // (4.0.1's linear cache), or 1.1.1's ring of `context` slots.
        let context = transformer.context
        let ringCapacity = config.attentionCache == .wholeContext ? context + stride - 1 : context
        return MimiDecoder(
            outputProjection: outputProjection, upsample: upsample, transformer: transformer,
            seanet: try Mimi.loadSEANetDecoder(decoderSEANet, weights.scoped("decoder."), columnsPerFrame: stride,
                                               products: products),
            fadeInLength: AudioFades.fadeInLength(sampleRate: config.sampleRate), ringCapacity: ringCapacity)
    }

    /// The products of a decoder layer that sees `columnsPerFrame` time steps per latent frame
    /// under `precision`: nil (exact) for `.exact`; else bfloat16 for narrow layers, whose weights
    /// stream from memory each frame (half the bytes), f32 for wide ones, which are compute-bound
    /// (this CPU issues vdpbf16ps at half the f32 FMA rate). Benchmarks/README.md, "Mimi profile".
    /// Without AVX-512 the decoder stays exact (the packed kernels' portable C is slower than
    /// OpenBLAS); without AVX512-BF16 every layer takes f32 products.
    static func products(_ precision: Precision, columnsPerFrame: Int) -> PackedWeights.Products? {
        if precision == .exact || !SkinnyLinear.hasAVX512 { return nil }
        return columnsPerFrame <= 16 && PackedWeights.hasAcceleratedBFloat16 ? .bfloat16 : .float32
    }

    /// The arithmetic of the decoder transformer's projections under `precision`: int8
    /// (`Int8Weights`, ~4× the rate of bfloat16 products on AVX512-VNNI) for `.int8` where the
    /// CPU has VNNI, else the packed products of `products(_:columnsPerFrame:)`.
    static func transformerArithmetic(_ precision: Precision, columnsPerFrame: Int) -> MimiTransformerLayer.Arithmetic {
        if precision == .int8 && SkinnyLinear.hasAVX512VNNI { return .int8 }
        return products(precision, columnsPerFrame: columnsPerFrame).map { .packed($0) } ?? .exact
    }

    // MARK: SEANet (seanet.py)

    /// The products of a SEANet decoder conv: under `.int8` with AVX512-VNNI int8 (`vpdpbusd`,
    /// four times the f32 FMA rate) for every conv but the output one, whose quantization noise
    /// would go straight into the audio (decoder-alone audio SNR against exact on the full-size
    /// random model: 51 dB so, 41 dB with the output conv in int8 too; Benchmarks/README.md,
    /// "SEANet in int8"); else as `products`.
    static func seanetProducts(
        _ precision: Precision, columnsPerFrame: Int, isOutputConv: Bool = false
    ) -> PackedWeights.Products? {
        let base = products(precision, columnsPerFrame: columnsPerFrame)
        guard base != nil, precision == .int8, PackedWeights.hasAcceleratedInt8, !isOutputConv else { return base }
        return .int8
    }

    /// `SEANetDecoder`: model.0 conv; per ratio: ELU, convtr, residual blocks; ELU, conv. Each
    /// conv multiplies with `products(columnsPerFrame at its input, isOutputConv)` (nil: exact).
    static func loadSEANetDecoder(
        _ c: SEANetConfig, _ w: WeightReader, columnsPerFrame: Int = 16,
        products: (Int, Bool) -> PackedWeights.Products? = { _, _ in nil }
    ) throws -> SEANetDecoder {
        var mult = 1 << c.ratios.count
        var columns = columnsPerFrame
        let inputConv = try conv(w, "model.0", c.dimension, mult * c.filterCount, c.kernelSize, mode(c),
                                 products: products(columns, false))
        var index = 1
        var stages: [SEANetDecoder.Stage] = []
        for ratio in c.ratios {
            let channels = mult * c.filterCount
            let upsample = StreamingConvTranspose1d(convTranspose: ConvTranspose1d(  // after the ELU at model.<index>
                weight: try w.tensor("model.\(index + 1).convtr.weight", shape: [channels, channels / 2, 2 * ratio]),
                bias: try w.tensor("model.\(index + 1).convtr.bias", shape: [channels / 2]), stride: ratio),
                products: products(columns, false))
            columns *= ratio
            index += 2
            var residuals: [SEANetResidualBlock] = []
            for j in 0..<c.residualLayerCount {
                residuals.append(try residual(w, "model.\(index)", channels / 2, dilation: pow(c.dilationBase, j), c,
                                              products: products(columns, false)))
                index += 1
            }
            stages.append(SEANetDecoder.Stage(upsample: upsample, residuals: residuals))
            mult /= 2
        }
        let outputConv = try conv(w, "model.\(index + 1)", c.filterCount, c.channels, c.lastKernelSize, mode(c),
                                  products: products(columns, true))
        return SEANetDecoder(inputConv: inputConv, stages: stages, outputConv: outputConv)
    }

    /// `SEANetEncoder`: model.0 conv; per reversed ratio: residual blocks, ELU, strided conv; ELU, conv.
    static func loadSEANetEncoder(_ c: SEANetConfig, _ w: WeightReader) throws -> SEANetEncoder {
        var mult = 1
        let inputConv = try conv(w, "model.0", c.channels, c.filterCount, c.kernelSize, mode(c))
        var index = 1
        var stages: [SEANetEncoder.Stage] = []
        for ratio in c.ratios.reversed() {
            let channels = mult * c.filterCount
            var residuals: [SEANetResidualBlock] = []
            for j in 0..<c.residualLayerCount {
                residuals.append(try residual(w, "model.\(index)", channels, dilation: pow(c.dilationBase, j), c))
                index += 1
            }
            let downsample = try conv(w, "model.\(index + 1)", channels, 2 * channels, 2 * ratio, mode(c), stride: ratio)
            index += 2
            stages.append(SEANetEncoder.Stage(residuals: residuals, downsample: downsample))
            mult *= 2
        }
        let outputConv = try conv(w, "model.\(index + 1)", mult * c.filterCount, c.dimension, c.lastKernelSize, mode(c))
        return SEANetEncoder(inputConv: inputConv, stages: stages, outputConv: outputConv)
    }

    /// `SEANetResnetBlock` at `<name>.`: block.1 conv [dim/compress, dim, k] (dilated), block.3 conv [dim, dim/compress, 1].
    static func residual(
        _ w: WeightReader, _ name: String, _ dim: Int, dilation: Int, _ c: SEANetConfig,
        products: PackedWeights.Products? = nil
    ) throws -> SEANetResidualBlock {
        let hidden = dim / c.compress
        return SEANetResidualBlock(
            conv1: try conv(w, "\(name).block.1", dim, hidden, c.residualKernelSize, mode(c), dilation: dilation,
                            products: products),
            conv2: try conv(w, "\(name).block.3", hidden, dim, 1, mode(c), products: products))
    }

    /// `StreamingConv1d` with bias at `<name>.conv.{weight,bias}`.
    static func conv(
        _ w: WeightReader, _ name: String, _ cin: Int, _ cout: Int, _ kernel: Int, _ mode: ConvPaddingMode,
        stride: Int = 1, dilation: Int = 1, products: PackedWeights.Products? = nil
    ) throws -> StreamingConv1d {
        StreamingConv1d(
            conv: Conv1d(weight: try w.tensor("\(name).conv.weight", shape: [cout, cin, kernel]),
                         bias: try w.tensor("\(name).conv.bias", shape: [cout]), stride: stride, dilation: dilation),
            paddingMode: mode, products: products)
    }

    private static func mode(_ c: SEANetConfig) -> ConvPaddingMode {
        ConvPaddingMode(rawValue: c.padMode) ?? .constant  // checked by checkSupportedByMimi
    }

    private static func pow(_ base: Int, _ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { r, _ in r * base }
    }

    // MARK: Transformer (transformer.py ProjectedTransformer)

    /// `ProjectedTransformer` at `w`: input_proj / output_projs.0 only where the widths differ.
    static func loadTransformer(
        _ c: MimiTransformerConfig, _ w: WeightReader, gelu: GELUApproximation,
        arithmetic: MimiTransformerLayer.Arithmetic = .exact
    ) throws -> MimiTransformer {
        let d = c.modelDimension
        let out = c.outputDimensions[0]
        let inputProjection = d == c.inputDimension ? nil
            : Linear(weight: try w.tensor("input_proj.weight", shape: [d, c.inputDimension]))
        let outputProjection = d == out ? nil
            : Linear(weight: try w.tensor("output_projs.0.weight", shape: [out, d]))
        var layers: [MimiTransformerLayer] = []
        for i in 0..<c.layerCount {
            let l = w.scoped("transformer.layers.\(i).")
            func norm(_ name: String) throws -> LayerNorm {
                LayerNorm(dim: d, eps: 1e-5, weight: try l.floats("\(name).weight", shape: [d]),
                          bias: try l.floats("\(name).bias", shape: [d]))
            }
            func linear(_ name: String, _ o: Int, _ i: Int) throws -> Linear {
                Linear(weight: try l.tensor("\(name).weight", shape: [o, i]))
            }
            layers.append(MimiTransformerLayer(
                norm1: try norm("norm1"),
                inProjection: try linear("self_attn.in_proj", 3 * d, d),
                outProjection: try linear("self_attn.out_proj", d, d),
                layerScale1: try l.floats("layer_scale_1.scale", shape: [d]),
                norm2: try norm("norm2"),
                linear1: try linear("linear1", c.feedForwardDimension, d),
                linear2: try linear("linear2", d, c.feedForwardDimension),
                layerScale2: try l.floats("layer_scale_2.scale", shape: [d]), arithmetic: arithmetic))
        }
        return MimiTransformer(inputProjection: inputProjection, layers: layers, outputProjection: outputProjection,
                               heads: c.headCount, context: c.context, maxPeriod: c.maxPeriod, gelu: gelu)
    }
}
