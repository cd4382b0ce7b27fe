// MimiEncoder: audio to unquantized latents, MimiModel.encode_to_latent (voice cloning).
// The reference runs it without state: every conv starts from its initial padding and the
// transformer sees the whole sequence from position 0.
import Kernels

/// Mimi encoder: 24 kHz mono audio → SEANet encoder (200 Hz) → encoder transformer →
/// downsample (conv kernel 32, stride 16, replicate padding) → latents [T, dimension] at 12.5 Hz.
public struct MimiEncoder: Sendable {
    public let seanet: SEANetEncoder  // encoder.
    public let transformer: MimiTransformer  // encoder_transformer.
    public let downsample: StreamingConv1d  // downsample.conv.conv.weight [C, C, 2·stride] (no bias, replicate)

    public init(seanet: SEANetEncoder, transformer: MimiTransformer, downsample: StreamingConv1d) {
        precondition(seanet.inputChannels == 1, "MimiEncoder: mono audio only")
        precondition(seanet.outputChannels == transformer.inputDimension, "MimiEncoder: SEANet/transformer channels")
        precondition(transformer.outputDimension == downsample.inChannels, "MimiEncoder: transformer/downsample channels")
        self.seanet = seanet
        self.transformer = transformer
        self.downsample = downsample
    }

    /// Latent channels (512).
    public var dimension: Int { downsample.outChannels }
    /// Audio samples per latent frame (1920).
    public var frameLength: Int { seanet.hopLength * downsample.stride }

    /// Length after `pad_for_conv1d(x, frameLength, frameLength)`: the next multiple of the
    /// frame length (at least one frame for non-empty audio).
    public func paddedLength(sampleCount n: Int) -> Int {
        n == 0 ? 0 : (n + frameLength - 1) / frameLength * frameLength
    }

    /// Latents [T, dimension] for mono audio at 24 kHz, right-padded with zeros to
    /// T = ceil(count / frameLength) frames.
    public func encode(audio: [Float]) throws(MimiError) -> Tensor {
        if audio.isEmpty { throw .emptyAudio }
        let L = paddedLength(sampleCount: audio.count)
        var padded = audio
        padded.append(contentsOf: repeatElement(0, count: L - audio.count))
        // SEANet encoder: [1, L] -> [C, L / hop], one frame per call: streaming is exact and
        // keeps the activations in cache (2× faster than one call on 7 s of audio).
        let steps = L / seanet.hopLength
        let stepsPerFrame = frameLength / seanet.hopLength
        var features = Tensor.zeros([seanet.outputChannels, steps])  // [C, S]
        var chunk = [Float](repeating: 0, count: seanet.outputChannels * stepsPerFrame)
        var seanetState = seanet.makeState()
        padded.withUnsafeBufferPointer { x in
            chunk.withUnsafeMutableBufferPointer { y in
                for f in 0..<L / frameLength {
                    seanet.forward(x.baseAddress! + f * frameLength, length: frameLength, into: y.baseAddress!, state: &seanetState)
                    for c in 0..<seanet.outputChannels {
                        for t in 0..<stepsPerFrame {
                            features.data[c * steps + f * stepsPerFrame + t] = y[c * stepsPerFrame + t]
                        }
                    }
                }
            }
        }
        // encoder_transformer on [S, C], no state
        let transformed = transformer(features.transposed()).transposed()  // [C, S]
        // _to_framerate: downsample with a fresh (replicate-padding) state
        var downsampleState = downsample.makeState()
        let latents = downsample.step(transformed, state: &downsampleState)  // [C, T]
        return latents.transposed()
    }

    /// The speaker projection of `TTSModel._encode_audio`: latents[T, C] · Wᵀ with FlowLM's
    /// `speaker_proj_weight` W [d, C] (no bias) → conditioning [T, d].
    public static func projectToSpeaker(_ latents: Tensor, weight: Tensor) -> Tensor {
        Linear(weight: weight)(latents)
    }
}
