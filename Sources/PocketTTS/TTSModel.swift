import Foundation
import Kernels

/// Errors of the whole text-to-speech model (loading, voices, generation).
public enum TTSModelError: Error, Equatable, CustomStringConvertible {
    case tokenizerMismatch(vocabularySize: Int, binCount: Int)
    case invalidVoice(path: String, reason: String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .tokenizerMismatch(let v, let n):
            "tokenizer has \(v) pieces but the model's lookup table has n_bins = \(n)"
        case .invalidVoice(let path, let reason): "voice '\(path)': \(reason)"
        case .invalidOption(let why): "invalid option: \(why)"
        }
    }
}

/// Pocket TTS: pocket_tts/models/tts_model.py `TTSModel` (the weights part). Immutable and
/// shared by every stream; streams keep `FlowLM.State` and `MimiDecoder.State` values.
public struct TTSModel: Sendable {
    public let config: PocketTTSConfig
    public let flowLM: FlowLM  // flow_lm.*
    public let mimi: Mimi  // mimi.*
    public let tokenizer: Tokenizer

    /// Builds the model from a checkpoint's tensors (keys as `TTSModel.state_dict()`). Strict:
    /// fails naming any missing, mis-shaped or unused tensor. `precision`: FlowLM's linear
    /// layers (`FlowLM.init`) and of the Mimi decoder's linears and convolutions (`Mimi.init`).
    public init(config: PocketTTSConfig, tensors: [String: Tensor], tokenizer: Tokenizer, precision: Precision = .exact) throws {
        let reader = WeightReader(tensors: tensors)
        try self.init(config: config, weights: reader, tokenizer: tokenizer, precision: precision)
    }

    init(config: PocketTTSConfig, weights: WeightReader, tokenizer: Tokenizer, precision: Precision = .exact) throws {
        try self.init(config: config, flowLMWeights: weights.scoped("flow_lm."), mimiWeights: weights.scoped("mimi."),
                      tokenizer: tokenizer, precision: precision)
    }

    /// Builds the model from two readers whose keys are relative to `flow_lm.` and `mimi.`
    /// (scoped views of one whole-model reader, or two checkpoints: `FlowLM.checkpointWeights`
    /// for `flow_lm.weights_path`, a Mimi reader for `mimi.weights_path`). Strict: fails naming
    /// any missing, mis-shaped or unused tensor of either.
    public init(
        config: PocketTTSConfig, flowLMWeights: WeightReader, mimiWeights: WeightReader, tokenizer: Tokenizer,
        precision: Precision = .exact
    ) throws {
        let dimensions = try FlowLMDimensions(config: config)
        // The reference asserts n_bins == vocab size (SentencePieceTokenizer); a smaller
        // tokenizer is accepted only by `demo` (its ids stay inside the table).
        guard tokenizer.vocabularySize == dimensions.vocabularySize else {
            throw TTSModelError.tokenizerMismatch(
                vocabularySize: tokenizer.vocabularySize, binCount: dimensions.vocabularySize)
        }
        self.config = config
        self.flowLM = try FlowLM(weights: flowLMWeights, dimensions: dimensions, precision: precision)
        self.mimi = try Mimi(config: config.mimi, weights: mimiWeights, geluApproximation: config.geluApproximation,
                             precision: precision)
        self.tokenizer = tokenizer
        try flowLMWeights.finish()
        try mimiWeights.finish()
    }

    /// The model from its parts (no checks: `demo`, and tests assembling fixtures).
    init(config: PocketTTSConfig, flowLM: FlowLM, mimi: Mimi, tokenizer: Tokenizer) {
        self.config = config
        self.flowLM = flowLM
        self.mimi = mimi
        self.tokenizer = tokenizer
    }

    /// Loads a safetensors checkpoint (bf16, f16 or f32; computed in f32). FlowLM's linear
    /// weights stay bfloat16 in memory when the file is bf16 (`keepBFloat16`, the default:
    /// the same values, half the memory traffic); everything else is decoded to f32.
    /// `precision`: the arithmetic of FlowLM's linear layers (`FlowLM.init`), `.exact` by
    /// default; `.int8` quantizes them here, from the values in the file.
    public static func load(
        config: PocketTTSConfig, weightsPath: String, tokenizerPath: String, keepBFloat16: Bool = true,
        precision: Precision = .exact
    ) throws -> TTSModel {
        let tokenizer = try Tokenizer(path: tokenizerPath, configKind: config.flowLM.lookupTable.tokenizer)
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: weightsPath))
        return try TTSModel(config: config, weights: WeightReader(file: file, keepBFloat16: keepBFloat16),
                            tokenizer: tokenizer, precision: precision)
    }

    /// Loads FlowLM and Mimi from separate checkpoints, as the reference does when the config
    /// gives `flow_lm.weights_path` (and then `mimi.weights_path`): the FlowLM file in the
    /// training layout (renamed as 4.0.1's `get_flow_lm_state_dict` does) or with `flow_lm.*` keys;
    /// the Mimi file read by `mimiCheckpointWeights`. `keepBFloat16` and `precision` as in `load`.
    public static func load(
        config: PocketTTSConfig, flowLMWeightsPath: String, mimiWeightsPath: String, tokenizerPath: String,
        keepBFloat16: Bool = true, precision: Precision = .exact
    ) throws -> TTSModel {
        let tokenizer = try Tokenizer(path: tokenizerPath, configKind: config.flowLM.lookupTable.tokenizer)
        let flowLMFile = try SafetensorsFile(contentsOf: URL(fileURLWithPath: flowLMWeightsPath))
        let mimiFile = try SafetensorsFile(contentsOf: URL(fileURLWithPath: mimiWeightsPath))
        return try TTSModel(
            config: config, flowLMWeights: try FlowLM.checkpointWeights(file: flowLMFile, keepBFloat16: keepBFloat16),
            mimiWeights: try mimiCheckpointWeights(file: mimiFile, keepBFloat16: keepBFloat16),
            tokenizer: tokenizer, precision: precision)
    }

    /// A reader over a Mimi checkpoint (`mimi.weights_path`) whose keys are relative to `mimi.`:
    /// this package's layout (`mimi.*` keys), or Mimi's training layout as 4.0.1's
    /// `get_mimi_state_dict` reads it (`MimiCheckpoint`: renames, weight norm folded, skipped keys).
    public static func mimiCheckpointWeights(file: SafetensorsFile, keepBFloat16: Bool = true) throws -> WeightReader {
        WeightReader(tensors: try MimiCheckpoint.tensors(from: file, prefix: ""))
    }

    /// Seeded random weights of the configured architecture (`make-random-weights` values):
    /// the real model's speed and shapes, but the audio is noise. The tokenizer may have fewer
    /// pieces than the table (e.g. the small test tokenizer), never more. `precision` as in `load`.
    public static func demo(config: PocketTTSConfig, seed: UInt64, tokenizer: Tokenizer, precision: Precision = .exact) throws -> TTSModel {
        let bins = config.flowLM.lookupTable.binCount
        guard tokenizer.vocabularySize <= bins else {
            throw TTSModelError.tokenizerMismatch(vocabularySize: tokenizer.vocabularySize, binCount: bins)
        }
        let weights = WeightReader(tensors: RandomWeights.tensors(for: config, seed: seed))
        let dimensions = try FlowLMDimensions(config: config)
        let flowLM = try FlowLM(weights: weights.scoped("flow_lm."), dimensions: dimensions, precision: precision)
        let mimi = try Mimi(config: config.mimi, weights: weights.scoped("mimi."), geluApproximation: config.geluApproximation,
                            precision: precision)
        try weights.finish()
        return TTSModel(config: config, flowLM: flowLM, mimi: mimi, tokenizer: tokenizer)
    }

    /// Audio samples per latent frame (1920).
    public var frameLength: Int { mimi.decoder.frameLength }
    /// Output sample rate (24000).
    public var sampleRate: Int { config.mimi.sampleRate }
}
