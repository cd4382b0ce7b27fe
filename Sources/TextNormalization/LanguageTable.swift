// LanguageTable.swift: what the reading rules of a language other than English need to know
// (LocaleRules.swift applies them): its number words (ICU spell-out in its locale, with a few
// rules of grammar ICU does not know), separators, currencies, units, months, how it says a
// time and a date, and its abbreviations. One table per language, in LanguageTable+<Name>.swift.
import Foundation
import Synchronization

/// The reading rules' data for one language.
struct LanguageTable: Sendable {
    /// ICU locale of the number words ("fr_FR").
    let locale: String
    /// Said between the integer and fraction of a decimal ("virgule").
    let decimalWord: String
    /// "pour cent".
    let percentWord: String
    /// Said for "&" ("et").
    let andWord: String
    /// Month names, January first, lower-case as written inside a sentence ("mai", "Mai").
    let months: [String]
    /// Currencies, any order (the rule tries the longest written form first).
    let currencies: [LocaleCurrency]
    /// Said between the major and minor amounts ("" → "douze euros cinquante"; "e" → "dodici
    /// euro e cinquanta").
    let minorJoiner: String
    /// Units after a number.
    let units: [LocaleUnit]
    /// Abbreviations (title, inner or may end a sentence; a written form may contain spaces).
    let abbreviations: [Abbreviation]
    /// Fixes a spelled cardinal for a noun after it ("eins" → "ein" in German); `feminine`
    /// for a feminine noun ("un" → "une" in French).
    let beforeNoun: @Sendable (_ words: String, _ feminine: Bool) -> String
    /// The ordinal of `value` in a `form` (as its written suffix says: "1re", "1ª", "1.er"),
    /// `previousWord` the word before the number (German declension: "am dritten").
    let ordinal: @Sendable (_ value: Int, _ form: OrdinalForm, _ previousWord: String?) -> String
    /// Written ordinal suffixes right after digits ("er", "re", "e", "ème"), longest first;
    /// each with the form it asks for.
    let ordinalSuffixes: [(written: String, form: OrdinalForm)]
    /// A year ("neunzehnhundertvierundachtzig"); nil: the cardinal.
    let year: (@Sendable (Int) -> String)?
    /// A time: hours 0..<24, minutes 0..<60 ("quinze heures trente").
    let time: @Sendable (_ hours: Int, _ minutes: Int) -> String
    /// Written hour markers after the hours ("h", "Uhr"): "15 h 30", "15h", "15 Uhr".
    let hourMarkers: [String]
    /// A date: day 1...31, month 1...12, year or nil; `previousWord` as for `ordinal`.
    let date: @Sendable (_ day: Int, _ month: Int, _ year: Int?, _ previousWord: String?) -> String
    /// Said between a month name and a year after it ("de" in Spanish: "mayo de dos mil").
    let beforeYear: String
    /// Words a day number before a month name may be separated by ("de": "3 de mayo").
    let dayMonthJoiners: [String]
    /// Words after which "3." is an ordinal ("am 3. Mai", "der 3. Platz"); empty where
    /// ordinals are not written with a dot.
    var dottedOrdinalAfter: Set<String> = []
    /// Words after which "15.30" is a time ("alle 15.30", "um 15.30").
    var timeWordsBefore: Set<String> = []
    /// A noun after a number below two is singular ("1,5 kilomètre" in French).
    var singularBelowTwo = false

    /// The cardinal of `value`, as ICU spells it in this locale (soft hyphens removed);
    /// digit by digit beyond 15 digits.
    func cardinal(_ value: Int) -> String {
        LocaleNumberWords.cardinal(value, locale: locale)
    }

    /// A cardinal of decimal digits; digit by digit when longer than 15 significant digits.
    func cardinal(digits: [Int]) -> String {
        let significant = digits.drop { $0 == 0 }
        if significant.count > 15 { return digitByDigit(digits) }
        return cardinal(significant.reduce(0) { $0 * 10 + $1 })
    }

    func digitByDigit(_ digits: [Int]) -> String {
        digits.map { cardinal($0) }.joined(separator: " ")
    }

    /// A decimal fraction as said after the decimal word: "cinq" for ",5", "vingt-cinq" for
    /// ",25", "zéro cinq" for ",05", digit by digit past three digits.
    func fraction(_ digits: [Int]) -> String {
        if digits.count <= 3, digits.first != 0 { return cardinal(digits: digits) }
        return digitByDigit(digits)
    }

    /// The month of a name (any case), 1...12.
    func month(named name: String) -> Int? {
        let lowered = name.lowercased()
        return months.firstIndex { $0.lowercased() == lowered }.map { $0 + 1 }
    }
}

/// How an ordinal is said: masculine, feminine, or the short form before a noun (Spanish
/// "primer", "tercer").
enum OrdinalForm: Sendable {
    case masculine, feminine, short
}

/// A currency in one language: written forms (symbol and code) and the words.
struct LocaleCurrency: Sendable {
    let written: [String]
    let singular: String
    let plural: String
    let feminine: Bool
    /// The hundredth part said alone ("cinquante centimes").
    let minorSingular: String
    let minorPlural: String
}

/// A unit after a number in one language.
struct LocaleUnit: Sendable {
    let written: String
    let singular: String
    let plural: String
    let feminine: Bool

    init(_ written: String, _ singular: String, _ plural: String? = nil, feminine: Bool = false) {
        self.written = written
        self.singular = singular
        self.plural = plural ?? singular
        self.feminine = feminine
    }
}

/// ICU spell-out per locale, through Foundation's `NumberFormatter` (`.spellOut`).
enum LocaleNumberWords {
    /// One formatter per locale (not thread-safe: behind a lock).
    private static let formatters = Mutex<[String: NumberFormatter]>([:])

    static func cardinal(_ value: Int, locale: String) -> String {
        guard value.magnitude <= UInt(NumberWords.maxCardinal) else {
            let digits = String(value.magnitude).unicodeScalars.map { Int($0.value) - 48 }
            return (value < 0 ? cardinal(-1, locale: locale).components(separatedBy: " ").first! + " " : "")
                + digits.map { cardinal($0, locale: locale) }.joined(separator: " ")
        }
        let spelled = formatters.withLock { formatters in
            let formatter = formatters[locale] ?? {
                let formatter = NumberFormatter()
                formatter.locale = Locale(identifier: locale)
                formatter.numberStyle = .spellOut
                formatters[locale] = formatter
                return formatter
            }()
            return formatter.string(from: NSNumber(value: value))
        }
        guard let spelled, !spelled.unicodeScalars.contains(where: NumberWords.isASCIIDigit) else {
            preconditionFailure("ICU spell-out failed for \(value) in \(locale)")  // not reached within maxCardinal
        }
        return String(String.UnicodeScalarView(spelled.unicodeScalars.filter { $0 != "\u{AD}" }))
    }
}

extension String {
    /// The string with `suffix` replaced by `replacement` when it ends with it (as a whole word
    /// when `wholeWord`: after a space or hyphen, or the whole string).
    func replacingSuffix(_ suffix: String, with replacement: String, wholeWord: Bool = false) -> String {
        guard hasSuffix(suffix) else { return self }
        let stem = dropLast(suffix.count)
        if wholeWord, let last = stem.last, last != " ", last != "-" { return self }
        return stem + replacement
    }
}
