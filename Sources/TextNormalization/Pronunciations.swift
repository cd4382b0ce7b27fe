// Pronunciations.swift: user-given spoken forms for words, names and patterns ("SQL" →
// "sequel", "Kubernetes" → "koo-ber-net-eez"), applied before the normalizer's rules (which then
// read the result, so a spoken form may contain numbers).
//
// A key is a word or phrase, matched exactly (case matters) and only as a whole word: "SQL"
// does not match inside "MySQL". A key written "/pattern/" (or "/pattern/i", ignoring case) is
// an ICU regular expression, and "$1" in its spoken form is the first group. Where several
// entries match, the match that starts first wins, then the longer one, then the key that
// sorts first.
import Foundation

/// A pronunciation dictionary that cannot be used.
public enum PronunciationError: Error, Equatable, CustomStringConvertible {
    case emptyKey
    case invalidPattern(String, reason: String)
    /// Patterns are accepted from trusted sources only (the server's config file): a client's
    /// regular expression could take the event loop for seconds.
    case patternNotAllowed(String)
    /// Not a mapping of words to spoken forms.
    case invalidDictionary(reason: String)

    public var description: String {
        switch self {
        case .emptyKey: "a pronunciation's word must not be empty"
        case .invalidPattern(let pattern, let reason): "invalid pattern \(pattern): \(reason)"
        case .patternNotAllowed(let pattern): "patterns such as \(pattern) are only allowed in the server's config file"
        case .invalidDictionary(let reason): "pronunciations: \(reason)"
        }
    }
}

/// Words and patterns with their spoken forms. A value: equal when the entries are equal.
public struct Pronunciations: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The word, phrase or "/pattern/" as given.
        public let written: String
        public let spoken: String
    }

    /// The entries, sorted by `written`.
    public private(set) var entries: [Entry] = []
    /// The compiled pattern of each entry (nil for a word), parallel to `entries`.
    private var patterns: [NSRegularExpression?] = []

    public init() {}

    /// Written → spoken. Throws `.patternNotAllowed` for a "/pattern/" key unless
    /// `allowsPatterns`, `.invalidPattern` for one that does not compile, `.emptyKey`.
    public init(_ dictionary: [String: String], allowsPatterns: Bool = true) throws(PronunciationError) {
        for (written, spoken) in dictionary.sorted(by: { $0.key < $1.key }) {
            try add(written: written, spoken: spoken, allowsPatterns: allowsPatterns)
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// These entries with `other`'s added; `other` wins where both have a key.
    public func merging(_ other: Pronunciations) -> Pronunciations {
        var merged = Pronunciations()
        let overridden = Set(other.entries.map(\.written))
        let pairs = zip(entries, patterns).filter { !overridden.contains($0.0.written) } + zip(other.entries, other.patterns)
        for (entry, pattern) in pairs.sorted(by: { $0.0.written < $1.0.written }) {
            merged.entries.append(entry)
            merged.patterns.append(pattern)
        }
        return merged
    }

    public static func == (lhs: Pronunciations, rhs: Pronunciations) -> Bool { lhs.entries == rhs.entries }

    private mutating func add(written: String, spoken: String, allowsPatterns: Bool) throws(PronunciationError) {
        guard !written.isEmpty else { throw .emptyKey }
        var pattern: NSRegularExpression?
        if let (source, ignoresCase) = Self.patternSource(written) {
            guard allowsPatterns else { throw .patternNotAllowed(written) }
            do {
                pattern = try NSRegularExpression(pattern: source, options: ignoresCase ? [.caseInsensitive] : [])
            } catch {
                throw .invalidPattern(written, reason: "\(error)")
            }
        }
        entries.append(Entry(written: written, spoken: spoken))
        patterns.append(pattern)
    }

    /// "/a+b/" → ("a+b", false), "/a+b/i" → ("a+b", true); nil for a word.
    private static func patternSource(_ written: String) -> (String, Bool)? {
        guard written.count >= 3, written.hasPrefix("/") else { return nil }
        if written.hasSuffix("/i"), written.count >= 4 { return (String(written.dropFirst().dropLast(2)), true) }
        if written.hasSuffix("/") { return (String(written.dropFirst().dropLast()), false) }
        return nil
    }

    // MARK: Applying

    /// The input with every chosen match replaced by its spoken form.
    func apply(to input: [Unicode.Scalar]) -> SpokenScalars {
        var output = SpokenScalars.Builder(input: input)
        var index = 0
        for match in matches(in: input) {
            while index < match.range.lowerBound {
                output.copy(index)
                index += 1
            }
            output.say(match.spoken, for: match.range)
            index = match.range.upperBound
        }
        while index < input.count {
            output.copy(index)
            index += 1
        }
        return output.result
    }

    private struct Match {
        var range: Range<Int>
        var spoken: String
        var entry: Int
    }

    /// The matches to replace: in order, not overlapping.
    private func matches(in input: [Unicode.Scalar]) -> [Match] {
        guard !entries.isEmpty else { return [] }
        let text = ScalarText(input)
        var candidates: [Match] = []
        var string: String?
        var scalarIndexOfUTF16: [Int] = []
        for (entryIndex, (entry, pattern)) in zip(entries, patterns).enumerated() {
            if let pattern {
                if string == nil {
                    string = String(codePoints: input)
                    for (index, scalar) in input.enumerated() {
                        scalarIndexOfUTF16 += Array(repeating: index, count: scalar.utf16.count)
                    }
                    scalarIndexOfUTF16.append(input.count)
                }
                let whole = NSRange(location: 0, length: scalarIndexOfUTF16.count - 1)
                for result in pattern.matches(in: string!, range: whole) where result.range.length > 0 {
                    let start = scalarIndexOfUTF16[result.range.location]
                    let end = scalarIndexOfUTF16[result.range.location + result.range.length]
                    let spoken = pattern.replacementString(for: result, in: string!, offset: 0, template: entry.spoken)
                    candidates.append(Match(range: start..<end, spoken: spoken, entry: entryIndex))
                }
            } else {
                let word = Array(entry.written.unicodeScalars)
                let checksStart = ScalarText.isAlnum(word.first!)
                let checksEnd = ScalarText.isAlnum(word.last!)
                var start = 0
                while start + word.count <= input.count {
                    if input[start] == word[0], input[start..<start + word.count].elementsEqual(word),
                       !checksStart || text.startsToken(start), !checksEnd || text.endsToken(start + word.count) {
                        candidates.append(Match(range: start..<start + word.count, spoken: entry.spoken, entry: entryIndex))
                        start += word.count
                    } else {
                        start += 1
                    }
                }
            }
        }
        candidates.sort {
            ($0.range.lowerBound, -$0.range.count, $0.entry) < ($1.range.lowerBound, -$1.range.count, $1.entry)
        }
        var chosen: [Match] = []
        for candidate in candidates where candidate.range.lowerBound >= (chosen.last?.range.upperBound ?? 0) {
            chosen.append(candidate)
        }
        return chosen
    }
}
