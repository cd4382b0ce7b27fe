// Mimi: the audio codec of Pocket TTS (pocket_tts/models/mimi.py `MimiModel`) and its errors.

/// Errors of the Mimi codec.
public enum MimiError: Error, Equatable, CustomStringConvertible {
    /// The configuration describes a model this port does not build.
    case unsupportedConfig(String)
    /// `encode` was given no samples.
    case emptyAudio

    public var description: String {
        switch self {
        case .unsupportedConfig(let why): "mimi: unsupported configuration: \(why)"
        case .emptyAudio: "mimi: cannot encode empty audio"
        }
    }
}

/// The Mimi codec: weights only, shared by every stream.
public struct Mimi: Sendable {
    public let config: MimiConfig  // the `mimi:` section of the model yaml
    public let encoder: MimiEncoder
    public let decoder: MimiDecoder

    public init(config: MimiConfig, encoder: MimiEncoder, decoder: MimiDecoder) {
        self.config = config
        self.encoder = encoder
        self.decoder = decoder
    }
}

extension MimiConfig {
    /// Audio samples per latent frame: sample_rate / frame_rate (1920).
    public var frameLength: Int { Int((Double(sampleRate) / frameRate).rounded()) }

    /// Checks what `MimiModel.__init__` and this port rely on beyond `PocketTTSConfig.validate()`.
    public func checkSupportedByMimi() throws(MimiError) {
        let t = transformer
        guard channels == 1, seanet.channels == 1 else { throw .unsupportedConfig("only mono (channels = 1)") }
        guard ["constant", "replicate"].contains(seanet.padMode) else {
            throw .unsupportedConfig("pad_mode must be constant or replicate, got \(seanet.padMode)")
        }
        guard hopLength > 0, frameRate > 0, Double(frameLength) == Double(sampleRate) / frameRate,
              frameLength == hopLength * resampleStride, resampleStride > 1
        else {
            throw .unsupportedConfig("sample_rate / frame_rate must be a multiple (> 1) of the SEANet hop \(hopLength)")
        }
        guard t.outputDimensions.count == 1 else {
            throw .unsupportedConfig("exactly one transformer output dimension, got \(t.outputDimensions)")
        }
        guard t.headCount > 0, t.modelDimension % t.headCount == 0, (t.modelDimension / t.headCount) % 2 == 0 else {
            throw .unsupportedConfig("d_model must split into heads of even size")
        }
        guard t.inputDimension == seanet.dimension, t.outputDimensions[0] == seanet.dimension,
              quantizer.outputDimension == seanet.dimension
        else {
            throw .unsupportedConfig("transformer input/output and quantizer output must equal seanet.dimension")
        }
        guard resampleStride <= t.context else {
            throw .unsupportedConfig("context must hold at least one frame of \(resampleStride) steps")
        }
        guard seanet.compress > 0, seanet.filterCount / seanet.compress > 0, seanet.residualLayerCount >= 0 else {
            throw .unsupportedConfig("compress must be in 1...n_filters")
        }
    }
}
