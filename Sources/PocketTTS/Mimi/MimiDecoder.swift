// MimiDecoder: latent frames to audio, streaming. Mirrors TTSModel._decode_audio_worker:
// quantizer(latent) → MimiModel.decode_from_latent (upsample → decoder_transformer → SEANet
// decoder) → increment_steps(mimi, 16), one call per latent frame, and the worker's 5 ms fade-in
// on the first audio of a fresh state (pocket-tts 4.0.1).
import Kernels

/// Streaming Mimi decoder: each step takes T latent frames (already de-normalised, see
/// `LatentNormalization`) and returns T · `frameLength` audio samples (1920 at 24 kHz).
/// The reference decodes with a fresh `init_states(mimi, 1, …)` per text chunk: here
/// `makeState()`; stepping several frames at once gives the same result. A fresh
/// state fades its first `fadeInLength` samples in (`torch.linspace(0, 1, sample_rate // 200)`,
/// what 4.0.1's decoding worker does to every chunk's first audio); `makeState(fadingIn: false)`
/// gives `decode_from_latent`'s audio untouched.
public struct MimiDecoder: StreamingModule {
    public let outputProjection: Linear  // quantizer.output_proj.weight [outer, latentDim, 1] (1×1 conv, no bias)
    /// upsample.convtr.convtr.weight [outer, 1, 2·stride]: ConvTranspose1d(outer, C, groups C), no
    /// bias; depthwise when outer == C (every shipped config), else outer / C inputs per channel.
    public let upsample: StreamingConvTranspose1d
    public let transformer: MimiTransformer  // decoder_transformer.
    public let seanet: SEANetDecoder  // decoder.
    /// Samples faded in at the start of a fresh state's audio (0: none).
    public let fadeInLength: Int
    /// Slots of a fresh state's transformer ring (`makeState()`): context + stepsPerFrame − 1
    /// keeps every key the context mask lets through (4.0.1), context is 1.1.1's ring.
    public let ringCapacity: Int
    let fadeIn: [Float]  // [fadeInLength]: linspace(0, 1, fadeInLength)

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
        /// The next call's audio starts with the fade-in (a fresh state that fades in).
        public internal(set) var fadeInPending = false
    }

    public init(
        outputProjection: Linear, upsample: StreamingConvTranspose1d, transformer: MimiTransformer, seanet: SEANetDecoder,
        fadeInLength: Int = 0, ringCapacity: Int? = nil
    ) {
        precondition(outputProjection.outFeatures == upsample.inChannels, "MimiDecoder: quantizer/upsample channels")
        precondition(upsample.outChannels == transformer.inputDimension, "MimiDecoder: upsample/transformer channels")
        precondition(transformer.outputDimension == seanet.inputChannels, "MimiDecoder: transformer/SEANet channels")
        self.outputProjection = outputProjection
        self.upsample = upsample
        self.transformer = transformer
        self.seanet = seanet
        precondition(fadeInLength >= 0, "MimiDecoder: negative fade-in")
        self.fadeInLength = fadeInLength
        self.fadeIn = AudioFades.linspace(0, 1, count: fadeInLength)
        self.ringCapacity = ringCapacity ?? transformer.context + upsample.stride - 1
        precondition(self.ringCapacity >= upsample.stride, "MimiDecoder: a ring smaller than a frame")
    }

    /// Latent values per frame (32).
    public var latentDimension: Int { outputProjection.inFeatures }
    /// Audio channels (1).
    public var channels: Int { seanet.outputChannels }
    /// Transformer steps per latent frame (16): the upsampling stride.
    public var stepsPerFrame: Int { upsample.stride }
    /// Audio samples per latent frame per channel (1920).
    public var frameLength: Int { stepsPerFrame * seanet.hopLength }

    /// The layers (checkpoint prefixes) that multiply in exact f32 although the decoder was built
    /// for a reduced precision (`Mimi.init(…, precision:)` other than `.exact`), because no
    /// reduced kernel takes their shape; empty for an exact decoder. For the caller to log once.
    public var exactFallbackLayers: [String] {
        var reduced = !transformer.isExact
        var exact: [String] = transformer.isExact ? ["decoder_transformer"] : []
        func check(_ name: String, _ packed: Bool) {
            if packed { reduced = true } else { exact.append(name) }
        }
        check("decoder.model.0", seanet.inputConv.panels != nil)
        var index = 1
        for stage in seanet.stages {
            check("decoder.model.\(index + 1)", stage.upsample.panels != nil)
            index += 2
            for block in stage.residuals {
                check("decoder.model.\(index).block.1", block.conv1.panels != nil)
                check("decoder.model.\(index).block.3", block.conv2.panels != nil)
                index += 1
            }
        }
        check("decoder.model.\(index + 1)", seanet.outputConv.panels != nil)
        return reduced ? exact : []
    }

    /// Most frames decoded in one internal call.
    static let framesPerCall = 2

    /// A fresh stream as in the reference (a ring of `ringCapacity` slots), fading its first
    /// audio in unless `fadingIn` is false.
    public func makeState(fadingIn: Bool = true) -> State { makeState(capacity: ringCapacity, fadingIn: fadingIn) }

    /// A fresh stream whose transformer ring holds `capacity` slots (at least a frame's 16).
    public func makeState(capacity: Int) -> State { makeState(capacity: capacity, fadingIn: true) }

    /// A fresh stream whose transformer ring holds `capacity` slots, fading in or not.
    public func makeState(capacity: Int, fadingIn: Bool) -> State {
        var state = State(upsample: upsample.makeState(), transformer: transformer.makeState(capacity: capacity),
                          seanet: seanet.makeState())
        state.fadeInPending = fadingIn && fadeInLength > 0
        return state
    }

    /// `audio_frame[..., :n] *= fade_in[:n]` on a call's audio [channels, length] when the state
    /// is fresh (its first call), then never again.
    func applyFadeIn(_ audio: UnsafeMutablePointer<Float>, length: Int, state: inout State) {
        guard state.fadeInPending else { return }
        state.fadeInPending = false
        let n = min(fadeInLength, length)
        for c in 0..<channels {
            for i in 0..<n { audio[c * length + i] *= fadeIn[i] }
        }
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
        applyFadeIn(audio, length: T * frameLength, state: &state)
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

    /// Decodes a whole sequence [T, latentDim] from a fresh state (faded in unless `fadingIn` is
    /// false): equal to stepping frame by frame.
    public func decode(frames latents: Tensor, fadingIn: Bool = true) -> Tensor {
        var state = makeState(fadingIn: fadingIn)
        return step(latents, state: &state)
    }
}
