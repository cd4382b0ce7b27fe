// The text side of `TTSModel.generate_audio_stream` (pocket_tts/models/tts_model.py):
// `prepare_text_prompt`, `split_into_best_sentences`, `_estimate_max_gen_len`, and the chunks
// the model is prompted with. Python string semantics (code points, `isspace`, `upper`, ...)
// come from `PythonText`.
//
// What the reference really does per chunk (1.1.1): it splits the *prepared* text (padding
// stripped again) into chunks, then for each chunk calls `prepare_text_prompt(chunk)` only for
// the frames-after-EOS guess and tokenizes the chunk text itself, unprepared: a short chunk is
// not padded with spaces, a lowercase one not capitalized.

/// Errors of the text pipeline.
public enum TextError: Error, Equatable, CustomStringConvertible {
    /// The text is empty or only whitespace (Python's `str.isspace`), where the reference
    /// raises `ValueError("Text prompt cannot be empty")`.
    case empty

    public var description: String {
        switch self {
        case .empty: "text prompt cannot be empty (or whitespace only)"
        }
    }
}

/// `prepare_text_prompt(text)`: strips the text; turns "\n" then "\r" into spaces and replaces
/// "  " by " " (one pass); upper-cases the first code point unless it is upper case; appends "."
/// when the last code point is a letter or digit; prefixes 8 spaces when under 5 words.
/// The guess of frames to generate after EOS is 3 for at most 4 words, else 1 (the reference
/// counts words after the newline replacement, before the other changes).
/// Throws `.empty` for an empty or whitespace-only text.
public func prepareTextPrompt(_ text: String) throws(TextError) -> (text: String, framesAfterEOSGuess: Int) {
    var scalars = PythonText.strip(text.codePoints)
    if scalars.isEmpty { throw .empty }
    scalars = PythonText.replace(scalars, ["\n"], with: [" "])
    scalars = PythonText.replace(scalars, ["\r"], with: [" "])
    scalars = PythonText.replace(scalars, [" ", " "], with: [" "])
    let framesAfterEOSGuess = PythonText.split(scalars).count <= 4 ? 3 : 1

    if !PythonText.isUpper(scalars[0]) {
        scalars.replaceSubrange(0..<1, with: PythonText.upper(scalars[0]))
    }
    if let last = scalars.last, PythonText.isAlnum(last) {
        scalars.append(".")
    }
    if PythonText.split(scalars).count < 5 {
        scalars.insert(contentsOf: Array(repeating: " ", count: 8), at: 0)
    }
    return (String(codePoints: scalars), framesAfterEOSGuess)
}

/// `split_into_best_sentences(tokenizer, text, max_tokens)`: prepares and re-strips the text,
/// tokenizes it, cuts it after every run of end-of-sentence tokens (the ids of ".!...?" but its
/// first), decodes each sentence, and packs consecutive sentences (joined by " ") into chunks
/// of at most `maxTokens` tokens; a sentence longer than that is a chunk of its own. Chunks are
/// stripped. A text that tokenizes to nothing (e.g. "\u{200B}" with some models) gives no chunk.
/// Throws `.empty` for an empty or whitespace-only text.
public func splitIntoBestSentences(
    _ text: String, tokenizer: Tokenizer, maxTokens: Int
) throws(TextError) -> [String] {
    let prepared = PythonText.strip(try prepareTextPrompt(text).text.codePoints)
    let tokens = tokenizer.encode(String(codePoints: prepared))  // [T]
    let endOfSentenceTokens = Set(tokenizer.encode(".!...?").dropFirst())

    // Sentence boundaries: 0, every index right after a run of end-of-sentence tokens, T.
    var boundaries = [0]
    var previousWasEndOfSentence = false
    for (index, token) in tokens.enumerated() {
        if endOfSentenceTokens.contains(token) {
            previousWasEndOfSentence = true
        } else {
            if previousWasEndOfSentence { boundaries.append(index) }
            previousWasEndOfSentence = false
        }
    }
    boundaries.append(tokens.count)

    var chunks: [String] = []
    var currentChunk: [Unicode.Scalar] = []
    var currentTokenCount = 0
    for (start, end) in zip(boundaries, boundaries.dropFirst()) {
        let sentence = tokenizer.decode(Array(tokens[start..<end])).codePoints
        let tokenCount = end - start
        if currentChunk.isEmpty {
            currentChunk = sentence
            currentTokenCount = tokenCount
        } else if currentTokenCount + tokenCount > maxTokens {
            chunks.append(String(codePoints: PythonText.strip(currentChunk)))
            currentChunk = sentence
            currentTokenCount = tokenCount
        } else {
            currentChunk += [" "] + sentence
            currentTokenCount += tokenCount
        }
    }
    if !currentChunk.isEmpty {
        chunks.append(String(codePoints: PythonText.strip(currentChunk)))
    }
    return chunks
}

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

    /// The chunk text, as split (tokenized as is, not prepared again).
    public let text: String
    /// The token ids the model is prompted with: `tokenizer.encode(text)`.
    public let tokens: [Int]  // [T]
    /// Frames generated after EOS unless the caller gives its own: `prepare_text_prompt(text)`'s
    /// guess + 2, so 5 for a chunk of at most 4 words, else 3.
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

    /// The chunks `generate_audio_stream(text, max_tokens=maxTokens)` generates, in order, with
    /// the config's latent `frameRate` (12.5 Hz for b6369a24). Empty when the text tokenizes
    /// to nothing. Throws `.empty` for an empty or whitespace-only text (or, as the reference
    /// would, for a chunk that strips to nothing).
    ///
    /// `tokenCap`, when given, is a hard cap: the reference's chunks within it are kept exactly;
    /// one above it (a sentence longer than the cap: the reference keeps it whole) is split by
    /// `TokenCap.split` at clause, then word, then character boundaries into pieces of about
    /// equal size, each within the cap.
    public static func chunks(
        for text: String, tokenizer: Tokenizer, maxTokens: Int = defaultMaxTokens, tokenCap: Int? = nil,
        frameRate: Double
    ) throws(TextError) -> [TextChunk] {
        var texts = try splitIntoBestSentences(text, tokenizer: tokenizer, maxTokens: maxTokens)
        if let tokenCap {
            texts = texts.flatMap { chunk in
                tokenizer.tokenCount(chunk) <= tokenCap
                    ? [chunk] : TokenCap.split(Array(chunk.unicodeScalars)[...], cap: tokenCap, counter: tokenizer)
            }
        }
        return try texts.map {
            (chunkText: String) throws(TextError) -> TextChunk in
            let guess = try prepareTextPrompt(chunkText).framesAfterEOSGuess
            let tokens = tokenizer.encode(chunkText)
            return TextChunk(
                text: chunkText, tokens: tokens, framesAfterEOS: guess + 2,
                maxGenerationFrames: maxGenerationFrames(tokenCount: tokens.count, frameRate: frameRate))
        }
    }
}
