// TextNormalizer+Numbers.swift: the number rule — cardinals, decimals, signs, thousands
// separators, ordinals, years, decades, ranges, fractions, dimensions and units after numbers.

/// A number as written: sign, digits (thousands separators dropped), decimals.
struct NumberLiteral {
    var range: Range<Int>
    var negative = false
    /// Digits before the point; empty for ".5".
    var integer: [Int]
    /// Digits after the point, if there is one.
    var fraction: [Int]?
    /// Written with thousands separators ("1,200").
    var grouped = false

    /// A whole number without sign or separators ("1984", "007").
    var isPlainInteger: Bool { fraction == nil && !negative && !grouped && !integer.isEmpty }

    /// The value of a whole number of at most 15 digits.
    var integerValue: Int? {
        guard fraction == nil, !integer.isEmpty, integer.drop(while: { $0 == 0 }).count <= 15 else { return nil }
        let value = integer.reduce(0) { $0 * 10 + $1 }
        return negative ? -value : value
    }

    /// Exactly one: the unit after it is singular.
    var isOne: Bool { integerValue.map { abs($0) == 1 } ?? false }

    /// The number said plainly: "minus three point one four", "zero zero seven" (a leading zero
    /// is read digit by digit), "one thousand two hundred".
    var words: String {
        let sign = negative ? "minus " : ""
        if let fraction { return sign + NumberWords.decimal(integer: integer, fraction: fraction) }
        if !grouped, integer.count > 1, integer[0] == 0 { return sign + NumberWords.digitByDigit(integer) }
        return sign + NumberWords.cardinal(digits: integer)
    }

    /// `words`, or the year reading for a plain 4-digit number from 1000 to 2099.
    func words(asYear: Bool) -> String {
        guard asYear, isPlainInteger, integer.count == 4, let value = integerValue, (1000...2099).contains(value) else {
            return words
        }
        return NumberWords.year(value)
    }

    /// Parses a number at `index`: an optional "-" (when `signed` and the "-" starts a token),
    /// digits with optional thousands separators (groups of exactly three), an optional decimal
    /// part. Nil when no number starts there, or for dotted sequences ("1.2.3").
    static func parse(_ text: ScalarText, at index: Int, signed: Bool) -> NumberLiteral? {
        var end = index
        var negative = false
        if signed, text.is(end, oneOf: "-−"), !text.isAlnum(end - 1),
           !text.is(end - 1, oneOf: "-−./:,"),
           text.isDigit(end + 1) || text[end + 1] == "." && text.isDigit(end + 2) {
            negative = true
            end += 1
        }
        guard !text.isDigit(end - 1) else { return nil }
        var integer: [Int] = []
        var grouped = false
        if text.isDigit(end) {
            let digitsEnd = text.digitsEnd(from: end)
            integer = text.digits(end..<digitsEnd)
            end = digitsEnd
            if integer.count <= 3 {
                while text[end] == ",", text.digitsEnd(from: end + 1) == end + 4 {
                    integer += text.digits(end + 1..<end + 4)
                    end += 4
                    grouped = true
                }
            }
        }
        var fraction: [Int]?
        if text[end] == ".", text.isDigit(end + 1), !integer.isEmpty || !text.isAlnum(end - 1) && text[end - 1] != "." {
            let digitsEnd = text.digitsEnd(from: end + 1)
            if text[digitsEnd] == ".", text.isDigit(digitsEnd + 1) { return nil }  // 1.2.3
            fraction = text.digits(end + 1..<digitsEnd)
            end = digitsEnd
        }
        guard !integer.isEmpty || fraction != nil else { return nil }
        return NumberLiteral(range: index..<end, negative: negative, integer: integer, fraction: fraction, grouped: grouped)
    }
}

extension TextNormalizer {
    /// Vulgar fraction characters: numerator, denominator.
    static let vulgarFractions: [Unicode.Scalar: (Int, Int)] = [
        "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5),
        "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅐": (1, 7), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
        "⅑": (1, 9), "⅒": (1, 10),
    ]

    /// The number rule. In order after the number: an ordinal suffix ("21st"), a decade ("1980s",
    /// "'90s"), a fraction ("3/4", "2½", "1 1/2"), a range ("3-5", "1990–1995"), a dimension or
    /// factor ("1920x1080", "3x"), a unit ("5 km", "50%", "10k"); else the number alone, a 4-digit
    /// number from 1000 to 2099 said as a year unless a counted plural follows ("1500 people").
    static func readNumber(_ text: ScalarText, _ index: Int) -> Reading? {
        if text.is(index, oneOf: "'’"), text.startsToken(index) {
            return readDecade(text, index + 1, start: index)
        }
        guard text.isDigit(index) || text.is(index, oneOf: "-−.+") else { return nil }
        if let dotted = readDottedNumbers(text, index) { return dotted }
        if text[index] == "+" {
            guard !text.isAlnum(index - 1), text.isDigit(index + 1), var reading = readNumber(text, index + 1) else { return nil }
            reading.spoken = "plus " + reading.spoken
            return reading
        }
        guard let number = NumberLiteral.parse(text, at: index, signed: true) else { return nil }
        let end = number.range.upperBound

        if !number.negative, number.fraction == nil, let suffixEnd = ordinalSuffixEnd(text, end) {
            return Reading(end: suffixEnd, spoken: NumberWords.ordinal(ofCardinal: number.words))
        }
        if number.isPlainInteger, let decade = readDecade(text, index, start: index) { return decade }
        if let fraction = readFraction(after: number, text) { return fraction }
        if let range = readRange(from: number, text) { return range }
        if number.fraction == nil, text.is(end, oneOf: "x×") {
            if text.isDigit(end + 1), let second = NumberLiteral.parse(text, at: end + 1, signed: false) {
                return withUnit(number.words + " by " + second.words, plural: true, text, second.range.upperBound)
            }
            if text.endsToken(end + 1) { return Reading(end: end + 1, spoken: number.words + " times") }
        }
        if let reading = withUnit(number.words, plural: !number.isOne, text, end, required: true) { return reading }
        let asYear = !isCounted(text, after: end)
        return Reading(end: end, spoken: number.words(asYear: asYear))
    }

    /// `spoken` followed by the unit written at `index` ("kilometers"), if there is one; else
    /// `spoken` alone, or nil when `required`.
    static func withUnit(_ spoken: String, plural: Bool, _ text: ScalarText, _ index: Int, required: Bool = false) -> Reading? {
        if let (unit, end) = unit(text, at: index) {
            return Reading(end: end, spoken: spoken + " " + (plural ? unit.plural : unit.singular))
        }
        return required ? nil : Reading(end: index, spoken: spoken)
    }

    /// The unit written at `index`, right after a number or after one space, and where it ends.
    static func unit(_ text: ScalarText, at index: Int) -> (Unit, Int)? {
        let spaced = text.is(index, oneOf: ScalarText.inlineSpaces)
        let start = spaced ? index + 1 : index
        for unit in Unit.table where spaced ? !unit.noSpace : !unit.needsSpace {
            guard let end = text.match(unit.written, at: start) else { continue }
            let last = unit.written.unicodeScalars.last!
            if ScalarText.isAlnum(last) ? text.endsToken(end) : !text.isDigit(end) {
                return (unit, end)
            }
        }
        return nil
    }

    /// "st", "nd", "rd" or "th" (any case) at `index`, ending a token: where it ends.
    static func ordinalSuffixEnd(_ text: ScalarText, _ index: Int) -> Int? {
        for suffix in ["st", "nd", "rd", "th"] {
            if let end = text.match(suffix, at: index, ignoringCase: true), text.endsToken(end) { return end }
        }
        return nil
    }

    /// A decade: 2 or 4 digits ending in 0 at `digitsStart`, then "s" or "'s" ("1980s" →
    /// "nineteen eighties", "'90s" → "nineties").
    static func readDecade(_ text: ScalarText, _ digitsStart: Int, start: Int) -> Reading? {
        let digitsEnd = text.digitsEnd(from: digitsStart)
        let count = digitsEnd - digitsStart
        guard count == 2 || count == 4 && start == digitsStart, text.digits(digitsEnd - 1..<digitsEnd) == [0] else {
            return nil
        }
        var end = digitsEnd
        if text.is(end, oneOf: "'’") { end += 1 }
        guard text[end] == "s", text.endsToken(end + 1) else { return nil }
        let value = text.value(digitsStart..<digitsEnd)
        let words = count == 4 ? NumberWords.year(value) : NumberWords.cardinal(value)
        return Reading(end: end + 1, spoken: NumberWords.plural(words))
    }

    /// A fraction after a whole number: "3/4", "2½", "1 1/2" ("one and a half"), "24/7".
    static func readFraction(after number: NumberLiteral, _ text: ScalarText) -> Reading? {
        guard number.fraction == nil, !number.grouped, let whole = number.integerValue else { return nil }
        let end = number.range.upperBound
        if let scalar = text[end], scalar.value >= 0xBC, let (numerator, denominator) = vulgarFractions[scalar] {
            return withUnit(mixed(number.words, numerator, denominator), plural: true, text, end + 1)
        }
        if text[end] == " ", let (numerator, denominator, fractionEnd) = simpleFraction(text, end + 1),
           numerator < denominator, (2...16).contains(denominator) {
            return withUnit(mixed(number.words, numerator, denominator), plural: true, text, fractionEnd)
        }
        guard let (_, denominator, fractionEnd) = simpleFraction(text, number.range.lowerBound + (number.negative ? 1 : 0))
        else { return nil }
        // Said as two numbers: "24/7", "9/11", "50/50".
        if [24: 7, 9: 11][whole] == denominator || whole == denominator && whole > 1 {
            return Reading(end: fractionEnd, spoken: number.words + " " + NumberWords.cardinal(denominator))
        }
        let sign = number.negative ? "minus " : ""
        return Reading(end: fractionEnd, spoken: sign + NumberWords.fraction(numerator: abs(whole), denominator: denominator))
    }

    /// "a/b" at `index` with b > 0, not followed by a digit or "/": numerator, denominator, end.
    static func simpleFraction(_ text: ScalarText, _ index: Int) -> (Int, Int, Int)? {
        let slash = text.digitsEnd(from: index)
        guard slash > index, slash - index <= 15, text[slash] == "/", text.isDigit(slash + 1) else { return nil }
        let end = text.digitsEnd(from: slash + 1)
        guard end - slash - 1 <= 15, text.endsToken(end), !text.is(end, oneOf: "/"),
              !(text[end] == "." && text.isDigit(end + 1)) else { return nil }
        let denominator = text.value(slash + 1..<end)
        guard denominator > 0 else { return nil }
        return (text.value(index..<slash), denominator, end)
    }

    /// "two and a half", "one and three quarters".
    static func mixed(_ whole: String, _ numerator: Int, _ denominator: Int) -> String {
        let part = numerator == 1 && denominator <= 10
            ? "a " + (NumberWords.denominator(denominator, plural: false) ?? "")
            : NumberWords.fraction(numerator: numerator, denominator: denominator)
        return whole + " and " + part
    }

    /// "3-5" → "three to five", "1990–1995" → "nineteen ninety to nineteen ninety-five", with
    /// a unit after the second number ("5-10%" → "five to ten percent").
    static func readRange(from first: NumberLiteral, _ text: ScalarText) -> Reading? {
        let dash = first.range.upperBound
        guard text.is(dash, oneOf: "-–"), text.isDigit(dash + 1),
              let second = NumberLiteral.parse(text, at: dash + 1, signed: false) else { return nil }
        let end = second.range.upperBound
        // "1-2-3" and "12-34-56" are codes, not ranges.
        guard !(text.is(end, oneOf: "-–") && text.isDigit(end + 1)) else { return nil }
        let asYears = first.isPlainInteger && second.isPlainInteger && first.integer.count == 4 && second.integer.count == 4
        let spoken = first.words(asYear: asYears) + " to " + second.words(asYear: asYears)
        return withUnit(spoken, plural: true, text, end)
    }

    /// Dotted numbers: an IPv4 address ("192.168.0.1" → "... dot ...") or a version
    /// ("1.2.3" → "one point two point three").
    static func readDottedNumbers(_ text: ScalarText, _ index: Int) -> Reading? {
        guard text.isDigit(index), !text.isDigit(index - 1), !text.is(index - 1, oneOf: ".") else { return nil }
        var parts: [[Int]] = []
        var end = index
        while true {
            let digitsEnd = text.digitsEnd(from: end)
            parts.append(text.digits(end..<digitsEnd))
            end = digitsEnd
            guard text[end] == ".", text.isDigit(end + 1) else { break }
            end += 1
        }
        guard parts.count >= 3, text.endsToken(end), parts.allSatisfy({ $0.count <= 15 }) else { return nil }
        let isAddress = parts.count == 4 && parts.allSatisfy { $0.count <= 3 && $0.reduce(0) { $0 * 10 + $1 } <= 255 }
        let words = parts.map { $0.count > 1 && $0[0] == 0 ? NumberWords.digitByDigit($0) : NumberWords.cardinal(digits: $0) }
        return Reading(end: end, spoken: words.joined(separator: isAddress ? " dot " : " point "))
    }

    /// A counted plural or a scale word follows `index` ("1500 people", "2000 million"): the
    /// number before it is a count, not a year.
    static func isCounted(_ text: ScalarText, after index: Int) -> Bool {
        guard text.is(index, oneOf: ScalarText.inlineSpaces), let (_, word) = text.nextWord(after: index) else { return false }
        let lower = word.lowercased()
        if Lexicon.scaleWords.contains(lower) { return true }
        guard word == lower, lower.count > 2, lower.hasSuffix("s"), !lower.hasSuffix("ss") else { return false }
        return !Lexicon.nonCountWords.contains(lower)
    }
}
