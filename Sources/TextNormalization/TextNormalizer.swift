// TextNormalizer.swift: text normalization before tokenization, in English (the rules below)
// or another supported language (LocaleRules.swift, one LanguageTable per language). Numbers, money,
// times, dates, phone numbers, units, abbreviations, acronyms, URLs and e-mail addresses are
// rewritten the way people say them ("$4.50" → "four dollars and fifty cents"), keeping a map
// from every output character back to what the user wrote.
//
// Two passes, both pure:
// 1. Pronunciations (Pronunciations.swift) rewrite words and patterns the user listed.
// 2. One left-to-right scan tries the rules of `TextNormalizer.rules` in order at each
//    position; the first that reads something there wins and the scan resumes after it. What no
//    rule reads is copied as it is.
// Every rule says plain words (letters, spaces, hyphens, apostrophes, commas and the sentence's
// own punctuation), never digits or anything a rule reads again, so normalizing twice changes
// nothing. Offsets count Unicode scalars (code points), as Python and `PythonText` do.

/// Text after normalization, with where each of its code points came from.
public struct NormalizedText: Sendable, Equatable {
    /// The text to speak.
    public let text: String
    /// For each code point of `text`, the code points of the input it was read from: a copied
    /// code point maps to itself, every code point of a reading ("four dollars" for "$4") to the
    /// whole expression, and a space inserted beside a reading to an empty range at its place.
    /// Non-decreasing.
    public let sourceRanges: [Range<Int>]
    /// Input ranges that were read as one expression ("$4.50", "3:30 pm", "Dr.", a
    /// pronunciation), in order, not overlapping.
    public let expressions: [Range<Int>]

    init(scalars: [Unicode.Scalar], sourceRanges: [Range<Int>], expressions: [Range<Int>]) {
        precondition(scalars.count == sourceRanges.count)
        self.text = String(codePoints: scalars)
        self.sourceRanges = sourceRanges
        self.expressions = expressions
    }

    /// `text` unchanged: every code point maps to itself.
    public init(unchanged text: String) {
        let count = text.unicodeScalars.count
        self.init(scalars: Array(text.unicodeScalars), sourceRanges: (0..<count).map { $0..<$0 + 1 }, expressions: [])
    }

    /// The input code points that output code points `range` were read from.
    public func sourceRange(ofOutput range: Range<Int>) -> Range<Int> {
        precondition(range.lowerBound >= 0 && range.upperBound <= sourceRanges.count, "output range out of bounds")
        let end = sourceRanges.last?.upperBound ?? 0
        if range.isEmpty {
            let at = range.lowerBound < sourceRanges.count ? sourceRanges[range.lowerBound].lowerBound : end
            return at..<at
        }
        return sourceRanges[range.lowerBound].lowerBound..<sourceRanges[range.upperBound - 1].upperBound
    }

    /// Whether input text may be cut before code point `offset` without cutting an expression
    /// in two (for segmenters that cut text before normalizing each piece).
    public func allowsCut(atSource offset: Int) -> Bool {
        !expressions.contains { $0.lowerBound < offset && offset < $0.upperBound }
    }
}

/// Text normalizer: pronunciations first, then the reading rules of its language. A value;
/// safe to share across threads.
public struct TextNormalizer: Sendable, Equatable {
    /// Whose rules read numbers, money, dates, units and abbreviations.
    public var language: NormalizerLanguage
    /// Rewrites applied before the rules.
    public var pronunciations: Pronunciations
    /// false: only the pronunciations are applied.
    public var readsRules: Bool

    public init(language: NormalizerLanguage = .english, pronunciations: Pronunciations = Pronunciations(), readsRules: Bool = true) {
        self.language = language
        self.pronunciations = pronunciations
        self.readsRules = readsRules
    }

    /// A normalizer for a language code or name ("fr", "fr-FR", "german"); an unsupported
    /// language is `.unsupportedLanguage`.
    public init(languageCode: String, pronunciations: Pronunciations = Pronunciations(), readsRules: Bool = true)
        throws(TextNormalizationError)
    {
        self.init(language: try NormalizerLanguage(code: languageCode), pronunciations: pronunciations, readsRules: readsRules)
    }

    /// The text as it should be spoken.
    public func normalize(_ text: String) -> NormalizedText {
        let input = Array(text.unicodeScalars)
        let pronounced = pronunciations.apply(to: input)
        guard readsRules else { return pronounced.normalizedText }
        let read = language.table.map { LocaleRules(table: $0).read(pronounced.scalars) } ?? Self.read(pronounced.scalars)
        return read.composed(after: pronounced).normalizedText
    }

    /// Whether the period that ends `word` ("Dr.", "e.g.", "vs.") belongs to an abbreviation
    /// whose dot does not end a sentence, so a sentence splitter must not cut after it. Forms
    /// read only before a number ("No.", "Fig.", "pp.") count when `next`, the first character
    /// after the whitespace that follows, is a digit. Words that often end sentences ("etc.",
    /// "Inc.") never count. Case matters.
    public static func isAbbreviation(_ word: some StringProtocol, followedBy next: Character? = nil) -> Bool {
        Abbreviation.table.contains { abbreviation in
            guard abbreviation.written.hasSuffix("."), abbreviation.written == String(word) else { return false }
            switch abbreviation.kind {
            case .title, .inner: return true
            case .beforeNumber: return next?.isASCII == true && next?.isNumber == true
            case .mayEndSentence: return false
            }
        }
    }

    // MARK: The rules

    /// One rule: what it reads at `index` of the text (nil: nothing there).
    struct Rule: Sendable {
        let name: String
        let read: @Sendable (ScalarText, Int) -> Reading?
    }

    /// The reading rules, in the order they are tried at each position. The first that reads
    /// something wins; so a URL is not read as numbers, money not as a plain number, a date or a
    /// phone number not as a range.
    static let rules: [Rule] = [
        Rule(name: "url", read: readURL),            // https://example.com/a, www.example.com, example.com
        Rule(name: "email", read: readEmail),        // jane.doe@example.com
        Rule(name: "money", read: readMoney),        // $4.50, €1,200, £3m, -$5, $5-10
        Rule(name: "time", read: readTime),          // 3:30pm, 15:45, 7 a.m.
        Rule(name: "date", read: readDate),          // 2024-05-01, 5/1/2024, May 1st, 2024, 1 May
        Rule(name: "phone", read: readPhone),        // +1 555 123 4567, (555) 123-4567, 555-1234
        Rule(name: "number", read: readNumber),      // 42, -3.5, 1,234, 3-5, 1/2, 1st, 1984, 1980s, 5 km, 50%
        Rule(name: "abbreviation", read: readAbbreviation),  // Dr., St., e.g., etc., vs.
        Rule(name: "acronym", read: readAcronym),    // FBI, CPUs, HTML
        Rule(name: "symbol", read: readSymbol),      // &, #5, ~5, 2 + 2 = 4, ½
    ]

    /// Applies the rules to `input`.
    static func read(_ input: [Unicode.Scalar]) -> SpokenScalars {
        let text = ScalarText(input)
        var output = SpokenScalars.Builder(input: input)
        var index = 0
        while index < input.count {
            if let reading = rules.lazy.compactMap({ $0.read(text, index) }).first {
                precondition(reading.end > index, "a rule read nothing")
                output.say(reading.spoken, for: index..<reading.end)
                index = reading.end
            } else {
                output.copy(index)
                index += 1
            }
        }
        return output.result
    }
}

/// What a rule read: input up to `end`, said as `spoken`.
struct Reading: Equatable {
    var end: Int
    var spoken: String
}

/// Output code points with their input ranges (see `NormalizedText`).
struct SpokenScalars: Equatable {
    var scalars: [Unicode.Scalar] = []
    var sources: [Range<Int>] = []
    var expressions: [Range<Int>] = []

    var normalizedText: NormalizedText {
        NormalizedText(scalars: scalars, sourceRanges: sources, expressions: expressions)
    }

    /// `self` was made from `earlier.scalars`: its ranges, taken back to `earlier`'s input.
    func composed(after earlier: SpokenScalars) -> SpokenScalars {
        let map = earlier.normalizedText
        var result = SpokenScalars(scalars: scalars)
        result.sources = sources.map { map.sourceRange(ofOutput: $0) }
        let mapped = expressions.map { map.sourceRange(ofOutput: $0) }
        // Pronunciations and readings may overlap or touch: keep the union, in order.
        for range in (earlier.expressions + mapped).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.expressions.last, range.lowerBound < last.upperBound {
                result.expressions[result.expressions.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.expressions.append(range)
            }
        }
        return result
    }

    /// Builds output from copied input code points and spoken readings, putting a space
    /// between a reading and a letter or digit next to it ("mp3" → "mp three").
    struct Builder {
        let input: [Unicode.Scalar]
        var result = SpokenScalars()
        /// The last thing written was a reading that ends with a letter.
        private var afterWordReading = false

        init(input: [Unicode.Scalar]) { self.input = input }

        mutating func copy(_ index: Int) {
            if afterWordReading, ScalarText.isAlnum(input[index]) { append(" ", index..<index) }
            afterWordReading = false
            append(input[index], index..<index + 1)
        }

        mutating func say(_ spoken: String, for range: Range<Int>) {
            let scalars = Array(spoken.unicodeScalars)
            if let first = scalars.first, ScalarText.isAlnum(first), let last = result.scalars.last,
               ScalarText.isAlnum(last) || Self.isMark(last) {
                append(" ", range.lowerBound..<range.lowerBound)
            }
            for scalar in scalars { append(scalar, range) }
            result.expressions.append(range)
            afterWordReading = scalars.last.map(ScalarText.isAlnum) ?? false
        }

        /// A combining mark ("e\u{301}"): part of the letter before it.
        static func isMark(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: true
            default: false
            }
        }

        private mutating func append(_ scalar: Unicode.Scalar, _ source: Range<Int>) {
            result.scalars.append(scalar)
            result.sources.append(source)
        }
    }
}
