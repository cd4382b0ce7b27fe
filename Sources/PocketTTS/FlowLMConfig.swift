/// `flow_lm:` in the config (reference `FlowLMConfig`).
public struct FlowLMConfig: Codable, Sendable, Equatable {
    public var dtype: String
    public var flow: FlowConfig
    public var transformer: FlowLMTransformerConfig
    public var lookupTable: LookupTableConfig
    public var weightsPath: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dtype, flow, transformer
        case lookupTable = "lookup_table"
        case weightsPath = "weights_path"
    }

    public init(
        dtype: String, flow: FlowConfig, transformer: FlowLMTransformerConfig, lookupTable: LookupTableConfig,
        weightsPath: String? = nil
    ) {
        self.dtype = dtype
        self.flow = flow
        self.transformer = transformer
        self.lookupTable = lookupTable
        self.weightsPath = weightsPath
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dtype = try container.decode(String.self, forKey: .dtype)
        flow = try container.decode(FlowConfig.self, forKey: .flow)
        transformer = try container.decode(FlowLMTransformerConfig.self, forKey: .transformer)
        lookupTable = try container.decode(LookupTableConfig.self, forKey: .lookupTable)
        weightsPath = try container.decodeIfPresent(String.self, forKey: .weightsPath)
    }
}

/// `flow_lm.flow:` the flow head (SimpleMLPAdaLN) width and residual block count.
public struct FlowConfig: Codable, Sendable, Equatable {
    public var dimension: Int
    public var depth: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension = "dim"
        case depth
    }

    public init(dimension: Int, depth: Int) {
        self.dimension = dimension
        self.depth = depth
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        depth = try container.decode(Int.self, forKey: .depth)
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenScale = "hidden_scale"
        case maxPeriod = "max_period"
        case modelDimension = "d_model"
        case headCount = "num_heads"
        case layerCount = "num_layers"
    }

    public init(hiddenScale: Int, maxPeriod: Int, modelDimension: Int, headCount: Int, layerCount: Int) {
        self.hiddenScale = hiddenScale
        self.maxPeriod = maxPeriod
        self.modelDimension = modelDimension
        self.headCount = headCount
        self.layerCount = layerCount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        hiddenScale = try container.decode(Int.self, forKey: .hiddenScale)
        maxPeriod = try container.decode(Int.self, forKey: .maxPeriod)
        modelDimension = try container.decode(Int.self, forKey: .modelDimension)
        headCount = try container.decode(Int.self, forKey: .headCount)
        layerCount = try container.decode(Int.self, forKey: .layerCount)
    }
}

/// `flow_lm.lookup_table:` the text conditioner (embedding table of `binCount + 1` rows).
public struct LookupTableConfig: Codable, Sendable, Equatable {
    public var dimension: Int
    public var binCount: Int
    public var tokenizer: String
    public var tokenizerPath: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dimension = "dim"
        case binCount = "n_bins"
        case tokenizer
        case tokenizerPath = "tokenizer_path"
    }

    public init(dimension: Int, binCount: Int, tokenizer: String, tokenizerPath: String) {
        self.dimension = dimension
        self.binCount = binCount
        self.tokenizer = tokenizer
        self.tokenizerPath = tokenizerPath
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dimension = try container.decode(Int.self, forKey: .dimension)
        binCount = try container.decode(Int.self, forKey: .binCount)
        tokenizer = try container.decode(String.self, forKey: .tokenizer)
        tokenizerPath = try container.decode(String.self, forKey: .tokenizerPath)
    }
}
