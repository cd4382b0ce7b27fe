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

    /// Checks what `MimiModel.__init__` and this port rely on beyond `PocketTTSConfig.validate()`,
    /// for the encoder (`seanet`, `transformer`, `inner_dim`) and the decoder (`decoder_seanet`,
    /// `decoder_transformer`, `outer_dim`, each defaulting to the encoder's).
    public func checkSupportedByMimi() throws(MimiError) {
        let decoderSEANet = effectiveDecoderSEANet
        guard channels == 1, seanet.channels == 1, decoderSEANet.channels == 1 else {
            throw .unsupportedConfig("only mono (channels = 1)")
        }
        for s in [seanet, decoderSEANet] where !["constant", "replicate"].contains(s.padMode) {
            throw .unsupportedConfig("pad_mode must be constant or replicate, got \(s.padMode)")
        }
        guard hopLength > 0, frameRate > 0, Double(frameLength) == Double(sampleRate) / frameRate,
              frameLength == hopLength * resampleStride, resampleStride > 1
        else {
            throw .unsupportedConfig("sample_rate / frame_rate must be a multiple (> 1) of the SEANet hop \(hopLength)")
        }
        guard decoderSEANet.ratios.reduce(1, *) == hopLength else {
            throw .unsupportedConfig("the decoder SEANet's ratios must give the encoder's hop \(hopLength)")
        }
        for (side, t, s) in [("transformer", transformer, seanet), ("decoder_transformer", effectiveDecoderTransformer, decoderSEANet)] {
            guard t.outputDimensions.count == 1 else {
                throw .unsupportedConfig("\(side): exactly one output dimension, got \(t.outputDimensions)")
            }
            guard t.headCount > 0, t.modelDimension % t.headCount == 0, (t.modelDimension / t.headCount) % 2 == 0 else {
                throw .unsupportedConfig("\(side): d_model must split into heads of even size")
            }
            guard t.inputDimension == s.dimension, t.outputDimensions[0] == s.dimension else {
                throw .unsupportedConfig("\(side): input/output dimensions must equal its SEANet dimension \(s.dimension)")
            }
            guard resampleStride <= t.context else {
                throw .unsupportedConfig("\(side): context must hold at least one frame of \(resampleStride) steps")
            }
        }
        // ConvTrUpsample1d: ConvTranspose1d(outer_dim, decoder dimension, groups = decoder dimension).
        guard quantizer.outputDimension == decoderInputDimension, decoderInputDimension % decoderSEANet.dimension == 0 else {
            throw .unsupportedConfig(
                "quantizer.output_dimension (\(quantizer.outputDimension)) must equal outer_dim (\(decoderInputDimension)), "
                    + "a multiple of the decoder dimension \(decoderSEANet.dimension)")
        }
        guard encoderLatentDimension > 0 else { throw .unsupportedConfig("inner_dim must be positive") }
        for s in [seanet, decoderSEANet] {
            guard s.compress > 0, s.filterCount / s.compress > 0, s.residualLayerCount >= 0 else {
                throw .unsupportedConfig("compress must be in 1...n_filters")
            }
        }
    }
}
