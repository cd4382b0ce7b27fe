import Foundation
import Yams

/// The model config file (`Configs/b6369a24.yaml`), same schema as the reference's
/// `pocket_tts/utils/config.py` (`Config`): unknown keys are errors, optional weights paths.
public struct PocketTTSConfig: Codable, Sendable, Equatable {
    public var flowLM: FlowLMConfig
    public var mimi: MimiConfig
    /// `hf://` URL or path of the full weights file.
    public var weightsPath: String?
    public var weightsPathWithoutVoiceCloning: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case flowLM = "flow_lm"
        case mimi
        case weightsPath = "weights_path"
        case weightsPathWithoutVoiceCloning = "weights_path_without_voice_cloning"
    }

    public init(
        flowLM: FlowLMConfig, mimi: MimiConfig, weightsPath: String? = nil, weightsPathWithoutVoiceCloning: String? = nil
    ) {
        self.flowLM = flowLM
        self.mimi = mimi
        self.weightsPath = weightsPath
        self.weightsPathWithoutVoiceCloning = weightsPathWithoutVoiceCloning
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        flowLM = try container.decode(FlowLMConfig.self, forKey: .flowLM)
        mimi = try container.decode(MimiConfig.self, forKey: .mimi)
        weightsPath = try container.decodeIfPresent(String.self, forKey: .weightsPath)
        weightsPathWithoutVoiceCloning = try container.decodeIfPresent(String.self, forKey: .weightsPathWithoutVoiceCloning)
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
        try divides(flow.transformer.headCount, flow.transformer.modelDimension, "flow_lm.transformer.num_heads")
        try positive(flow.lookupTable.dimension, "flow_lm.lookup_table.dim")
        try positive(flow.lookupTable.binCount, "flow_lm.lookup_table.n_bins")
        let seanet = mimi.seanet
        try positive(seanet.dimension, "mimi.seanet.dimension")
        try positive(seanet.channels, "mimi.seanet.channels")
        try positive(seanet.filterCount, "mimi.seanet.n_filters")
        try positive(seanet.kernelSize, "mimi.seanet.kernel_size")
        try positive(seanet.residualKernelSize, "mimi.seanet.residual_kernel_size")
        try positive(seanet.lastKernelSize, "mimi.seanet.last_kernel_size")
        try positive(seanet.compress, "mimi.seanet.compress")
        if seanet.residualLayerCount < 0 {
            throw ConfigError.invalidValue(path: "mimi.seanet.n_residual_layers", reason: "must not be negative")
        }
        if seanet.ratios.isEmpty { throw ConfigError.invalidValue(path: "mimi.seanet.ratios", reason: "must not be empty") }
        for (index, ratio) in seanet.ratios.enumerated() { try positive(ratio, "mimi.seanet.ratios[\(index)]") }
        if !["constant", "replicate"].contains(seanet.padMode) {
            throw ConfigError.invalidValue(path: "mimi.seanet.pad_mode", reason: "must be constant or replicate, got \(seanet.padMode)")
        }
        let transformer = mimi.transformer
        try positive(transformer.modelDimension, "mimi.transformer.d_model")
        try positive(transformer.headCount, "mimi.transformer.num_heads")
        try positive(transformer.layerCount, "mimi.transformer.num_layers")
        try positive(transformer.feedForwardDimension, "mimi.transformer.dim_feedforward")
        try positive(transformer.context, "mimi.transformer.context")
        try divides(transformer.headCount, transformer.modelDimension, "mimi.transformer.num_heads")
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
    }
}
