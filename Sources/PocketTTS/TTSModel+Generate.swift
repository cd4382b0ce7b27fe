import Kernels

/// Options of one generation (the reference's `TTSModel` settings and `generate` flags).
public struct GenerationOptions: Sendable, Equatable {
    /// temperature, LSD steps, noise clamp, EOS threshold.
    public var sampling: FlowLMSampling
    /// Frames generated after EOS fires; nil = the reference's guess per chunk (3 or 5).
    public var framesAfterEOS: Int?
    /// Largest chunk, in tokens (`max_tokens`, 50).
    public var maxTokens: Int
    /// Hard cap on a chunk's tokens: a reference chunk above it (one long sentence) is split
    /// (`TextChunk.chunks(tokenCap:)`). nil: none, exactly the reference.
    public var tokenCap: Int?
    /// Caps the frames of every chunk, replacing `max_gen_len` (fixed-length runs: benchmarks
    /// and checks on random weights, which never emit a reliable EOS). nil = the reference's.
    public var maxFrames: Int?
    /// Seed of the noise generator: the same seed gives the same audio.
    public var seed: UInt64

    public init(
        sampling: FlowLMSampling = FlowLMSampling(), framesAfterEOS: Int? = nil,
        maxTokens: Int = TextChunk.defaultMaxTokens, tokenCap: Int? = nil, maxFrames: Int? = nil, seed: UInt64 = 0
    ) {
        self.sampling = sampling
        self.framesAfterEOS = framesAfterEOS
        self.maxTokens = maxTokens
        self.tokenCap = tokenCap
        self.maxFrames = maxFrames
        self.seed = seed
    }

    /// Throws `.invalidOption` for a non-positive max tokens / max frames / noise clamp or negative frames after EOS.
    public func validate() throws(TTSModelError) {
        guard maxTokens > 0 else { throw .invalidOption("max tokens must be positive, got \(maxTokens)") }
        if let c = tokenCap, c <= 0 { throw .invalidOption("token cap must be positive, got \(c)") }
        if let f = framesAfterEOS, f < 0 { throw .invalidOption("frames after EOS must be >= 0, got \(f)") }
        if let m = maxFrames, m <= 0 { throw .invalidOption("max frames must be positive, got \(m)") }
        if let c = sampling.noiseClamp, !(c > 0) { throw .invalidOption("noise clamp must be positive, got \(c)") }
    }
}

/// One emitted 80 ms frame.
public struct GeneratedFrame: Sendable {
    public var chunk: Int  // index of the text chunk
    public var index: Int  // frame index within the chunk
    public var latent: [Float]  // [ldim] normalised, as FlowLM produced it
    public var eosLogit: Float
    public var audio: [Float]  // [frameLength] at `sampleRate`
}

/// Text to audio, one stream on the calling thread (`TTSModel.generate_audio_stream` without
/// its threads; the engine runs the same steps on producer and consumer threads).
extension TTSModel {
    /// The chunks the generator speaks for `text`, with their tokens (`split_into_best_sentences`).
    public func chunks(for text: String, maxTokens: Int = TextChunk.defaultMaxTokens, tokenCap: Int? = nil) throws -> [TextChunk] {
        try TextChunk.chunks(for: text, tokenizer: tokenizer, maxTokens: maxTokens, tokenCap: tokenCap,
                             frameRate: config.mimi.frameRate)
    }

    /// Generates speech for `text` in the voice `voice`, calling `onFrame` as each frame is decoded.
    /// Per chunk, as the reference: a copy of the voice state, the chunk's tokens as a prompt,
    /// steps from a NaN (BOS) latent until EOS + frames-after-EOS or the length limit, and a fresh
    /// Mimi decoder state.
    public func generate(
        text: String, voice: FlowLM.State, options: GenerationOptions = GenerationOptions(),
        onFrame: (GeneratedFrame) throws -> Void
    ) throws {
        try options.validate()
        var rng = Xoshiro256(seed: options.seed)
        let latentDim = flowLM.dimensions.latentDim
        for (c, chunk) in try chunks(for: text, maxTokens: options.maxTokens, tokenCap: options.tokenCap).enumerated() {
            let maxFrames = options.maxFrames ?? chunk.maxGenerationFrames
            let framesAfterEOS = options.framesAfterEOS ?? chunk.framesAfterEOS
            var state = voice
            state.reserveCapacity(state.length + chunk.tokens.count + maxFrames)
            try flowLM.prompt(textTokens: chunk.tokens, state: &state)
            var decoder = mimi.decoder.makeState()
            var latent = [Float](repeating: .nan, count: latentDim)  // BOS
            var eosStep: Int?
            for i in 0..<maxFrames {
                let step = flowLM.step(latent: latent, state: &state, sampling: options.sampling, using: &rng)
                if step.isEndOfSpeech && eosStep == nil { eosStep = i }
                if let e = eosStep, i >= e + framesAfterEOS { break }
                let input = Tensor(shape: [1, latentDim], data: flowLM.denormalized(step.latent))
                let audio = mimi.decoder.step(input, state: &decoder)
                try onFrame(GeneratedFrame(chunk: c, index: i, latent: step.latent, eosLogit: step.eosLogit, audio: audio.data))
                latent = step.latent
            }
        }
    }

    /// All the audio of `generate`, concatenated.
    public func generateAudio(text: String, voice: FlowLM.State, options: GenerationOptions = GenerationOptions()) throws -> [Float] {
        var audio: [Float] = []
        try generate(text: text, voice: voice, options: options) { audio += $0.audio }
        return audio
    }
}
