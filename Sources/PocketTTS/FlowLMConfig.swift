/// `flow_lm:` in the config (reference `FlowLMConfig`).
public struct FlowLMConfig: Codable, Sendable, Equatable {
    public var dtype: String
    public var flow: FlowConfig
    public var transformer: FlowLMTransformerConfig
    public var lookupTable: LookupTableConfig
    public var weightsPath: String?
    /// Width of the backbone output fed to the flow and EOS heads: a bias-free projection
    /// (`z_proj`) from d_model when set, the transformer output itself when nil.
    public var zDimension: Int?
    /// A learned row (`bos_before_voice` [1, 1, d]) prepended to every voice prompt.
    public var insertBOSBeforeVoice: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dtype, flow, transformer
        case lookupTable = "lookup_table"
        case weightsPath = "weights_path"
        case zDimension = "z_dim"
        case insertBOSBeforeVoice = "insert_bos_before_voice"
    }

    public init(
        dtype: String, flow: FlowConfig, transformer: FlowLMTransformerConfig, lookupTable: LookupTableConfig,
        weightsPath: String? = nil, zDimension: Int? = nil, insertBOSBeforeVoice: Bool = false
    ) {
        self.dtype = dtype
        self.flow = flow
        self.transformer = transformer
        self.lookupTable = lookupTable
        self.weightsPath = weightsPath
        self.zDimension = zDimension
        self.insertBOSBeforeVoice = insertBOSBeforeVoice
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dtype = try container.decode(String.self, forKey: .dtype)
        flow = try container.decode(FlowConfig.self, forKey: .flow)
        transformer = try container.decode(FlowLMTransformerConfig.self, forKey: .transformer)
        lookupTable = try container.decode(LookupTableConfig.self, forKey: .lookupTable)
        weightsPath = try container.decodeIfPresent(String.self, forKey: .weightsPath)
        zDimension = try container.decodeIfPresent(Int.self, forKey: .zDimension)
        insertBOSBeforeVoice = try container.decodeIfPresent(Bool.self, forKey: .insertBOSBeforeVoice) ?? false
    }

    /// Width of what the flow and EOS heads read: `z_dim`, else d_model.
    public var headInputDimension: Int { zDimension ?? transformer.modelDimension }
}

/// `flow_lm.flow:` the flow head (SimpleMLPAdaLN) width and residual block count.
public struct FlowConfig: Codable, Sendable, Equatable {
    public var dimension: Int
    public var depth: Int
    /// The sampler (`models/flow_lm.py`): `lsd` (two time conditions), `flow_matching` (one
    /// time condition, Euler steps), `drifting` (no time condition: the head's output is the
    /// sample) or `pointwise` (no time condition: noise plus the head's output).
    public var type: FlowType

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension = "dim"
        case depth
        case type
    }

    public init(dimension: Int, depth: Int, type: FlowType = .lsd) {
        self.dimension = dimension
        self.depth = depth
        self.type = type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        depth = try container.decode(Int.self, forKey: .depth)
        type = try container.decodeIfPresent(FlowType.self, forKey: .type) ?? .lsd
    }
}

/// `flow_lm.flow.type`: how the flow head turns noise into a latent.
public enum FlowType: String, Codable, Sendable, Equatable, CaseIterable {
    case lsd
    case flowMatching = "flow_matching"
    case drifting
    case pointwise

    /// Time embedders the head has (`SimpleMLPAdaLN.num_time_conds`).
    public var timeConditionCount: Int {
        switch self {
        case .lsd: 2
        case .flowMatching: 1
        case .drifting, .pointwise: 0
        }
    }
}

/// `flow_lm.transformer:` the FlowLM backbone.
public struct FlowLMTransformerConfig: Codable, Sendable, Equatable {
    /// Feed-forward width = `hiddenScale · modelDimension`.
    public var hiddenScale: Int
    public var maxPeriod: Int
    public var modelDimension: Int
    public var headCount: Int
    public var layerCount: Int
    /// Width of the queries and of the attention output; d_model when nil.
    public var attentionDimension: Int?
    /// Key/value heads, each shared by num_heads / num_kv_heads query heads; num_heads when nil.
    public var keyValueHeadCount: Int?
    /// Feed-forward hidden width; d_model · hidden_scale when nil.
    public var feedForwardDimension: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenScale = "hidden_scale"
        case maxPeriod = "max_period"
        case modelDimension = "d_model"
        case headCount = "num_heads"
        case layerCount = "num_layers"
        case attentionDimension = "attn_dim"
        case keyValueHeadCount = "num_kv_heads"
        case feedForwardDimension = "dim_feedforward"
    }

    public init(
        hiddenScale: Int, maxPeriod: Int, modelDimension: Int, headCount: Int, layerCount: Int,
        attentionDimension: Int? = nil, keyValueHeadCount: Int? = nil, feedForwardDimension: Int? = nil
    ) {
        self.hiddenScale = hiddenScale
        self.maxPeriod = maxPeriod
        self.modelDimension = modelDimension
        self.headCount = headCount
        self.layerCount = layerCount
        self.attentionDimension = attentionDimension
        self.keyValueHeadCount = keyValueHeadCount
        self.feedForwardDimension = feedForwardDimension
    }

    /// `attn_dim or d_model`.
    public var effectiveAttentionDimension: Int { attentionDimension ?? modelDimension }
    /// `num_kv_heads or num_heads`.
    public var effectiveKeyValueHeadCount: Int { keyValueHeadCount ?? headCount }
    /// `dim_feedforward or d_model · hidden_scale`.
    public var effectiveFeedForwardDimension: Int { feedForwardDimension ?? modelDimension * hiddenScale }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        hiddenScale = try container.decode(Int.self, forKey: .hiddenScale)
        maxPeriod = try container.decode(Int.self, forKey: .maxPeriod)
        modelDimension = try container.decode(Int.self, forKey: .modelDimension)
        headCount = try container.decode(Int.self, forKey: .headCount)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
        attentionDimension = try container.decodeIfPresent(Int.self, forKey: .attentionDimension)
        keyValueHeadCount = try container.decodeIfPresent(Int.self, forKey: .keyValueHeadCount)
        feedForwardDimension = try container.decodeIfPresent(Int.self, forKey: .feedForwardDimension)
    }
}

/// `flow_lm.lookup_table:` the text conditioner (embedding table of `binCount + 1` rows).
public struct LookupTableConfig: Codable, Sendable, Equatable {
    public var dimension: Int
    public var binCount: Int
    public var tokenizer: String
    public var tokenizerPath: String
    /// Low-rank table: `rank`-wide embeddings and a bias-free projection (`conditioner.proj`)
    /// to `dim`; a full table when nil.
    public var rank: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension = "dim"
        case binCount = "n_bins"
        case tokenizer
        case tokenizerPath = "tokenizer_path"
        case rank
    }

    public init(dimension: Int, binCount: Int, tokenizer: String, tokenizerPath: String, rank: Int? = nil) {
        self.dimension = dimension
        self.binCount = binCount
        self.tokenizer = tokenizer
        self.tokenizerPath = tokenizerPath
        self.rank = rank
    }

    /// The tokenizer file's kind, as `build_tokenizer` picks it: `tokenizers`/`json` or a
    /// path ending in `.json` is a Hugging Face `tokenizer.json`, anything else SentencePiece.
    public var usesTokenizerJSON: Bool {
        let path = tokenizerPath.split(separator: "@").first.map(String.init) ?? tokenizerPath
        return tokenizer == "tokenizers" || tokenizer == "json" || path.hasSuffix(".json")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        binCount = try container.decode(Int.self, forKey: .binCount)
        tokenizer = try container.decode(String.self, forKey: .tokenizer)
        tokenizerPath = try container.decode(String.self, forKey: .tokenizerPath)
        rank = try container.decodeIfPresent(Int.self, forKey: .rank)
    }
}
