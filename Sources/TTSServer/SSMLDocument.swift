// SSMLDocument.swift: the SSML subset the server reads (README "SSML"), parsed into the pieces a
// turn speaks in order: text with its options, a pause, a rate change. A pure function of the
// text: no XML library, no I/O (the tokens come from `SSMLScanner`).
//
//   <speak>            the root (optional: text without it is read as the root's content)
//   <p>, <s>           end a sentence (a full stop is added where the text has none)
//   <break time="500ms"|"1.5s" strength="none|x-weak|weak|medium|strong|x-strong"/>
//   <prosody rate="x-slow|slow|medium|fast|x-fast|default|150%|+20%|-10%|1.2">…</prosody>
//   <say-as interpret-as="characters|spell-out|cardinal|ordinal|digits|date|time|telephone">…</say-as>
//   <sub alias="…">…</sub>     the alias is spoken instead of the content
//   <phoneme …>…</phoneme>     its text is spoken (pronunciations are not supported: a warning)
//
// Any other tag is dropped with its text kept and named once in `warnings`. Malformed input
// (unclosed or mismatched tags, bad entities or attribute values, text around the root) is an
// `SSMLError`; the document's size, nesting depth and pieces are bounded (`Limits`).

/// How a say-as text is read (`interpret-as`).
public enum SSMLSayAs: String, Sendable, Equatable, CaseIterable {
    case characters, spellOut = "spell-out", cardinal, ordinal, digits, date, time, telephone
}

/// The options of a text piece.
public struct SSMLTextOptions: Sendable, Equatable {
    public var sayAs: SSMLSayAs?

    public init(sayAs: SSMLSayAs? = nil) {
        self.sayAs = sayAs
    }
}

/// One piece of a document, in speaking order.
public enum SSMLPiece: Sendable, Equatable {
    case text(String, SSMLTextOptions)
    /// Silence of this many seconds.
    case pause(seconds: Double)
    /// The speaking rate from here on (a factor of the turn's speed; 1: the turn's speed).
    case rate(Double)
}

/// Why a document was refused (`invalid_ssml`).
public enum SSMLError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(characters: Int, limit: Int)
    case tooDeep(limit: Int)
    case tooManyPieces(limit: Int)
    /// Not well-formed, at this offset in Unicode scalars.
    case syntax(String, at: Int)
    case invalidAttribute(tag: String, name: String, reason: String)
    /// Tags that do not nest, text outside the root.
    case structure(String)

    public var description: String {
        switch self {
        case .tooLarge(let characters, let limit): "the SSML document has \(characters) characters, limit \(limit)"
        case .tooDeep(let limit): "SSML elements nested deeper than \(limit)"
        case .tooManyPieces(let limit): "more than \(limit) SSML pieces (texts, breaks and rate changes)"
        case .syntax(let what, let offset): "at character \(offset): \(what)"
        case .invalidAttribute(let tag, let name, let reason): "<\(tag)> \(name): \(reason)"
        case .structure(let what): what
        }
    }
}

public struct SSMLDocument: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        /// Unicode scalars in one document.
        public var maxCharacters = 100_000
        /// Elements open at once.
        public var maxDepth = 32
        /// Pieces (texts, breaks, rate changes) in one document.
        public var maxPieces = 1_000
        public init() {}
    }

    /// Longest `<break>`, in seconds; adjacent breaks add up to at most this much (a bound on
    /// the audio messages one mark makes at once: 125 Opus packets).
    public static let maxBreakSeconds = 10.0
    /// `strength` → seconds (`medium` for a break with neither `time` nor `strength`).
    public static let breakStrengths: [String: Double] = [
        "none": 0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.25,
    ]
    /// `rate` keywords → factors.
    public static let rateKeywords: [String: Double] = [
        "x-slow": 0.5, "slow": 0.75, "medium": 1, "default": 1, "fast": 1.25, "x-fast": 1.5,
    ]
    /// The range of a rate factor (the time stretcher's speeds).
    public static let rateRange = 0.25...4.0

    public var pieces: [SSMLPiece]
    /// For the client, each once: tags dropped, `<phoneme>` read as text.
    public var warnings: [String]

    /// Whether `text` is SSML by its start (`<speak`, after white space and an XML declaration):
    /// how OpenAI's and the reference form's text is told apart from plain text.
    public static func looksLikeSSML(_ text: String) -> Bool {
        var rest = text.drop { $0.isWhitespace }
        if rest.hasPrefix("<?xml"), let end = rest.firstRange(of: "?>") {
            rest = rest[end.upperBound...].drop { $0.isWhitespace }
        }
        return rest.hasPrefix("<speak")
    }

    /// Parses `source` (a whole document, or the content of `<speak>`) at once.
    public static func parse(_ source: String, limits: Limits = Limits()) throws(SSMLError) -> SSMLDocument {
        var parser = try SSMLParser(source, limits: limits)
        while true {
            if let document = try parser.advance(scalars: .max) { return document }
        }
    }
}

/// A parse in steps: each `advance` reads about `scalars` of the source, so that a long document
/// costs the event loop one bounded step per pass (SessionMachine+SSML.swift). Linear in the
/// source: text runs are appended in place, never copied again.
struct SSMLParser: Sendable {
    private var scanner: SSMLScanner
    private var builder: SSMLBuilder

    /// Checks the size; nothing is read yet.
    init(_ source: String, limits: SSMLDocument.Limits = SSMLDocument.Limits()) throws(SSMLError) {
        let characters = source.unicodeScalars.count
        guard characters <= limits.maxCharacters else { throw .tooLarge(characters: characters, limit: limits.maxCharacters) }
        scanner = SSMLScanner(source)
        builder = SSMLBuilder(limits: limits)
    }

    /// Reads tokens until about `scalars` of the source are read; the document once it is all read.
    mutating func advance(scalars: Int) throws(SSMLError) -> SSMLDocument? {
        let start = scanner.position
        while scanner.position - start < scalars {
            guard let token = try scanner.next() else { return try builder.finish() }
            try builder.take(token)
        }
        return nil
    }
}

/// Walks the tokens with a stack of open elements, collecting pieces.
private struct SSMLBuilder: Sendable {
    struct Element: Sendable {
        var name: String
        var rate: Double
        var sayAs: SSMLSayAs?
        /// Inside `<sub>`: its content is not spoken.
        var muted: Bool
    }

    static let known: Set<String> = ["speak", "p", "s", "break", "prosody", "say-as", "sub", "phoneme"]

    let limits: SSMLDocument.Limits
    var stack: [Element] = []
    var pieces: [SSMLPiece] = []
    /// The text piece being written (not yet in `pieces`), and its options; nil: none.
    var openText = ""
    var openOptions: SSMLTextOptions?
    var unknownTags: [String] = []
    var sawPhoneme = false
    /// A `<speak>` root was opened (and must be the only top-level content).
    var rootOpened = false
    var rootClosed = false
    /// The rate of the last rate piece (1 at the start).
    var spokenRate = 1.0

    init(limits: SSMLDocument.Limits) {
        self.limits = limits
    }

    var current: Element { stack.last ?? Element(name: "", rate: 1, sayAs: nil, muted: false) }

    mutating func take(_ token: SSMLToken) throws(SSMLError) {
        switch token {
        case .text(let text):
            if rootClosed || (rootOpened && stack.isEmpty) {
                guard text.allSatisfy(\.isWhitespace) else { throw .structure("text outside <speak>") }
                return
            }
            guard !current.muted else { return }
            try addText(text)
        case .start(let name, let attributes, let selfClosing):
            if rootClosed { throw .structure("<\(name)> after </speak>") }
            if name == "speak" {
                guard stack.isEmpty, !rootOpened, pieces.isEmpty, openOptions == nil else { throw .structure("<speak> must be the root element") }
                rootOpened = true
            }
            try open(name, attributes: attributes)
            if selfClosing { try close(name) }
        case .end(let name):
            try close(name)
        }
    }

    private mutating func open(_ name: String, attributes: [String: String]) throws(SSMLError) {
        guard stack.count < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
        var element = current
        element.name = name
        switch name {
        case "break":
            let seconds = try Self.breakSeconds(attributes)
            try closeText()
            if case .pause(let before)? = pieces.last {  // adjacent breaks add up, to the longest one break may be
                pieces[pieces.count - 1] = .pause(seconds: min(before + seconds, SSMLDocument.maxBreakSeconds))
            } else {
                try addPiece(.pause(seconds: seconds))
            }
        case "prosody":
            if let rate = attributes["rate"] {
                element.rate = min(max(element.rate * (try Self.rate(rate)), SSMLDocument.rateRange.lowerBound),
                                   SSMLDocument.rateRange.upperBound)
            }
        case "say-as":
            guard let kind = attributes["interpret-as"] else {
                throw .invalidAttribute(tag: name, name: "interpret-as", reason: "missing")
            }
            guard let sayAs = SSMLSayAs(rawValue: kind.lowercased()) else {
                let names = SSMLSayAs.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidAttribute(tag: name, name: "interpret-as", reason: "must be one of \(names) (got \"\(String(kind.prefix(32)))\")")
            }
            element.sayAs = sayAs
        case "sub":
            guard let alias = attributes["alias"] else { throw .invalidAttribute(tag: name, name: "alias", reason: "missing") }
            if !element.muted { try addText(alias, options: SSMLTextOptions(sayAs: element.sayAs), rate: element.rate) }
            element.muted = true
        case "phoneme":
            sawPhoneme = true
        case "p", "s":
            endSentence()
        default:
            if !Self.known.contains(name), !unknownTags.contains(name), unknownTags.count < 32 { unknownTags.append(name) }
        }
        stack.append(element)
    }

    private mutating func close(_ name: String) throws(SSMLError) {
        guard let top = stack.last else { throw .structure("</\(name)> closes nothing") }
        guard top.name == name else { throw .structure("</\(name)> closes <\(top.name)>") }
        stack.removeLast()
        if name == "p" || name == "s" { endSentence() }
        if name == "speak" { rootClosed = true }
    }

    mutating func finish() throws(SSMLError) -> SSMLDocument {
        if let open = stack.last { throw .structure("<\(open.name)> is not closed") }
        if rootOpened, !rootClosed { throw .structure("<speak> is not closed") }
        try closeText()
        pieces = pieces.compactMap { (piece: SSMLPiece) -> SSMLPiece? in
            guard case .text(let text, let options) = piece else { return piece }
            let trimmed = text.trimmingTrailingSpaces.drop { $0.isWhitespace }
            return trimmed.isEmpty ? nil : .text(String(trimmed), options)
        }
        while let last = pieces.last, case .rate = last { pieces.removeLast() }  // nothing follows it
        var warnings: [String] = []
        if !unknownTags.isEmpty {
            warnings.append("SSML tags not supported, their text read: " + unknownTags.map { "<\($0)>" }.joined(separator: ", "))
        }
        if sawPhoneme { warnings.append("SSML <phoneme> is read as its text: pronunciations are not supported") }
        return SSMLDocument(pieces: pieces, warnings: warnings)
    }

    // MARK: Pieces

    private mutating func addText(_ text: String) throws(SSMLError) {
        try addText(text, options: SSMLTextOptions(sayAs: current.sayAs), rate: current.rate)
    }

    /// Appends `text`, white space runs folded to one space, to the open text when the options
    /// are the same (else it opens a new one); a rate piece first when the rate changes.
    private mutating func addText(_ text: String, options: SSMLTextOptions, rate: Double) throws(SSMLError) {
        let folded = Self.foldSpaces(text)
        guard !folded.isEmpty else { return }
        if folded == " " {  // white space alone starts no piece
            if openOptions != nil, openText.last != " " { openText.append(" ") }
            return
        }
        if rate != spokenRate {
            try closeText()
            if case .rate? = pieces.last { pieces.removeLast() }
            try addPiece(.rate(rate))
            spokenRate = rate
        }
        if openOptions != options {
            try closeText()
            openOptions = options
        }
        openText.append(contentsOf: openText.last == " " && folded.first == " " ? folded.dropFirst() : Substring(folded))
    }

    /// Moves the open text to `pieces`.
    private mutating func closeText() throws(SSMLError) {
        guard let options = openOptions else { return }
        openOptions = nil
        let text = openText
        openText = ""
        try addPiece(.text(text, options))
    }

    private mutating func addPiece(_ piece: SSMLPiece) throws(SSMLError) {
        guard pieces.count < limits.maxPieces else { throw .tooManyPieces(limit: limits.maxPieces) }
        pieces.append(piece)
    }

    /// Ends the text before a `<p>`/`<s>` boundary with a full stop if it has no sentence end,
    /// and a space.
    private mutating func endSentence() {
        guard openOptions != nil else { return }
        while openText.last?.isWhitespace == true { openText.removeLast() }
        guard let last = openText.last else { return }
        openText.append(".!?…;:".contains(last) ? " " : ". ")
    }

    private static func foldSpaces(_ text: String) -> String {
        var out = ""
        var space = false
        for character in text {
            if character.isWhitespace {
                if !space { out.append(" ") }
                space = true
            } else {
                out.append(character)
                space = false
            }
        }
        return out
    }

    // MARK: Attributes

    static func breakSeconds(_ attributes: [String: String]) throws(SSMLError) -> Double {
        if let time = attributes["time"] {
            let value = time.trimmingTrailingSpaces.drop { $0.isWhitespace }
            let (number, scale): (Substring, Double) =
                value.hasSuffix("ms") ? (value.dropLast(2), 0.001) : value.hasSuffix("s") ? (value.dropLast(), 1) : ("", 0)
            guard let amount = Double(number), amount.isFinite, amount >= 0 else {
                throw .invalidAttribute(tag: "break", name: "time", reason: "must be a duration such as 500ms or 1.5s (got \"\(String(time.prefix(32)))\")")
            }
            let seconds = amount * scale
            guard seconds <= SSMLDocument.maxBreakSeconds else {
                throw .invalidAttribute(tag: "break", name: "time", reason: "at most \(Int(SSMLDocument.maxBreakSeconds))s (got \"\(String(time.prefix(32)))\")")
            }
            return seconds
        }
        let strength = attributes["strength"] ?? "medium"
        guard let seconds = SSMLDocument.breakStrengths[strength] else {
            throw .invalidAttribute(tag: "break", name: "strength",
                                    reason: "must be none, x-weak, weak, medium, strong or x-strong (got \"\(String(strength.prefix(32)))\")")
        }
        return seconds
    }

    static func rate(_ text: String) throws(SSMLError) -> Double {
        let value = text.trimmingTrailingSpaces.drop { $0.isWhitespace }
        let factor: Double?
        if let keyword = SSMLDocument.rateKeywords[String(value)] {
            factor = keyword
        } else if value.hasSuffix("%"), let percent = Double(value.dropLast()) {
            factor = value.hasPrefix("+") || value.hasPrefix("-") ? 1 + percent / 100 : percent / 100
        } else {
            factor = Double(value)
        }
        guard let factor, factor.isFinite, SSMLDocument.rateRange.contains(factor) else {
            throw .invalidAttribute(tag: "prosody", name: "rate",
                                    reason: "must be x-slow, slow, medium, fast, x-fast or a factor from 25% to 400% (got \"\(String(text.prefix(32)))\")")
        }
        return factor
    }
}

extension StringProtocol {
    fileprivate var trimmingTrailingSpaces: String {
        var text = String(self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
