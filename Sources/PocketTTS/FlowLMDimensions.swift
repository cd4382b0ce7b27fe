import Kernels

/// Sizes and variant switches of a FlowLM: pocket_tts `FlowLMConfig` plus the two Mimi sizes it
/// depends on (`mimi.quantizer.dimension` is the latent size, `mimi.inner_dim or
/// mimi.seanet.dimension` the speaker size) and the GELU of the config's reference.
public struct FlowLMDimensions: Sendable, Equatable {
    public var modelDim: Int  // transformer.d_model
    public var headCount: Int  // transformer.num_heads (query heads)
    public var layerCount: Int  // transformer.num_layers
    public var feedForwardDim: Int  // transformer.dim_feedforward or d_model · hidden_scale
    public var maxPeriod: Double  // transformer.max_period (RoPE)
    public var vocabularySize: Int  // lookup_table.n_bins; the embedding table has n_bins + 1 rows
    public var latentDim: Int  // mimi.quantizer.dimension
    public var flowDim: Int  // flow.dim
    public var flowDepth: Int  // flow.depth (residual blocks)
    public var speakerDim: Int  // mimi.inner_dim or mimi.seanet.dimension (columns of speaker_proj_weight)
    public var timeFrequencyDim: Int  // TimestepEmbedder frequency_embedding_size (fixed 256)
    public var attentionDim: Int  // transformer.attn_dim or d_model: query and attention-output width
    public var keyValueHeadCount: Int  // transformer.num_kv_heads or num_heads
    public var lookupRank: Int?  // lookup_table.rank: low-rank text table (embed [n+1, rank] + proj [d, rank])
    public var zDim: Int?  // z_dim: z_proj [z, d] after out_norm; the heads read z_dim wide rows
    public var flowType: FlowType  // flow.type: lsd, flow_matching, drifting, pointwise
    public var insertsBOSBeforeVoice: Bool  // insert_bos_before_voice: bos_before_voice [1, 1, d]
    public var geluApproximation: GELUApproximation  // feed-forward GELU (tanh in 4.0.1, erf in 1.1.1)

    public init(
        modelDim: Int, headCount: Int, layerCount: Int, feedForwardDim: Int, maxPeriod: Double = 10_000,
        vocabularySize: Int, latentDim: Int, flowDim: Int, flowDepth: Int, speakerDim: Int,
        timeFrequencyDim: Int = 256, attentionDim: Int? = nil, keyValueHeadCount: Int? = nil, lookupRank: Int? = nil,
        zDim: Int? = nil, flowType: FlowType = .lsd, insertsBOSBeforeVoice: Bool = false,
        geluApproximation: GELUApproximation = .tanh
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
        self.attentionDim = attentionDim ?? modelDim
        self.keyValueHeadCount = keyValueHeadCount ?? headCount
        self.lookupRank = lookupRank
        self.zDim = zDim
        self.flowType = flowType
        self.insertsBOSBeforeVoice = insertsBOSBeforeVoice
        self.geluApproximation = geluApproximation
    }

    /// The released model of pocket-tts 1.1.1 (config b6369a24.yaml, exact erf GELU).
    public static let b6369a24 = FlowLMDimensions(
        modelDim: 1024, headCount: 16, layerCount: 6, feedForwardDim: 4096, maxPeriod: 10_000,
        vocabularySize: 4000, latentDim: 32, flowDim: 512, flowDepth: 6, speakerDim: 512, geluApproximation: .none)

    /// The sizes a config describes (`flow_lm` plus `mimi.quantizer.dimension` and
    /// `mimi.inner_dim or mimi.seanet.dimension`). The text table (or its projection) has
    /// `lookup_table.dim` columns, which must equal `d_model`.
    public init(config: PocketTTSConfig) throws(FlowLMError) {
        let f = config.flowLM
        guard f.lookupTable.dimension == f.transformer.modelDimension else {
            throw .invalidDimensions(
                "lookup_table.dim \(f.lookupTable.dimension) != transformer.d_model \(f.transformer.modelDimension)")
        }
        let t = f.transformer
        self.init(
            modelDim: t.modelDimension, headCount: t.headCount, layerCount: t.layerCount,
            feedForwardDim: t.effectiveFeedForwardDimension, maxPeriod: Double(t.maxPeriod),
            vocabularySize: f.lookupTable.binCount, latentDim: config.mimi.quantizer.dimension,
            flowDim: f.flow.dimension, flowDepth: f.flow.depth, speakerDim: config.mimi.encoderLatentDimension,
            attentionDim: t.effectiveAttentionDimension, keyValueHeadCount: t.effectiveKeyValueHeadCount,
            lookupRank: f.lookupTable.rank, zDim: f.zDimension, flowType: f.flow.type,
            insertsBOSBeforeVoice: f.insertBOSBeforeVoice, geluApproximation: config.geluApproximation)
        try validate()
    }

    /// Width of one attention head: attn_dim / num_heads.
    public var headDim: Int { attentionDim / headCount }
    /// Width of the keys (and of the values): headDim · num_kv_heads; what one cache row holds.
    public var keyValueDim: Int { headDim * keyValueHeadCount }
    /// Rows of `in_proj`: [q (attn_dim) | k (kv_dim) | v (kv_dim)].
    public var inProjectionDim: Int { attentionDim + 2 * keyValueDim }
    /// Width of what the EOS and flow heads read: z_dim, else d_model.
    public var conditionDim: Int { zDim ?? modelDim }

    /// Fails unless every size is positive and the head split and RoPE pairs work out.
    public func validate() throws(FlowLMError) {
        let sizes = [modelDim, headCount, layerCount, feedForwardDim, vocabularySize, latentDim,
                     flowDim, flowDepth, speakerDim, timeFrequencyDim, attentionDim, keyValueHeadCount,
                     lookupRank ?? 1, zDim ?? 1]
        guard sizes.allSatisfy({ $0 > 0 }), maxPeriod > 0 else {
            throw .invalidDimensions("all sizes must be positive: \(self)")
        }
        guard attentionDim % headCount == 0, headDim % 2 == 0 else {
            throw .invalidDimensions("attn_dim \(attentionDim) must split into \(headCount) heads of even size")
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw .invalidDimensions("\(keyValueHeadCount) key/value heads do not divide \(headCount) heads")
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
    /// Decoding steps of the flow head (>= 1): LSD steps, or the Euler steps of a
    /// `flow_matching` head; `drifting` and `pointwise` heads take one step whatever this is.
    /// `sampler_decode_steps` (formerly `lsd_decode_steps`).
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
