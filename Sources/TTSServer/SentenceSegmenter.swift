// SentenceSegmenter.swift: finds complete sentences in text that arrives piece by piece
// (word by word from an LLM), so each can be spoken as soon as it is complete.
//
// A sentence ends after a run of terminators (. ! ? … and the like) and any closing quotes or
// brackets, once whitespace follows. A blank line (two line breaks) also ends one. Not ends:
// "3.14" (no whitespace after the point), "Dr. " and other titles, "e.g. " and "U.S. " (a dot
// inside a word of letters), single-letter initials "J. ". CJK full stops (。！？) end a sentence as soon
// as any character follows, since CJK text puts no space after them. A would-be sentence with no
// letter or digit ("... ") is not cut off: it stays with the next one.
//
// Every decision depends only on the text up to the whitespace that follows the terminator, so
// feeding the same text in any pieces releases the same sentences.

/// Incremental sentence boundary detection. A pure value: `append` text, take the complete
/// sentences it returns, `flush` the tail at the end of the turn. (`TextSegmenter` uses the
/// lower level: `receive` text, read `sentenceEnds`, `removeFirst` what it releases.)
public struct SentenceSegmenter: Sendable, Equatable {
    /// Text not yet released. [count]
    private(set) var pending: [Unicode.Scalar] = []
    /// Ends of the complete sentences in `pending`, ascending: each is where the next begins.
    private(set) var sentenceEnds: [Int] = []
    /// Every boundary candidate before this index of `pending` has been decided.
    private var scanFrom = 0
    /// Whether the sentence being scanned has a letter or digit in `pending[its start..<wordScan]`:
    /// each character is looked at once, so text with no word in it costs linear time, not
    /// quadratic (". " repeated 10,000 times once stalled the event loop for seconds).
    private var sentenceHasWord = false
    private var wordScan = 0

    public init() {}

    /// The text held back, as received.
    public var pendingText: String { Self.string(pending[...]) }

    /// Adds `text` and returns each sentence it completes, trimmed, in order.
    public mutating func append(_ text: String) -> [String] {
        receive(text)
        var sentences: [String] = []
        var start = 0
        for end in sentenceEnds {
            sentences.append(Self.trimmed(pending[start..<end]))
            start = end
        }
        removeFirst(start)
        return sentences
    }

    /// Ends the turn's text: returns the tail, trimmed (nil if it holds no letter or digit),
    /// and starts over empty.
    public mutating func flush() -> String? {
        defer { self = SentenceSegmenter() }
        return Self.hasWord(pending[...]) ? Self.trimmed(pending[...]) : nil
    }

    /// Adds `text` to `pending` and records the sentences it completes in `sentenceEnds`.
    mutating func receive(_ text: String) {
        pending.append(contentsOf: text.unicodeScalars)
        var sentenceStart = sentenceEnds.last ?? 0
        var i = scanFrom
        scanning: while i < pending.count {
            let scalar = pending[i]
            if Self.isTerminator(scalar) {
                var runEnd = i
                var sawCJK = false
                while runEnd < pending.count, Self.isTerminator(pending[runEnd]) {
                    sawCJK = sawCJK || Self.cjkTerminators.contains(pending[runEnd])
                    runEnd += 1
                }
                var end = runEnd
                while end < pending.count, Self.closers.contains(pending[end]) { end += 1 }
                guard end < pending.count else { break scanning }  // undecided until more text comes
                let isSingleDot = scalar == "." && runEnd == i + 1
                if pending[end].properties.isWhitespace || sawCJK,
                   !(isSingleDot && isAbbreviation(before: i, from: sentenceStart)),
                   sentenceHasWord(from: sentenceStart, to: end) {
                    sentenceEnds.append(end)
                    sentenceStart = end
                }
                i = end
            } else if scalar == "\n" {
                var end = i + 1
                while end < pending.count, pending[end] != "\n", pending[end].properties.isWhitespace { end += 1 }
                guard end < pending.count else { break scanning }  // a second line break may follow
                if pending[end] == "\n", sentenceHasWord(from: sentenceStart, to: i) {
                    sentenceEnds.append(i)
                    sentenceStart = i
                }
                i = end
            } else {
                i += 1
            }
        }
        scanFrom = i
    }

    /// Drops the first `count` scalars of `pending` (text released by the caller); a sentence
    /// cut in the middle goes on from the cut.
    mutating func removeFirst(_ count: Int) {
        guard count > 0 else { return }
        pending.removeFirst(count)
        sentenceEnds = sentenceEnds.compactMap { $0 > count ? $0 - count : nil }
        scanFrom = max(0, scanFrom - count)
        sentenceHasWord = false  // the sentence may have lost its words: look again from its start
        wordScan = 0
    }

    /// Whether `pending[start..<end]` has a letter or digit, for the sentence starting at
    /// `start`; calls for one sentence come with growing `end`s. Scans each character once.
    private mutating func sentenceHasWord(from start: Int, to end: Int) -> Bool {
        if wordScan < start {
            wordScan = start
            sentenceHasWord = false
        }
        while !sentenceHasWord, wordScan < end {
            sentenceHasWord = Self.isWordScalar(pending[wordScan])
            wordScan += 1
        }
        return sentenceHasWord
    }

    // MARK: Rules

    static let terminators: Set<Unicode.Scalar> = [".", "!", "?", "…", "‼", "⁇", "⁈", "⁉", "؟", "।", "॥"]
    static let cjkTerminators: Set<Unicode.Scalar> = ["。", "！", "？", "｡"]
    static let closers: Set<Unicode.Scalar> = [
        "\"", "'", "”", "’", "»", "›", ")", "]", "}", "」", "』", "）", "］", "】", "〉", "》", "*", "_",
    ]
    static let openers: Set<Unicode.Scalar> = ["\"", "'", "“", "‘", "«", "‹", "(", "[", "{", "「", "『", "（", "*", "_"]
    /// Titles and short forms that are not followed by a sentence end, lower-cased, no dot.
    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "fig", "figs", "approx",
        "dept", "capt", "lt", "col", "sgt", "gen", "gov", "rev", "hon", "messrs", "mme", "mlle",
        "vol", "eq", "ref", "cf", "al", "ca",
        // Titles and short forms of the other normalized languages (TextNormalization's tables)
        // that never end a sentence: "Sra. López", "Nr. 5", "Dhr. Jansen", "bzw. morgen".
        "sra", "srta", "sres", "dra", "dña", "ud", "uds", "vd", "núm", "pág", "avda", "aprox", "profa",
        "hr", "hrn", "nr", "bzw", "vgl", "evtl", "ggf", "inkl", "zzgl", "mio", "mrd",
        "sig", "sigg", "dott", "avv", "ing", "pag", "dhr", "mevr", "mw", "bijv", "bv", "env", "av",
    ]

    private static func isTerminator(_ scalar: Unicode.Scalar) -> Bool {
        terminators.contains(scalar) || cjkTerminators.contains(scalar)
    }

    /// Whether the word ending just before the "." at `dot` is an abbreviation, not a sentence end.
    /// The word starts at a whitespace or at `sentenceStart`, whichever is nearer.
    private func isAbbreviation(before dot: Int, from sentenceStart: Int) -> Bool {
        var start = dot
        while start > sentenceStart, !pending[start - 1].properties.isWhitespace { start -= 1 }
        while start < dot, Self.openers.contains(pending[start]) { start += 1 }
        let word = pending[start..<dot]
        if word.isEmpty { return false }
        if word.contains("."), word.allSatisfy({ $0 == "." || $0.properties.isAlphabetic }) {
            return true  // "e.g", "U.S", "a.m"; not "2.718"
        }
        if word.count == 1, word.first!.properties.isAlphabetic { return true }  // an initial: "J."
        return Self.abbreviations.contains(Self.string(word).lowercased())
    }

    private static func hasWord(_ text: ArraySlice<Unicode.Scalar>) -> Bool { text.contains(where: isWordScalar) }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    private static func trimmed(_ text: ArraySlice<Unicode.Scalar>) -> String {
        var slice = text
        while let first = slice.first, first.properties.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.properties.isWhitespace { slice.removeLast() }
        return string(slice)
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
