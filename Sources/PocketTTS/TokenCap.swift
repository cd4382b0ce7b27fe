// TokenCap.swift: keeps every chunk the model is prompted with under a hard token cap.
//
// A text whose tokens exceed the cap is cut at the best boundary that fits: the end of a
// clause (`,` `;` `:` `—` ... followed by a space) that keeps at least half of what fits, else
// the end of a word, else, for a "word" longer than the cap (a URL, a hash, text without
// spaces), between two characters. Used by `TextChunk.chunks` (a reference chunk above the cap)
// and by the server's live-text segmenter (text still arriving). Pure functions over a token
// counter, so they are tested with a fake one.

/// Counts the tokens a piece of text is prompted with.
public protocol TokenCounting: Sendable {
    func tokenCount(_ text: String) -> Int
}

extension Tokenizer: TokenCounting {
    /// `encode(text).count`: the tokens of a chunk's text, as the model is prompted with it.
    public func tokenCount(_ text: String) -> Int { encode(text).count }
}

/// The tokens a text is prompted with as one chunk: `encode(prepareTextPrompt(text).text)`,
/// with the model's text options (4.0.1 prompts each chunk prepared again: capitalized, made to
/// end a sentence, padded if the config says so). What the server counts before it hands text
/// to the engine, and what `TextChunk.chunks` caps.
public struct PromptTokenCounter: TokenCounting {
    public let tokenizer: Tokenizer
    public let options: TextOptions

    public init(tokenizer: Tokenizer, options: TextOptions) {
        self.tokenizer = tokenizer
        self.options = options
    }

    public func tokenCount(_ text: String) -> Int {
        guard let prepared = try? prepareTextPrompt(text, options: options).text else { return 0 }
        return tokenizer.encode(prepared).count
    }
}

/// Word and clause boundaries, and cuts within a token cap.
public enum TokenCap {
    /// Fewest words a chunk should have (Pocket TTS garbles one- and two-word prompts).
    public static let minimumWords = 3
    /// Characters a token covers at most, as far as the cutting rules look: a text of more than
    /// `cap * charactersPerToken` characters is treated as over a cap of `cap` tokens.
    public static let charactersPerToken = 32

    /// Marks that end a clause when whitespace follows them (sentence marks too: in a text
    /// over the cap they may be abbreviations, but they are still the best places to cut).
    static let clauseMarks: Set<Unicode.Scalar> = [",", ";", ":", ")", "]", "\u{2013}", "\u{2014}", ".", "!", "?", "…"]
    /// Marks that end a clause even with no space after them (dashes, CJK commas).
    static let clauseMarksAlone: Set<Unicode.Scalar> = ["\u{2014}", "，", "、", "；", "："]

    // MARK: Words

    /// Words in `text`: runs of non-space characters holding a letter or digit; every Han or
    /// kana character counts as one (such text has no spaces).
    public static func wordCount(_ text: ArraySlice<Unicode.Scalar>) -> Int {
        var count = 0
        var runHasWord = false
        for scalar in text {
            if scalar.properties.isWhitespace || isIdeographic(scalar) {
                if runHasWord { count += 1 }
                runHasWord = false
                if isIdeographic(scalar) { count += 1 }
            } else if isWordCharacter(scalar) {
                runHasWord = true
            }
        }
        return count + (runHasWord ? 1 : 0)
    }

    /// Indices just after each whole word of `text`: where a word (see `wordCount`) is followed
    /// by whitespace. A word at the very end is not whole yet (more of it may come).
    public static func wordEnds(_ text: ArraySlice<Unicode.Scalar>) -> [Int] {
        var ends: [Int] = []
        var runHasWord = false
        for i in text.indices {
            let scalar = text[i]
            if scalar.properties.isWhitespace {
                if runHasWord { ends.append(i) }
                runHasWord = false
            } else {
                runHasWord = runHasWord || isWordCharacter(scalar)
            }
        }
        return ends
    }

    /// Indices just after each clause mark of `text` that ends a clause (a mark followed by
    /// whitespace, or a dash or CJK comma), with a word before it.
    public static func clauseEnds(_ text: ArraySlice<Unicode.Scalar>) -> [Int] {
        var ends: [Int] = []
        var sawWord = false
        for i in text.indices.dropLast() {
            let scalar = text[i]
            sawWord = sawWord || isWordCharacter(scalar)
            guard sawWord else { continue }
            let endsClause = text[i + 1].properties.isWhitespace
                ? clauseMarks.contains(scalar) || clauseMarksAlone.contains(scalar)
                : clauseMarksAlone.contains(scalar)
            if endsClause { ends.append(i + 1) }
        }
        return ends
    }

    public static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    static func isIdeographic(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isIdeographic || (0x3040...0x30FF).contains(scalar.value)  // Han, hiragana, katakana
    }

    /// `text` without leading and trailing whitespace.
    public static func trimmed(_ text: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var slice = text
        while let first = slice.first, first.properties.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.properties.isWhitespace { slice.removeLast() }
        return slice
    }

    public static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    // MARK: Cuts

    /// Where to cut `text` (whose tokens exceed `cap`) so that the part before the cut is
    /// within `cap` tokens, aiming at `target` (≤ cap) tokens: the last word end that fits
    /// `target` (or, failing that, `cap`); moved back to the last clause end that keeps at least
    /// half as many tokens; if no word end leaves `minimumWords` words within the cap, the
    /// longest run of characters within it (at least one). Returns an index of `text`, after
    /// its start. Counts tokens of trimmed prefixes only, O(log n) times.
    public static func cut(
        _ text: ArraySlice<Unicode.Scalar>, cap: Int, target: Int? = nil, counter: some TokenCounting
    ) -> Int {
        let target = min(cap, max(1, target ?? cap))
        func tokens(_ end: Int) -> Int { counter.tokenCount(string(trimmed(text[text.startIndex..<end]))) }

        // Each word is at least one token: a prefix within the cap has at most `cap` words.
        let candidates = Array(wordEnds(text).prefix(cap + 1))
        var best: (end: Int, tokens: Int)? = nil
        for limit in target == cap ? [cap] : [target, cap] {
            if let found = lastFitting(candidates, limit: limit, tokens: tokens) {
                best = found
                break
            }
        }
        if let (wordEnd, wordTokens) = best, wordCount(text[text.startIndex..<wordEnd]) >= minimumWords {
            if let clause = clauseEnds(text[text.startIndex..<wordEnd]).last,
               wordCount(text[text.startIndex..<clause]) >= minimumWords, tokens(clause) * 2 >= wordTokens {
                return clause
            }
            return wordEnd
        }
        // No usable word end: the longest prefix of characters within the cap (a token covers
        // a few characters at most: the search looks no further than `charactersPerToken` each).
        let reach = cap * charactersPerToken
        let positions = Array(text.indices.dropFirst().prefix(reach)) + (text.count <= reach ? [text.endIndex] : [])
        return lastFitting(positions, limit: cap, tokens: tokens)?.end ?? text.startIndex + 1
    }

    /// Splits a whole text (no more will come) into pieces of at most `cap` tokens each, of
    /// about equal size, cut as `cut` does. A text within the cap is one piece. Pieces are
    /// trimmed; pieces without a letter or digit are dropped.
    public static func split(_ text: ArraySlice<Unicode.Scalar>, cap: Int, counter: some TokenCounting) -> [String] {
        var pieces: [String] = []
        var rest = trimmed(text)
        while !rest.isEmpty {
            let total = counter.tokenCount(string(rest))
            if total <= cap {
                pieces.append(string(rest))
                break
            }
            let count = (total + cap - 1) / cap
            let end = cut(rest, cap: cap, target: (total + count - 1) / count, counter: counter)
            pieces.append(string(trimmed(rest[rest.startIndex..<end])))
            rest = trimmed(rest[end...])
        }
        return pieces.filter { $0.unicodeScalars.contains(where: isWordCharacter) }
    }

    /// The last of `positions` (ascending) whose prefix has at most `limit` tokens, by binary
    /// search (token counts grow with the prefix).
    private static func lastFitting(_ positions: [Int], limit: Int, tokens: (Int) -> Int) -> (end: Int, tokens: Int)? {
        var low = 0
        var high = positions.count - 1
        var found: (end: Int, tokens: Int)? = nil
        while low <= high {
            let middle = (low + high) / 2
            let count = tokens(positions[middle])
            if count <= limit {
                found = (positions[middle], count)
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return found
    }
}
