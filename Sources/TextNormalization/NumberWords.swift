// NumberWords.swift: English number words for the text normalizer. Cardinals come from ICU's
// spell-out rules through Foundation's `NumberFormatter` (`.spellOut`, locale en_US fixed):
// it works on Linux (swift-corelibs-foundation ships ICU), gives American forms ("one hundred
// one", "twenty-one") and is deterministic. Everything else (ordinals, years, decimals, digits)
// is built from cardinals by the small rules below.
import Foundation
import Synchronization

enum NumberWords {
    /// Largest magnitude read as a number; longer digit strings are read digit by digit
    /// (ICU stops spelling near 10^18, and nobody says "nine hundred quadrillion ...").
    static let maxCardinal = 999_999_999_999_999

    /// `NumberFormatter` is not thread-safe: one per process, behind a lock (about 2 µs a call).
    private static let formatter: Mutex<NumberFormatter> = {
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US")
        formatter.numberStyle = .spellOut
        return Mutex(formatter)
    }()

    static let digitNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// "forty-two", "minus five", "one million two hundred thousand"; digit by digit beyond
    /// `maxCardinal`.
    static func cardinal(_ value: Int) -> String {
        guard value.magnitude <= UInt(maxCardinal) else {
            let digits = String(value.magnitude).unicodeScalars.map { Int($0.value) - 48 }
            return (value < 0 ? "minus " : "") + digitByDigit(digits)
        }
        let spelled = formatter.withLock { $0.string(from: NSNumber(value: value)) }
        guard let spelled, !spelled.unicodeScalars.contains(where: isASCIIDigit) else {
            preconditionFailure("ICU spell-out failed for \(value)")  // not reached within maxCardinal
        }
        return spelled
    }

    /// A cardinal of decimal digits (leading zeros ignored); digit by digit when too long.
    static func cardinal(digits: [Int]) -> String {
        let significant = digits.drop { $0 == 0 }
        if significant.count > 15 { return digitByDigit(digits) }
        return cardinal(significant.reduce(0) { $0 * 10 + $1 })
    }

    /// "one two three".
    static func digitByDigit(_ digits: [Int]) -> String {
        digits.map { digitNames[$0] }.joined(separator: " ")
    }

    /// "first", "twenty-second", "one hundredth".
    static func ordinal(_ value: Int) -> String { ordinal(ofCardinal: cardinal(value)) }

    /// The ordinal of a spelled cardinal: its last word becomes ordinal.
    static func ordinal(ofCardinal words: String) -> String {
        let cut = words.lastIndex { $0 == " " || $0 == "-" }.map(words.index(after:)) ?? words.startIndex
        let last = String(words[cut...])
        let irregular = ["one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                         "nine": "ninth", "twelve": "twelfth"]
        let ordinalWord = irregular[last] ?? (last.hasSuffix("y") ? last.dropLast() + "ieth" : last + "th")
        return words[..<cut] + ordinalWord
    }

    /// A year as it is said: "nineteen eighty-four", "nineteen oh five", "nineteen hundred",
    /// "two thousand", "two thousand nine", "one thousand five", "twenty twenty-four", "ten
    /// sixty-six".
    static func year(_ value: Int) -> String {
        let century = value / 100
        let rest = value % 100
        if value < 1000 || value % 1000 < 10 {  // 1000, 1005, 2000, 2009: "two thousand nine"
            return cardinal(value)
        }
        if rest == 0 { return cardinal(century) + " hundred" }
        if rest < 10 { return cardinal(century) + " oh " + cardinal(rest) }
        return cardinal(century) + " " + cardinal(rest)
    }

    /// The plural of a number said as a year or a cardinal: "nineteen eighties", "nineteen
    /// hundreds", "twenties".
    static func plural(_ words: String) -> String {
        if words.hasSuffix("y") { return words.dropLast() + "ies" }
        if words.hasSuffix("x") { return words + "es" }
        return words + "s"
    }

    /// A number with a decimal part: "three point one four", "point five", "minus zero point five".
    static func decimal(integer: [Int], fraction: [Int]) -> String {
        let whole = integer.isEmpty ? "" : cardinal(digits: integer) + " "
        return whole + "point " + digitByDigit(fraction)
    }

    /// The denominator of a fraction: "half"/"halves", "quarter"/"quarters", else the ordinal
    /// ("third", "fifths"); nil when a fraction with this denominator is said with "over".
    static func denominator(_ value: Int, plural: Bool) -> String? {
        let word: String
        switch value {
        case 2: word = plural ? "halves" : "half"
        case 4: word = plural ? "quarters" : "quarter"
        case 3...20, 32, 64: word = ordinal(value) + (plural ? "s" : "")
        case 100, 1000: word = (value == 100 ? "hundredth" : "thousandth") + (plural ? "s" : "")
        default: return nil
        }
        return word
    }

    /// "three quarters", "one half", "five over three hundred seventeen".
    static func fraction(numerator: Int, denominator: Int) -> String {
        if let word = Self.denominator(denominator, plural: numerator != 1) {
            return cardinal(numerator) + " " + word
        }
        return cardinal(numerator) + " over " + cardinal(denominator)
    }

    static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
