// The chunks `TTSModel.generate_audio_stream` (pocket-tts 4.0.1, models/tts_model.py) generates
// one at a time: `split_into_best_sentences`, then per chunk `prepare_text_prompt(chunk)` again,
// whose text the model is prompted with (`_generate_audio_stream_short_text`), the frames after
// EOS (the config's `model_recommended_frames_after_eos`, else the guess + 2) and the length
// limit (`_estimate_max_gen_len` of its tokens).

/// One chunk of a text as `generate_audio_stream` generates it: the model is prompted with
/// `tokens`, generates at most `maxGenerationFrames` latents, and by default stops
/// `framesAfterEOS` frames after EOS.
public struct TextChunk: Equatable, Sendable {
    /// The reference's default chunk size (`MAX_TOKEN_PER_CHUNK`).
    public static let defaultMaxTokens = 50
    /// The default hard cap on a chunk's tokens (`generate --max-tokens-per-chunk`, the
    /// server's `max_tokens_per_chunk`): twice the reference's chunk size. It bounds a chunk's
    /// KV cache (tokens + `maxGenerationFrames`: 100 + 442 positions).
    public static let defaultTokenCap = 100

    /// The text the model is prompted with: the chunk as split, prepared again with the
    /// config's options (so a short chunk may start with the 8 spaces of padding).
    public let text: String
    /// The token ids the model is prompted with: `tokenizer.encode(text)`.
    public let tokens: [Int]  // [T]
    /// Frames generated after EOS unless the caller gives its own: the config's
    /// `model_recommended_frames_after_eos`, else `prepare_text_prompt`'s guess + 2 (5 for a
    /// chunk of at most 4 words, else 3).
    public let framesAfterEOS: Int
    /// `_estimate_max_gen_len(tokens.count)`: the cap on generated frames.
    public let maxGenerationFrames: Int

    public init(text: String, tokens: [Int], framesAfterEOS: Int, maxGenerationFrames: Int) {
        self.text = text
        self.tokens = tokens
        self.framesAfterEOS = framesAfterEOS
        self.maxGenerationFrames = maxGenerationFrames
    }

    /// `TTSModel._estimate_max_gen_len`: ceil((tokenCount / 3 + 2) · frameRate), in the same
    /// Double arithmetic as the reference.
    public static func maxGenerationFrames(tokenCount: Int, frameRate: Double) -> Int {
        let seconds = Double(tokenCount) / 3.0 + 2.0
        return Int((seconds * frameRate).rounded(.up))
    }

    /// The chunks `generate_audio_stream(text, max_tokens=maxTokens)` generates for a model of
    /// `config` (its text options, frames after EOS and frame rate), in order. Empty when the
    /// text tokenizes to nothing. Throws `.empty` for an empty or whitespace-only text (or, as
    /// the reference would, for a chunk that strips to nothing).
    ///
    /// `tokenCap`, when given, is a hard cap on a chunk's prompt tokens: the reference's chunks
    /// within it are kept exactly; one above it (a sentence with no "," ";" ":" to cut at, which
    /// the reference keeps whole) is split by `TokenCap.split` at clause, then word, then
    /// character boundaries into pieces of about equal size, each prompted within the cap.
    public static func chunks(
        for text: String, tokenizer: Tokenizer, config: PocketTTSConfig, maxTokens: Int = defaultMaxTokens,
        tokenCap: Int? = nil
    ) throws(TextError) -> [TextChunk] {
        try chunks(for: text, tokenizer: tokenizer, options: config.text, maxTokens: maxTokens, tokenCap: tokenCap,
                   frameRate: config.mimi.frameRate, recommendedFramesAfterEOS: config.recommendedFramesAfterEOS)
    }

    /// `chunks(for:tokenizer:config:...)` with the config's parts given one by one.
    public static func chunks(
        for text: String, tokenizer: Tokenizer, options: TextOptions, maxTokens: Int = defaultMaxTokens,
        tokenCap: Int? = nil, frameRate: Double, recommendedFramesAfterEOS: Int? = nil
    ) throws(TextError) -> [TextChunk] {
        let split = try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: maxTokens, options: options)
        func chunk(_ text: String) throws(TextError) -> TextChunk {
            try TextChunk(split: text, tokenizer: tokenizer, options: options, frameRate: frameRate,
                          recommendedFramesAfterEOS: recommendedFramesAfterEOS)
        }
        var chunks: [TextChunk] = []
        for text in split {
            let whole = try chunk(text)
            guard let tokenCap, whole.tokens.count > tokenCap else {
                chunks.append(whole)
                continue
            }
            let counter = PromptTokenCounter(tokenizer: tokenizer, options: options)
            for piece in TokenCap.split(text.codePoints[...], cap: tokenCap, counter: counter) {
                chunks.append(try chunk(piece))
            }
        }
        return chunks
    }

    /// One chunk as `generate_audio_stream`'s loop makes it of a chunk `split` returned:
    /// `prepare_text_prompt(split)` gives the text to prompt with and the guess of frames after EOS.
    init(split: String, tokenizer: Tokenizer, options: TextOptions, frameRate: Double,
         recommendedFramesAfterEOS: Int?) throws(TextError) {
        let (text, guess) = try prepareTextPrompt(split, options: options)
        let tokens = tokenizer.encode(text)
        self.init(text: text, tokens: tokens, framesAfterEOS: recommendedFramesAfterEOS ?? guess + 2,
                  maxGenerationFrames: Self.maxGenerationFrames(tokenCount: tokens.count, frameRate: frameRate))
    }
}
