// NormalizerLanguage.swift: the languages the normalizer reads, chosen by language code. An
// unsupported code is an error at config time, never a silent fall back to English.

/// A language with its own reading rules.
public enum NormalizerLanguage: String, Sendable, CaseIterable, CustomStringConvertible {
    case english = "en"
    case french = "fr"
    case german = "de"
    case spanish = "es"
    case italian = "it"
    case portuguese = "pt"
    case dutch = "nl"

    /// The language of a code or name: "fr", "fr-FR", "fr_CA", "FR", "french", "français".
    public init(code: String) throws(TextNormalizationError) {
        let lowered = code.lowercased()
        let base = String(lowered.prefix { $0 != "-" && $0 != "_" })
        if let language = NormalizerLanguage(rawValue: base) {
            self = language
        } else if let language = Self.names[lowered] {
            self = language
        } else {
            throw .unsupportedLanguage(String(code.prefix(32)))
        }
    }

    /// The ISO 639-1 code ("fr").
    public var code: String { rawValue }
    public var description: String { rawValue }

    /// "en, fr, de, es, it, pt, nl".
    public static var supportedCodes: String { allCases.map(\.code).joined(separator: ", ") }

    static let names: [String: NormalizerLanguage] = [
        "english": .english, "french": .french, "français": .french, "francais": .french,
        "german": .german, "deutsch": .german, "spanish": .spanish, "español": .spanish, "espanol": .spanish,
        "italian": .italian, "italiano": .italian, "portuguese": .portuguese, "português": .portuguese,
        "portugues": .portuguese, "dutch": .dutch, "nederlands": .dutch,
    ]

    /// The rule table of a language other than English.
    var table: LanguageTable? {
        switch self {
        case .english: nil
        case .french: .french
        case .german: .german
        case .spanish: .spanish
        case .italian: .italian
        case .portuguese: .portuguese
        case .dutch: .dutch
        }
    }
}

/// Errors of the text normalization target.
public enum TextNormalizationError: Error, Equatable, CustomStringConvertible {
    /// No reading rules for this language.
    case unsupportedLanguage(String)

    public var description: String {
        switch self {
        case .unsupportedLanguage(let code):
            "no text normalization for language \"\(code)\" (supported: \(NormalizerLanguage.supportedCodes))"
        }
    }
}
