/// `mimi:` in the config (reference `MimiConfig`): the audio codec.
public struct MimiConfig: Codable, Sendable, Equatable {
    public var dtype: String
    public var sampleRate: Int
    public var channels: Int
    /// Latent frames per second (12.5).
    public var frameRate: Double
    public var seanet: SEANetConfig
    public var transformer: MimiTransformerConfig
    public var quantizer: QuantizerConfig
    public var weightsPath: String?
    /// Channels of the encoder's downsampled latent (the voice prompt's width before
    /// `speaker_proj_weight`); `seanet.dimension` when nil.
    public var innerDimension: Int?
    /// Channels into the decoder's upsampling conv (`quantizer.output_dimension`'s side);
    /// the decoder SEANet's dimension when nil.
    public var outerDimension: Int?
    /// The decoder's SEANet and transformer when they differ from the encoder's.
    public var decoderSEANet: SEANetConfig?
    public var decoderTransformer: MimiTransformerConfig?
    /// How the streaming decoder keeps its attention keys. Not a YAML key: pocket-tts 4.0.1 keeps
    /// every key (`.wholeContext`, its linear cache); 1.1.1 kept a ring of `context` slots, where
    /// a frame's 16 new keys overwrite old ones its first queries could still see
    /// (`.contextRing`), which `PocketTTSConfig.b6369a24()` (the 1.1.1 config) keeps for the
    /// 1.1.1 parity checks. The two differ once the ring has wrapped (after context / 16 frames).
    public var attentionCache: MimiAttentionCache = .wholeContext

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dtype
        case sampleRate = "sample_rate"
        case channels
        case frameRate = "frame_rate"
        case seanet, transformer, quantizer
        case weightsPath = "weights_path"
        case innerDimension = "inner_dim"
        case outerDimension = "outer_dim"
        case decoderSEANet = "decoder_seanet"
        case decoderTransformer = "decoder_transformer"
    }

    public init(
        dtype: String, sampleRate: Int, channels: Int, frameRate: Double, seanet: SEANetConfig,
        transformer: MimiTransformerConfig, quantizer: QuantizerConfig, weightsPath: String? = nil,
        innerDimension: Int? = nil, outerDimension: Int? = nil, decoderSEANet: SEANetConfig? = nil,
        decoderTransformer: MimiTransformerConfig? = nil
    ) {
        self.dtype = dtype
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameRate = frameRate
        self.seanet = seanet
        self.transformer = transformer
        self.quantizer = quantizer
        self.weightsPath = weightsPath
        self.innerDimension = innerDimension
        self.outerDimension = outerDimension
        self.decoderSEANet = decoderSEANet
        self.decoderTransformer = decoderTransformer
    }

    /// The decoder side: `decoder_seanet or seanet`.
    public var effectiveDecoderSEANet: SEANetConfig { decoderSEANet ?? seanet }
    /// `decoder_transformer or transformer`.
    public var effectiveDecoderTransformer: MimiTransformerConfig { decoderTransformer ?? transformer }
    /// Width of the encoder's latent (`inner_dim or seanet.dimension`): the voice prompt's
    /// width, `speaker_proj_weight`'s input.
    public var encoderLatentDimension: Int { innerDimension ?? seanet.dimension }
    /// Channels the decoder's upsampling conv reads (`outer_dim or decoder SEANet dimension`).
    public var decoderInputDimension: Int { outerDimension ?? effectiveDecoderSEANet.dimension }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dtype = try container.decode(String.self, forKey: .dtype)
        sampleRate = try container.decode(Int.self, forKey: .sampleRate)
        channels = try container.decode(Int.self, forKey: .channels)
        frameRate = try container.decode(Double.self, forKey: .frameRate)
        seanet = try container.decode(SEANetConfig.self, forKey: .seanet)
        transformer = try container.decode(MimiTransformerConfig.self, forKey: .transformer)
        quantizer = try container.decode(QuantizerConfig.self, forKey: .quantizer)
        weightsPath = try container.decodeIfPresent(String.self, forKey: .weightsPath)
        innerDimension = try container.decodeIfPresent(Int.self, forKey: .innerDimension)
        outerDimension = try container.decodeIfPresent(Int.self, forKey: .outerDimension)
        decoderSEANet = try container.decodeIfPresent(SEANetConfig.self, forKey: .decoderSEANet)
        decoderTransformer = try container.decodeIfPresent(MimiTransformerConfig.self, forKey: .decoderTransformer)
    }
}

/// The decoder's streaming attention cache (`MimiConfig.attentionCache`).
public enum MimiAttentionCache: String, Sendable, Equatable, CaseIterable {
    /// pocket-tts 4.0.1: every key within `context` of a query stays visible (a ring of
    /// context + 15 slots holds them all for a frame's 16 queries).
    case wholeContext
    /// pocket-tts 1.1.1: a ring of `context` slots, written before the frame's queries attend.
    case contextRing
}

/// `mimi.seanet:` the convolutional encoder/decoder.
public struct SEANetConfig: Codable, Sendable, Equatable {
    /// Channels at the latent end (512).
    public var dimension: Int
    /// Audio channels (1).
    public var channels: Int
    public var filterCount: Int
    public var residualLayerCount: Int
    /// Decoder upsampling strides, in decoder order (the encoder uses them reversed).
    public var ratios: [Int]
    public var kernelSize: Int
    public var residualKernelSize: Int
    public var lastKernelSize: Int
    public var dilationBase: Int
    public var padMode: String
    public var compress: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension, channels
        case filterCount = "n_filters"
        case residualLayerCount = "n_residual_layers"
        case ratios
        case kernelSize = "kernel_size"
        case residualKernelSize = "residual_kernel_size"
        case lastKernelSize = "last_kernel_size"
        case dilationBase = "dilation_base"
        case padMode = "pad_mode"
        case compress
    }

    public init(
        dimension: Int, channels: Int, filterCount: Int, residualLayerCount: Int, ratios: [Int], kernelSize: Int,
        residualKernelSize: Int, lastKernelSize: Int, dilationBase: Int, padMode: String, compress: Int
    ) {
        self.dimension = dimension
        self.channels = channels
        self.filterCount = filterCount
        self.residualLayerCount = residualLayerCount
        self.ratios = ratios
        self.kernelSize = kernelSize
        self.residualKernelSize = residualKernelSize
        self.lastKernelSize = lastKernelSize
        self.dilationBase = dilationBase
        self.padMode = padMode
        self.compress = compress
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        channels = try container.decode(Int.self, forKey: .channels)
        filterCount = try container.decode(Int.self, forKey: .filterCount)
        residualLayerCount = try container.decode(Int.self, forKey: .residualLayerCount)
        ratios = try container.decode([Int].self, forKey: .ratios)
        kernelSize = try container.decode(Int.self, forKey: .kernelSize)
        residualKernelSize = try container.decode(Int.self, forKey: .residualKernelSize)
        lastKernelSize = try container.decode(Int.self, forKey: .lastKernelSize)
        dilationBase = try container.decode(Int.self, forKey: .dilationBase)
        padMode = try container.decode(String.self, forKey: .padMode)
        compress = try container.decode(Int.self, forKey: .compress)
    }
}

/// `mimi.transformer:` the encoder and decoder transformers (same shape).
public struct MimiTransformerConfig: Codable, Sendable, Equatable {
    public var modelDimension: Int
    public var inputDimension: Int
    public var outputDimensions: [Int]
    public var headCount: Int
    public var layerCount: Int
    /// Initial LayerScale value.
    public var layerScale: Double
    /// Attention window, in positions.
    public var context: Int
    /// RoPE max period; 10000 when absent.
    public var maxPeriod: Double
    public var feedForwardDimension: Int

    public static let defaultMaxPeriod = 10_000.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case modelDimension = "d_model"
        case inputDimension = "input_dimension"
        case outputDimensions = "output_dimensions"
        case headCount = "num_heads"
        case layerCount = "num_layers"
        case layerScale = "layer_scale"
        case context
        case maxPeriod = "max_period"
        case feedForwardDimension = "dim_feedforward"
    }

    public init(
        modelDimension: Int, inputDimension: Int, outputDimensions: [Int], headCount: Int, layerCount: Int,
        layerScale: Double, context: Int, maxPeriod: Double = defaultMaxPeriod, feedForwardDimension: Int
    ) {
        self.modelDimension = modelDimension
        self.inputDimension = inputDimension
        self.outputDimensions = outputDimensions
        self.headCount = headCount
        self.layerCount = layerCount
        self.layerScale = layerScale
        self.context = context
        self.maxPeriod = maxPeriod
        self.feedForwardDimension = feedForwardDimension
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        modelDimension = try container.decode(Int.self, forKey: .modelDimension)
        inputDimension = try container.decode(Int.self, forKey: .inputDimension)
        outputDimensions = try container.decode([Int].self, forKey: .outputDimensions)
        headCount = try container.decode(Int.self, forKey: .headCount)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        layerScale = try container.decode(Double.self, forKey: .layerScale)
        context = try container.decode(Int.self, forKey: .context)
        maxPeriod = try container.decodeIfPresent(Double.self, forKey: .maxPeriod) ?? Self.defaultMaxPeriod
        feedForwardDimension = try container.decode(Int.self, forKey: .feedForwardDimension)
    }
}

/// `mimi.quantizer:` the latent → codec projection (a 1×1 conv).
public struct QuantizerConfig: Codable, Sendable, Equatable {
    /// Latent size (32).
    public var dimension: Int
    public var outputDimension: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension
        case outputDimension = "output_dimension"
    }

    public init(dimension: Int, outputDimension: Int) {
        self.dimension = dimension
        self.outputDimension = outputDimension
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        outputDimension = try container.decode(Int.self, forKey: .outputDimension)
    }
}
