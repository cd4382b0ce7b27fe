import Kernels

/// Sizes of a FlowLM: pocket_tts `FlowLMConfig` plus the two Mimi sizes it depends on
/// (`mimi.quantizer.dimension` is the latent size, `mimi.seanet.dimension` the speaker size).
public struct FlowLMDimensions: Sendable, Equatable {
    public var modelDim: Int  // transformer.d_model
    public var headCount: Int  // transformer.num_heads
    public var layerCount: Int  // transformer.num_layers
    public var feedForwardDim: Int  // d_model · transformer.hidden_scale
    public var maxPeriod: Double  // transformer.max_period (RoPE)
    public var vocabularySize: Int  // lookup_table.n_bins; the embedding table has n_bins + 1 rows
    public var latentDim: Int  // mimi.quantizer.dimension
    public var flowDim: Int  // flow.dim
    public var flowDepth: Int  // flow.depth (residual blocks)
    public var speakerDim: Int  // mimi.seanet.dimension (rows of speaker_proj_weightᵀ)
    public var timeFrequencyDim: Int  // TimestepEmbedder frequency_embedding_size (fixed 256)

    public init(
        modelDim: Int, headCount: Int, layerCount: Int, feedForwardDim: Int, maxPeriod: Double = 10_000,
        vocabularySize: Int, latentDim: Int, flowDim: Int, flowDepth: Int, speakerDim: Int,
        timeFrequencyDim: Int = 256
    ) {
        self.modelDim = modelDim
        self.headCount = headCount
        self.layerCount = layerCount
        self.feedForwardDim = feedForwardDim
        self.maxPeriod = maxPeriod
        self.vocabularySize = vocabularySize
        self.latentDim = latentDim
        self.flowDim = flowDim
        self.flowDepth = flowDepth
        self.speakerDim = speakerDim
        self.timeFrequencyDim = timeFrequencyDim
    }

    /// The released model (config b6369a24.yaml).
    public static let b6369a24 = FlowLMDimensions(
        modelDim: 1024, headCount: 16, layerCount: 6, feedForwardDim: 4096, maxPeriod: 10_000,
        vocabularySize: 4000, latentDim: 32, flowDim: 512, flowDepth: 6, speakerDim: 512)

    /// The sizes a config describes (`flow_lm` plus `mimi.quantizer.dimension` and
    /// `mimi.seanet.dimension`). The text table has no projection, so `lookup_table.dim`
    /// must equal `d_model`.
    public init(config: PocketTTSConfig) throws(FlowLMError) {
        let f = config.flowLM
        guard f.lookupTable.dimension == f.transformer.modelDimension else {
            throw .invalidDimensions(
                "lookup_table.dim \(f.lookupTable.dimension) != transformer.d_model \(f.transformer.modelDimension)")
        }
        self.init(
            modelDim: f.transformer.modelDimension, headCount: f.transformer.headCount,
            layerCount: f.transformer.layerCount,
            feedForwardDim: f.transformer.modelDimension * f.transformer.hiddenScale,
            maxPeriod: Double(f.transformer.maxPeriod), vocabularySize: f.lookupTable.binCount,
            latentDim: config.mimi.quantizer.dimension, flowDim: f.flow.dimension, flowDepth: f.flow.depth,
            speakerDim: config.mimi.seanet.dimension)
        try validate()
    }

    public var headDim: Int { modelDim / headCount }

    /// Fails unless every size is positive and the head split and RoPE pairs work out.
    public func validate() throws(FlowLMError) {
        let sizes = [modelDim, headCount, layerCount, feedForwardDim, vocabularySize, latentDim,
                     flowDim, flowDepth, speakerDim, timeFrequencyDim]
        guard sizes.allSatisfy({ $0 > 0 }), maxPeriod > 0 else {
            throw .invalidDimensions("all sizes must be positive: \(self)")
        }
        guard modelDim % headCount == 0, headDim % 2 == 0 else {
            throw .invalidDimensions("d_model \(modelDim) must split into \(headCount) heads of even size")
        }
        guard timeFrequencyDim % 2 == 0, flowDim > 1 else {
            throw .invalidDimensions("time frequency size must be even and flow dim > 1")
        }
    }
}

/// Errors of FlowLM loading and input checking.
public enum FlowLMError: Error, Equatable, CustomStringConvertible {
    case invalidDimensions(String)
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    case shape(name: String, expected: [Int], got: [Int])
    /// A voice-state tensor is missing, unexpected or inconsistent (`problem` says which).
    case voiceState(tensor: String, problem: String)

    public var description: String {
        switch self {
        case .invalidDimensions(let why): "FlowLM: invalid dimensions: \(why)"
        case .tokenOutOfRange(let token, let n): "FlowLM: text token \(token) outside 0...\(n)"
        case .shape(let name, let expected, let got): "FlowLM: \(name) has shape \(got), expected \(expected)"
        case .voiceState(let tensor, let problem): "FlowLM: voice state: tensor '\(tensor)': \(problem)"
        }
    }
}

/// Sampling settings of one latent step (pocket_tts `TTSModel` arguments, same defaults).
public struct FlowLMSampling: Sendable, Equatable {
    /// Noise variance; 0 gives zero noise (deterministic). `temp`.
    public var temperature: Float
    /// LSD decoding steps (>= 1). `lsd_decode_steps`.
    public var lsdSteps: Int
    /// Noise truncated to ±noiseClamp when set. `noise_clamp`.
    public var noiseClamp: Float?
    /// A step is end-of-speech when its EOS logit exceeds this. `eos_threshold`.
    public var eosThreshold: Float

    public init(temperature: Float = 0.7, lsdSteps: Int = 1, noiseClamp: Float? = nil, eosThreshold: Float = -4) {
        precondition(lsdSteps >= 1, "FlowLMSampling: lsdSteps must be >= 1")
        precondition(temperature >= 0, "FlowLMSampling: temperature must be >= 0")
        self.temperature = temperature
        self.lsdSteps = lsdSteps
        self.noiseClamp = noiseClamp
        self.eosThreshold = eosThreshold
    }
}

/// What one latent step produces.
public struct FlowLMStep: Sendable, Equatable {
    public var latent: [Float]  // [latentDim], normalised (the next step's input)
    public var eosLogit: Float
    public var isEndOfSpeech: Bool
}
