/// Options of one generation (the reference's `TTSModel` settings and `generate` flags).
public struct GenerationOptions: Sendable, Equatable {
    /// `TTSModel._MIN_FRAMES_BEFORE_EOS` of pocket-tts 4.0.1.
    public static let referenceMinFramesBeforeEOS = 6

    /// temperature, LSD steps, noise clamp, EOS threshold.
    public var sampling: FlowLMSampling
    /// Frames generated after EOS fires; nil = the chunk's (`TextChunk.framesAfterEOS`: the
    /// config's recommendation, else the reference's guess, 3 or 5).
    public var framesAfterEOS: Int?
    /// EOS is ignored on a chunk's first frames (4.0.1's `_MIN_FRAMES_BEFORE_EOS`, 6: before
    /// speech starts, the EOS logit of some voices crosses the threshold). 0 = 1.1.1's loop.
    public var minFramesBeforeEOS: Int
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
        minFramesBeforeEOS: Int = referenceMinFramesBeforeEOS,
        maxTokens: Int = TextChunk.defaultMaxTokens, tokenCap: Int? = nil, maxFrames: Int? = nil, seed: UInt64 = 0
    ) {
        self.sampling = sampling
        self.framesAfterEOS = framesAfterEOS
        self.minFramesBeforeEOS = minFramesBeforeEOS
        self.maxTokens = maxTokens
        self.tokenCap = tokenCap
        self.maxFrames = maxFrames
        self.seed = seed
    }

    /// Throws `.invalidOption` for a non-positive max tokens / max frames / noise clamp or
    /// negative frames after EOS / min frames before EOS.
    public func validate() throws(TTSModelError) {
        guard maxTokens > 0 else { throw .invalidOption("max tokens must be positive, got \(maxTokens)") }
        if let c = tokenCap, c <= 0 { throw .invalidOption("token cap must be positive, got \(c)") }
        if let f = framesAfterEOS, f < 0 { throw .invalidOption("frames after EOS must be >= 0, got \(f)") }
        guard minFramesBeforeEOS >= 0 else {
            throw .invalidOption("min frames before EOS must be >= 0, got \(minFramesBeforeEOS)")
        }
        if let m = maxFrames, m <= 0 { throw .invalidOption("max frames must be positive, got \(m)") }
        if let c = sampling.noiseClamp, !(c > 0) { throw .invalidOption("noise clamp must be positive, got \(c)") }
    }
}
