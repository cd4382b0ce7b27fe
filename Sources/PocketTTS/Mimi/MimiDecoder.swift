// MimiDecoder: latent frames to audio, streaming. Mirrors TTSModel._decode_audio_worker:
// quantizer(latent) → MimiModel.decode_from_latent (upsample → decoder_transformer → SEANet
// decoder) → increment_steps(mimi, 16), one call per latent frame.
import Kernels

/// Streaming Mimi decoder: each step takes T latent frames (already de-normalised, see
/// `LatentNormalization`) and returns T · `frameLength` audio samples (1920 at 24 kHz).
/// The reference decodes frame by frame with a fresh `init_states(mimi, 1, context)` per text
/// chunk: here `makeState()`; stepping several frames at once gives the same result.
public struct MimiDecoder: StreamingModule {
    public let outputProjection: Linear  // quantizer.output_proj.weight [C, latentDim, 1] (1×1 conv, no bias)
    public let upsample: StreamingConvTranspose1d  // upsample.convtr.convtr.weight [C, 1, 2·stride] (depthwise, no bias)
    public let transformer: MimiTransformer  // decoder_transformer.
    public let seanet: SEANetDecoder  // decoder.

    public struct State: Sendable {
        var upsample: StreamingConvTranspose1d.State
        var transformer: MimiTransformer.State
        var seanet: SEANetDecoder.State
        var projected: [Float] = []  // scratch [C, T]: quantizer output
        var upsampled: [Float] = []  // scratch [C, stride·T]
        var timeMajor: [Float] = []  // scratch [stride·T, C]: transformer input
        var transformed: [Float] = []  // scratch [stride·T, C]: transformer output
        /// Latent frames decoded so far.
        public internal(set) var frameCount = 0
    }

    public init(
        outputProjection: Linear, upsample: StreamingConvTranspose1d, transformer: MimiTransformer, seanet: SEANetDecoder
    ) {
        precondition(outputProjection.outFeatures == upsample.inChannels, "MimiDecoder: quantizer/upsample channels")
        precondition(upsample.outChannels == transformer.inputDimension, "MimiDecoder: upsample/transformer channels")
        precondition(transformer.outputDimension == seanet.inputChannels, "MimiDecoder: transformer/SEANet channels")
        self.outputProjection = outputProjection
        self.upsample = upsample
        self.transformer = transformer
        self.seanet = seanet
    }

    /// Latent values per frame (32).
    public var latentDimension: Int { outputProjection.inFeatures }
    /// Audio channels (1).
    public var channels: Int { seanet.outputChannels }
    /// Transformer steps per latent frame (16): the upsampling stride.
    public var stepsPerFrame: Int { upsample.stride }
    /// Audio samples per latent frame per channel (1920).
    public var frameLength: Int { stepsPerFrame * seanet.hopLength }

    /// Most frames decoded in one internal call.
    static let framesPerCall = 2

    /// A fresh stream as in the reference (ring-buffer KV cache of `context` slots).
    public func makeState() -> State { makeState(capacity: transformer.context) }

    /// A fresh stream whose transformer ring holds `capacity` slots (the reference: context).
    public func makeState(capacity: Int) -> State {
        State(upsample: upsample.makeState(), transformer: transformer.makeState(capacity: capacity),
              seanet: seanet.makeState())
    }

    /// audio[channels, T·frameLength] from latents[T, latentDim] (de-normalised), streaming.
    /// Allocation-free once the scratch has grown to this T.
    public func forward(
        latents: UnsafePointer<Float>, frames T: Int, into audio: UnsafeMutablePointer<Float>, state: inout State
    ) {
        precondition(T > 0, "MimiDecoder: no frames")
        // Long inputs go through in calls of a few frames: streaming is exact, and small
        // activations stay in cache (one call of 50 frames is slower per frame than 50 calls).
        if T > Self.framesPerCall {
            precondition(channels == 1, "MimiDecoder: chunked decoding writes mono audio")
            var f = 0
            while f < T {
                let n = min(Self.framesPerCall, T - f)
                forward(latents: latents + f * latentDimension, frames: n, into: audio + f * frameLength,
                        state: &state)
                f += n
            }
            return
        }
        let C = upsample.inChannels
        let D = transformer.outputDimension
        let steps = stepsPerFrame * T
        state.projected.reserveScratch(C * T)
        state.upsampled.reserveScratch(max(upsample.outChannels, D) * steps)
        state.timeMajor.reserveScratch(steps * upsample.outChannels)
        state.transformed.reserveScratch(steps * D)
        withPointers(&state.projected, &state.upsampled) { projected, upsampled in
            // quantizer.output_proj: projected[C, T] = W[C, latentDim] · latentsᵀ
            outputProjection.weight.withUnsafeBufferPointer { w in
                BLAS.sgemm(transposeB: true, m: C, n: T, k: latentDimension, a: w.baseAddress!, lda: latentDimension,
                           b: latents, ldb: latentDimension, c: projected, ldc: T)
            }
            // _to_encoder_framerate: upsampled[C, 16T]
            upsample.forward(projected, length: T, into: upsampled, state: &state.upsample)
            withPointers(&state.timeMajor, &state.transformed) { timeMajor, transformed in
                // decoder_transformer on [16T, C], one ring update per frame (one reference call).
                transpose(upsampled, rows: upsample.outChannels, columns: steps, into: timeMajor)
                transformer.forward(timeMajor, rows: steps, into: transformed, state: &state.transformer,
                                    chunkLength: stepsPerFrame)
                transpose(transformed, rows: steps, columns: D, into: upsampled)
            }
            seanet.forward(upsampled, length: steps, into: audio, state: &state.seanet)
        }
        state.frameCount += T
    }

    /// [T, latentDim] (de-normalised latents) -> [channels, T·frameLength] audio, streaming.
    public func step(_ latents: Tensor, state: inout State) -> Tensor {
        precondition(latents.rank == 2 && latents.shape[1] == latentDimension,
                     "MimiDecoder: latents \(latents.shape), expected [T, \(latentDimension)]")
        let T = latents.shape[0]
        var audio = Tensor.zeros([channels, T * frameLength])
        if T == 0 { return audio }
        latents.data.withUnsafeBufferPointer { x in
            audio.data.withUnsafeMutableBufferPointer { y in
                forward(latents: x.baseAddress!, frames: T, into: y.baseAddress!, state: &state)
            }
        }
        return audio
    }

    /// Decodes a whole sequence [T, latentDim] from a fresh state: equal to stepping frame by frame.
    public func decode(frames latents: Tensor) -> Tensor {
        var state = makeState()
        return step(latents, state: &state)
    }
}
