import Foundation
import Kernels
import Yams

/// The model config file (`Configs/b6369a24.yaml`), same schema as the reference's
/// `pocket_tts/utils/config.py` (`Config`): unknown keys are errors, optional weights paths.
public struct PocketTTSConfig: Codable, Sendable, Equatable {
    public var flowLM: FlowLMConfig
    public var mimi: MimiConfig
    /// `hf://` URL or path of the full weights file.
    public var weightsPath: String?
    public var weightsPathWithoutVoiceCloning: String?
    /// How text is prepared for this model (4.0.1's `prepare_text_prompt` options).
    public var text: TextOptions
    /// `model_recommended_frames_after_eos`: frames after EOS when the caller gives none
    /// (nil: the per-chunk guess, 3 for ≤ 4 words else 1, plus 2).
    public var recommendedFramesAfterEOS: Int?
    /// `default_temperature` (0.3): the sampling temperature when the caller gives none.
    public var defaultTemperature: Double
    /// `default_eos_threshold` (-4.0): the EOS threshold when the caller gives none.
    public var defaultEOSThreshold: Double
    /// The GELU of both transformers' feed-forward. Not a YAML key: pocket-tts 4.0.1 (every
    /// config it ships, `english_2026-01` included) uses the tanh form; 1.1.1 used the exact erf
    /// form, which `PocketTTSConfig.b6369a24()` (the 1.1.1 config) keeps for the 1.1.1 parity checks.
    public var geluApproximation: GELUApproximation = .tanh
    /// Whether a voice prompt's audio is trimmed to end on a pause before it is encoded
    /// (`end_on_pause`: `AudioFades.endOnPause`). Not a YAML key: 4.0.1 does it for every config;
    /// 1.1.1 did not, which `PocketTTSConfig.b6369a24()` keeps for the 1.1.1 parity checks.
    public var endsVoicePromptOnPause = true

    public static let referenceDefaultTemperature = 0.3
    public static let referenceDefaultEOSThreshold = -4.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case flowLM = "flow_lm"
        case mimi
        case weightsPath = "weights_path"
        case weightsPathWithoutVoiceCloning = "weights_path_without_voice_cloning"
        case padWithSpacesForShortInputs = "pad_with_spaces_for_short_inputs"
        case removeSemicolons = "remove_semicolons"
        case appendTerminalPunctuation = "append_terminal_punctuation"
        case capitalizeFirstLetter = "capitalize_first_letter"
        case replaceCharacters = "replace_characters"
        case recommendedFramesAfterEOS = "model_recommended_frames_after_eos"
        case defaultTemperature = "default_temperature"
        case defaultEOSThreshold = "default_eos_threshold"
    }

    public init(
        flowLM: FlowLMConfig, mimi: MimiConfig, weightsPath: String? = nil, weightsPathWithoutVoiceCloning: String? = nil,
        text: TextOptions = TextOptions(), recommendedFramesAfterEOS: Int? = nil,
        defaultTemperature: Double = referenceDefaultTemperature, defaultEOSThreshold: Double = referenceDefaultEOSThreshold
    ) {
        self.flowLM = flowLM
        self.mimi = mimi
        self.weightsPath = weightsPath
        self.weightsPathWithoutVoiceCloning = weightsPathWithoutVoiceCloning
        self.text = text
        self.recommendedFramesAfterEOS = recommendedFramesAfterEOS
        self.defaultTemperature = defaultTemperature
        self.defaultEOSThreshold = defaultEOSThreshold
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        flowLM = try container.decode(FlowLMConfig.self, forKey: .flowLM)
        mimi = try container.decode(MimiConfig.self, forKey: .mimi)
        weightsPath = try container.decodeIfPresent(String.self, forKey: .weightsPath)
        weightsPathWithoutVoiceCloning = try container.decodeIfPresent(String.self, forKey: .weightsPathWithoutVoiceCloning)
        let defaults = TextOptions()
        text = TextOptions(
            padWithSpacesForShortInputs: try container.decodeIfPresent(Bool.self, forKey: .padWithSpacesForShortInputs)
                ?? defaults.padWithSpacesForShortInputs,
            removeSemicolons: try container.decodeIfPresent(Bool.self, forKey: .removeSemicolons) ?? defaults.removeSemicolons,
            appendTerminalPunctuation: try container.decodeIfPresent(Bool.self, forKey: .appendTerminalPunctuation)
                ?? defaults.appendTerminalPunctuation,
            capitalizeFirstLetter: try container.decodeIfPresent(Bool.self, forKey: .capitalizeFirstLetter)
                ?? defaults.capitalizeFirstLetter,
            replaceCharacters: try container.decodeIfPresent([String: String].self, forKey: .replaceCharacters) ?? [:])
        recommendedFramesAfterEOS = try container.decodeIfPresent(Int.self, forKey: .recommendedFramesAfterEOS)
        defaultTemperature = try container.decodeIfPresent(Double.self, forKey: .defaultTemperature)
            ?? Self.referenceDefaultTemperature
        defaultEOSThreshold = try container.decodeIfPresent(Double.self, forKey: .defaultEOSThreshold)
            ?? Self.referenceDefaultEOSThreshold
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(flowLM, forKey: .flowLM)
        try container.encode(mimi, forKey: .mimi)
        try container.encodeIfPresent(weightsPath, forKey: .weightsPath)
        try container.encodeIfPresent(weightsPathWithoutVoiceCloning, forKey: .weightsPathWithoutVoiceCloning)
        try container.encode(text.padWithSpacesForShortInputs, forKey: .padWithSpacesForShortInputs)
        try container.encode(text.removeSemicolons, forKey: .removeSemicolons)
        try container.encode(text.appendTerminalPunctuation, forKey: .appendTerminalPunctuation)
        try container.encode(text.capitalizeFirstLetter, forKey: .capitalizeFirstLetter)
        try container.encode(text.replaceCharacters, forKey: .replaceCharacters)
        try container.encodeIfPresent(recommendedFramesAfterEOS, forKey: .recommendedFramesAfterEOS)
        try container.encode(defaultTemperature, forKey: .defaultTemperature)
        try container.encode(defaultEOSThreshold, forKey: .defaultEOSThreshold)
    }

    /// Parses and validates a config from YAML text.
    public init(yaml: String) throws {
        do {
            self = try YAMLDecoder().decode(PocketTTSConfig.self, from: yaml)
        } catch let error as ConfigError {
            throw error
        } catch let error as DecodingError {
            throw ConfigError.from(error)
        } catch {
            throw ConfigError.invalidYAML(reason: "\(error)")
        }
        try validate()
    }

    /// Reads, parses and validates a config file.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ConfigError.fileNotFound(path: url.path)
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError.unreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
        try self.init(yaml: text)
    }

    /// Checks the values the model's tensor shapes are built from.
    public func validate() throws {
        func positive(_ value: Int, _ path: String) throws {
            if value <= 0 { throw ConfigError.invalidValue(path: path, reason: "must be positive, got \(value)") }
        }
        func divides(_ heads: Int, _ model: Int, _ path: String) throws {
            if model % heads != 0 {
                throw ConfigError.invalidValue(path: path, reason: "\(heads) heads do not divide d_model \(model)")
            }
        }
        let flow = flowLM
        try positive(flow.flow.dimension, "flow_lm.flow.dim")
        try positive(flow.flow.depth, "flow_lm.flow.depth")
        try positive(flow.transformer.modelDimension, "flow_lm.transformer.d_model")
        try positive(flow.transformer.headCount, "flow_lm.transformer.num_heads")
        try positive(flow.transformer.layerCount, "flow_lm.transformer.num_layers")
        try positive(flow.transformer.hiddenScale, "flow_lm.transformer.hidden_scale")
        let attention = flow.transformer.effectiveAttentionDimension
        try positive(attention, "flow_lm.transformer.attn_dim")
        try divides(flow.transformer.headCount, attention, "flow_lm.transformer.num_heads")
        let kvHeads = flow.transformer.effectiveKeyValueHeadCount
        try positive(kvHeads, "flow_lm.transformer.num_kv_heads")
        if flow.transformer.headCount % kvHeads != 0 {
            throw ConfigError.invalidValue(
                path: "flow_lm.transformer.num_kv_heads",
                reason: "\(kvHeads) key/value heads do not divide num_heads \(flow.transformer.headCount)")
        }
        try positive(flow.transformer.effectiveFeedForwardDimension, "flow_lm.transformer.dim_feedforward")
        try positive(flow.lookupTable.dimension, "flow_lm.lookup_table.dim")
        try positive(flow.lookupTable.binCount, "flow_lm.lookup_table.n_bins")
        if let rank = flow.lookupTable.rank { try positive(rank, "flow_lm.lookup_table.rank") }
        if let z = flow.zDimension { try positive(z, "flow_lm.z_dim") }
        if let inner = mimi.innerDimension { try positive(inner, "mimi.inner_dim") }
        if let outer = mimi.outerDimension { try positive(outer, "mimi.outer_dim") }
        try validate(seanet: mimi.seanet, path: "mimi.seanet")
        if let decoder = mimi.decoderSEANet { try validate(seanet: decoder, path: "mimi.decoder_seanet") }
        try validate(transformer: mimi.transformer, path: "mimi.transformer")
        if let decoder = mimi.decoderTransformer { try validate(transformer: decoder, path: "mimi.decoder_transformer") }
        try positive(mimi.quantizer.dimension, "mimi.quantizer.dimension")
        try positive(mimi.quantizer.outputDimension, "mimi.quantizer.output_dimension")
        try positive(mimi.sampleRate, "mimi.sample_rate")
        if !(mimi.frameRate > 0) {
            throw ConfigError.invalidValue(path: "mimi.frame_rate", reason: "must be positive, got \(mimi.frameRate)")
        }
        // The reference asserts the encoder rate is an integer multiple of the frame rate.
        let ratio = Double(mimi.sampleRate) / Double(mimi.hopLength) / mimi.frameRate
        if ratio < 1 || ratio != ratio.rounded() {
            throw ConfigError.invalidValue(
                path: "mimi.frame_rate",
                reason: "encoder frame rate \(Double(mimi.sampleRate) / Double(mimi.hopLength)) is not an integer multiple of \(mimi.frameRate)")
        }
        // `str.maketrans` takes single characters as keys (a longer one raises ValueError).
        for key in text.replaceCharacters.keys.sorted() where key.unicodeScalars.count != 1 {
            throw ConfigError.invalidValue(path: "replace_characters",
                                           reason: "keys must be single characters, got \(key.debugDescription)")
        }
        if let frames = recommendedFramesAfterEOS, frames < 0 {
            throw ConfigError.invalidValue(path: "model_recommended_frames_after_eos", reason: "must not be negative")
        }
        if !(defaultTemperature >= 0) {
            throw ConfigError.invalidValue(path: "default_temperature", reason: "must not be negative")
        }
    }

    /// `invalidValue(path, "must be positive, got N")` unless `value` > 0.
    private static func requirePositive(_ value: Int, at path: String) throws {
        if value <= 0 { throw ConfigError.invalidValue(path: path, reason: "must be positive, got \(value)") }
    }

    private func validate(seanet: SEANetConfig, path: String) throws {
        func positive(_ value: Int, _ key: String) throws { try Self.requirePositive(value, at: path + "." + key) }
        try positive(seanet.dimension, "dimension")
        try positive(seanet.channels, "channels")
        try positive(seanet.filterCount, "n_filters")
        try positive(seanet.kernelSize, "kernel_size")
        try positive(seanet.residualKernelSize, "residual_kernel_size")
        try positive(seanet.lastKernelSize, "last_kernel_size")
        try positive(seanet.compress, "compress")
        if seanet.residualLayerCount < 0 {
            throw ConfigError.invalidValue(path: path + ".n_residual_layers", reason: "must not be negative")
        }
        if seanet.ratios.isEmpty { throw ConfigError.invalidValue(path: path + ".ratios", reason: "must not be empty") }
        for (index, ratio) in seanet.ratios.enumerated() { try positive(ratio, "ratios[\(index)]") }
        if !["constant", "replicate"].contains(seanet.padMode) {
            throw ConfigError.invalidValue(path: path + ".pad_mode", reason: "must be constant or replicate, got \(seanet.padMode)")
        }
    }

    private func validate(transformer: MimiTransformerConfig, path: String) throws {
        func positive(_ value: Int, _ key: String) throws { try Self.requirePositive(value, at: path + "." + key) }
        try positive(transformer.modelDimension, "d_model")
        try positive(transformer.headCount, "num_heads")
        try positive(transformer.layerCount, "num_layers")
        try positive(transformer.feedForwardDimension, "dim_feedforward")
        try positive(transformer.context, "context")
        if transformer.modelDimension % transformer.headCount != 0 {
            throw ConfigError.invalidValue(path: path + ".num_heads", reason: "\(transformer.headCount) heads do not divide d_model \(transformer.modelDimension)")
        }
    }
}
