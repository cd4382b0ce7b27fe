// The text side of pocket-tts 4.0.1 (`pocket_tts/models/text_chunking.py`): `prepare_text_prompt`
// and `split_into_best_sentences`, with the options of the model's config (`TextOptions`).
// Python string semantics (code points, `isspace`, `upper`, `isdigit`, ...) come from `PythonText`.
//
// Where 4.0.1 differs from 1.1.1 (which this file followed before): characters are replaced
// per the config, then whitespace collapsed; a sentence mark followed by "," ";" or ":" keeps
// the mark only; ";" may become ","; the text is made to end a sentence (a trailing "," ":" or
// dash becomes ".", closing quotes and brackets stay after it); padding is per config; a
// period between two digits ("3.5") does not end a sentence; a sentence over `maxTokens` is cut
// at ",", ";" and ":". Per chunk (`TextChunk.chunks`), 4.0.1 prepares each chunk again and
// prompts the model with that text, where 1.1.1 prompted with the chunk as split.

/// Errors of the text pipeline.
public enum TextError: Error, Equatable, CustomStringConvertible {
    /// The text is empty or only whitespace (Python's `str.isspace`), or nothing is left once
    /// the config's characters are deleted, where the reference raises
    /// `ValueError("Text prompt cannot be empty")`.
    case empty

    public var description: String {
        switch self {
        case .empty: "text prompt cannot be empty (or whitespace only)"
        }
    }
}

/// `prepare_text_prompt(text, ...)` with the config's options: strips the text; with
/// `replaceCharacters`, translates it, collapses whitespace runs to one space and drops a
/// "," ";" or ":" after a sentence mark (`([.!?…])\s*[,;:]` → `\1`); turns "\n" then "\r" into
/// spaces and replaces "  " by " " (one pass); ";" → "," if `removeSemicolons`; upper-cases the
/// first code point unless it is upper case (`capitalizeFirstLetter`); makes the text end a
/// sentence (`appendTerminalPunctuation`); prefixes 8 spaces when under 5 words
/// (`padWithSpacesForShortInputs`). The guess of frames to generate after EOS is 3 for at most
/// 4 words, else 1 (counted before capitalization, punctuation and padding).
/// Throws `.empty` for a text that is empty once stripped (and translated).
public func prepareTextPrompt(_ text: String, options: TextOptions) throws(TextError) -> (text: String, framesAfterEOSGuess: Int) {
    var scalars = PythonText.strip(text.codePoints)
    if !options.replaceCharacters.isEmpty {
        let translated = TextRules.translate(scalars, options.replaceCharacters)
        scalars = Array(PythonText.split(translated).joined(separator: [" "]))
        scalars = TextRules.droppingPunctuationAfterSentenceMarks(scalars)
    }
    if scalars.isEmpty { throw .empty }
    scalars = PythonText.replace(scalars, ["\n"], with: [" "])
    scalars = PythonText.replace(scalars, ["\r"], with: [" "])
    scalars = PythonText.replace(scalars, [" ", " "], with: [" "])
    if options.removeSemicolons {
        scalars = scalars.map { $0 == ";" ? "," : $0 }
    }
    let framesAfterEOSGuess = PythonText.split(scalars).count <= 4 ? 3 : 1

    if options.capitalizeFirstLetter && !PythonText.isUpper(scalars[0]) {
        scalars.replaceSubrange(0..<1, with: PythonText.upper(scalars[0]))
    }
    if options.appendTerminalPunctuation {
        scalars = TextRules.ensuringTerminalPunctuation(scalars)
    }
    if options.padWithSpacesForShortInputs && PythonText.split(scalars).count < 5 {
        scalars.insert(contentsOf: Array(repeating: " ", count: 8), at: 0)
    }
    return (String(codePoints: scalars), framesAfterEOSGuess)
}

/// `split_into_best_sentences(tokenizer, text, max_tokens, ...)`: prepares and re-strips the
/// text, tokenizes it, cuts it after every run of end-of-sentence tokens (the ids of ".!...?"
/// but its first) except after a decimal period ("3.5"), decodes each sentence; a sentence of
/// more than `maxTokens` tokens is re-tokenized and cut after its runs of "," ";" ":" tokens
/// (the ids of ",;:" but its first), when that gives more than one piece. Consecutive pieces
/// (joined by " ") are packed into chunks of at most `maxTokens` tokens; a piece longer than
/// that is a chunk of its own. Chunks are stripped. A text that tokenizes to nothing (e.g.
/// "\u{200B}" with some models) gives no chunk. Throws `.empty` as `prepareTextPrompt`.
public func splitIntoBestSentences(
    _ text: String, tokenizer: Tokenizer, maxTokens: Int, options: TextOptions
) throws(TextError) -> [String] {
    let prepared = PythonText.strip(try prepareTextPrompt(text, options: options).text.codePoints)
    let tokens = tokenizer.encode(String(codePoints: prepared))  // [T]
    let endOfSentenceTokens = Set(tokenizer.encode(".!...?").dropFirst())
    let sentenceBoundaries = TextRules.boundaryIndices(tokens, boundaryTokens: endOfSentenceTokens,
                                                       skippingDecimalPeriodsWith: tokenizer)
    let sentences = TextRules.segments(tokens, boundaries: sentenceBoundaries, tokenizer: tokenizer)

    // Oversized sentences are cut at commas, semicolons and colons (4.0.1: words were skipped).
    let fallbackTokens = Set(tokenizer.encode(",;:").dropFirst())
    var pieces: [(tokenCount: Int, text: [Unicode.Scalar])] = []
    for sentence in sentences {
        guard sentence.tokenCount > maxTokens else {
            pieces.append(sentence)
            continue
        }
        let subTokens = tokenizer.encode(String(codePoints: PythonText.strip(sentence.text)))
        let subBoundaries = TextRules.boundaryIndices(subTokens, boundaryTokens: fallbackTokens)
        let subSegments = TextRules.segments(subTokens, boundaries: subBoundaries, tokenizer: tokenizer)
        if subSegments.count > 1 { pieces += subSegments } else { pieces.append(sentence) }
    }

    var chunks: [String] = []
    var currentChunk: [Unicode.Scalar] = []
    var currentTokenCount = 0
    for piece in pieces {
        if currentChunk.isEmpty {
            currentChunk = piece.text
            currentTokenCount = piece.tokenCount
        } else if currentTokenCount + piece.tokenCount > maxTokens {
            chunks.append(String(codePoints: PythonText.strip(currentChunk)))
            currentChunk = piece.text
            currentTokenCount = piece.tokenCount
        } else {
            currentChunk += [" "] + piece.text
            currentTokenCount += piece.tokenCount
        }
    }
    if !currentChunk.isEmpty {
        chunks.append(String(codePoints: PythonText.strip(currentChunk)))
    }
    return chunks
}

/// The rules `prepareTextPrompt` and `splitIntoBestSentences` are made of (text_chunking.py's
/// private helpers).
enum TextRules {
    /// `_TERMINAL_PUNCTUATION`: marks that end a sentence.
    static let terminalPunctuation: Set<Unicode.Scalar> = [".", "!", "?", "\u{2026}"]
    /// `_WEAK_PUNCTUATION`: marks replaced by "." at the end of a text.
    static let weakPunctuation: Set<Unicode.Scalar> = [",", ";", ":", "-", "\u{2013}", "\u{2014}"]
    /// `_CLOSERS`: closing quotes and brackets, kept after the final mark.
    static let closers: Set<Unicode.Scalar> = ["\"", "'", "\u{201D}", "\u{2019}", ")", "]", "\u{00BB}"]

    /// `text.translate(str.maketrans(replacements))`: each code point that is a key becomes its
    /// value ("" deletes it). Keys are single code points (`PocketTTSConfig.validate`).
    static func translate(_ scalars: [Unicode.Scalar], _ replacements: [String: String]) -> [Unicode.Scalar] {
        var table: [Unicode.Scalar: [Unicode.Scalar]] = [:]
        for (key, value) in replacements {
            let keyScalars = key.codePoints
            if keyScalars.count == 1 { table[keyScalars[0]] = value.codePoints }
        }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for scalar in scalars {
            if let replacement = table[scalar] { result += replacement } else { result.append(scalar) }
        }
        return result
    }

    /// `re.sub(r"([.!?\u2026])\s*[,;:]", r"\1", text)`: a sentence mark followed (after any
    /// whitespace) by "," ";" or ":" keeps the mark only ('"Hi?", she said' with its quotes
    /// deleted). Left to right, matches not overlapping, as `re.sub`.
    static func droppingPunctuationAfterSentenceMarks(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            result.append(scalar)
            i += 1
            guard terminalPunctuation.contains(scalar) else { continue }
            var j = i
            while j < scalars.count, PythonText.isSpace(scalars[j]) { j += 1 }
            if j < scalars.count, [",", ";", ":"].contains(scalars[j]) { i = j + 1 }
        }
        return result
    }

    /// `_ensure_terminal_punctuation`: a text ending with ". ! ? …", possibly followed by
    /// closing quotes or brackets (and spaces), is kept; one whose last mark before those is
    /// weak ("," ";" ":" dashes) has its run of weak marks and spaces replaced by "." (closers
    /// kept after it, stripped); anything else gets "." appended at the very end.
    static func ensuringTerminalPunctuation(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var coreEnd = scalars.count  // text.rstrip(_CLOSERS + " ")
        while coreEnd > 0, scalars[coreEnd - 1] == " " || closers.contains(scalars[coreEnd - 1]) { coreEnd -= 1 }
        guard coreEnd > 0, !terminalPunctuation.contains(scalars[coreEnd - 1]) else { return scalars }
        guard weakPunctuation.contains(scalars[coreEnd - 1]) else { return scalars + ["."] }
        var end = coreEnd  // core.rstrip(_WEAK_PUNCTUATION + " ")
        while end > 0, scalars[end - 1] == " " || weakPunctuation.contains(scalars[end - 1]) { end -= 1 }
        return Array(scalars[..<end]) + ["."] + PythonText.strip(Array(scalars[coreEnd...]))
    }

    /// `_find_boundary_indices`: 0, every index right after a run of `boundaryTokens`, and
    /// `tokens.count`. With a tokenizer, a boundary right after a decimal period is skipped
    /// (`skip_decimal_periods`).
    static func boundaryIndices(
        _ tokens: [Int], boundaryTokens: Set<Int>, skippingDecimalPeriodsWith tokenizer: Tokenizer? = nil
    ) -> [Int] {
        var indices = [0]
        var previousWasBoundary = false
        for (index, token) in tokens.enumerated() {
            if boundaryTokens.contains(token) {
                previousWasBoundary = true
            } else {
                if previousWasBoundary {
                    if let tokenizer, isDecimalPeriodBoundary(tokens, at: index, tokenizer: tokenizer) {
                        previousWasBoundary = false
                        continue
                    }
                    indices.append(index)
                }
                previousWasBoundary = false
            }
        }
        indices.append(tokens.count)
        return indices
    }

    /// `_segments_from_boundaries`: the decoded text and token count between consecutive boundaries.
    static func segments(_ tokens: [Int], boundaries: [Int], tokenizer: Tokenizer) -> [(tokenCount: Int, text: [Unicode.Scalar])] {
        zip(boundaries, boundaries.dropFirst()).map { start, end in
            (end - start, tokenizer.decode(Array(tokens[start..<end])).codePoints)
        }
    }

    /// Tokens decoded around a boundary at a time: enough for the code points next to it.
    static let decodeWindow = 8

    /// `_is_decimal_period_boundary`: `decode(tokens[..<index])` ends with a digit and "." and
    /// `decode(tokens[index...])` starts with a digit ("3.5"; also "3. 5": decoding drops the
    /// leading space). Decodes a few tokens on each side, and the whole side only when those
    /// cannot tell (a byte sequence cut by the window, too few code points), so a long text
    /// costs O(tokens), not O(tokens · sentences), with the reference's result.
    static func isDecimalPeriodBoundary(_ tokens: [Int], at index: Int, tokenizer: Tokenizer) -> Bool {
        let replacement: Unicode.Scalar = "\u{FFFD}"
        // The prefix's last two code points.
        let prefixStart = max(0, index - decodeWindow)
        var prefix = tokenizer.decode(Array(tokens[prefixStart..<index])).codePoints
        if prefixStart > 0 && (prefix.count < 3 || prefix.suffix(2).contains(replacement)) {
            prefix = tokenizer.decode(Array(tokens[..<index])).codePoints
        }
        guard prefix.count >= 2, prefix[prefix.count - 1] == ".", PythonText.isDigit(prefix[prefix.count - 2]) else {
            return false
        }
        // The suffix's first code point.
        let suffixEnd = min(tokens.count, index + decodeWindow)
        var suffix = tokenizer.decode(Array(tokens[index..<suffixEnd])).codePoints
        if suffixEnd < tokens.count && (suffix.count < 2 || suffix[0] == replacement) {
            suffix = tokenizer.decode(Array(tokens[index...])).codePoints
        }
        guard let first = suffix.first else { return false }
        return PythonText.isDigit(first)
    }
}
