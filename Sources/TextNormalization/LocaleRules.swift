// LocaleRules.swift: the reading rules of every language but English, driven by its
// `LanguageTable`. Same scan as English (TextNormalizer.read): at each position the first rule
// that reads something wins; what none reads is copied. Every reading is plain words, so
// normalizing twice changes nothing, and every reading maps to the input range it replaced.

/// The rules of one language other than English.
struct LocaleRules: Sendable {
    let table: LanguageTable

    /// The rules in the order they are tried: money before numbers ("12,50 €"), dates and
    /// times before numbers ("03/05/2024", "15:30").
    func read(_ input: [Unicode.Scalar]) -> SpokenScalars {
        let text = ScalarText(input)
        var output = SpokenScalars.Builder(input: input)
        var index = 0
        while index < input.count {
            if let reading = readAt(text, index) {
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

    func readAt(_ text: ScalarText, _ index: Int) -> Reading? {
        guard let scalar = text[index] else { return nil }
        if NumberWords.isASCIIDigit(scalar) || text.is(index, oneOf: "-−") || currencyStart(text, index) != nil {
            if let reading = readMoney(text, index) { return reading }
            if let reading = readDate(text, index) { return reading }
            if let reading = readTime(text, index) { return reading }
            if let reading = readNumber(text, index) { return reading }
        }
        if let reading = readAbbreviation(text, index) { return reading }
        if scalar == "&" { return Reading(end: index + 1, spoken: table.andWord) }
        return nil
    }

    // MARK: Numbers

    /// A number as written in this language: "1.234,50", "1 234", "-3,5", "12.50" (a dot not
    /// followed by a group of three digits is a decimal point).
    struct Number {
        var end: Int
        var negative: Bool
        var integer: [Int]
        var fraction: [Int]?
        var grouped: Bool

        var value: Int? {
            guard fraction == nil, integer.drop(while: { $0 == 0 }).count <= 15, !integer.isEmpty else { return nil }
            let value = integer.reduce(0) { $0 * 10 + $1 }
            return negative ? -value : value
        }
        var integerPart: Int { integer.drop(while: { $0 == 0 }).count <= 15 ? integer.reduce(0) { $0 * 10 + $1 } : Int.max }
    }

    func parseNumber(_ text: ScalarText, at index: Int, signed: Bool = true) -> Number? {
        var end = index
        var negative = false
        if signed, text.is(end, oneOf: "-−"), !text.isAlnum(end - 1), !text.is(end - 1, oneOf: "-−./:,"), text.isDigit(end + 1) {
            negative = true
            end += 1
        }
        guard text.isDigit(end), !text.isDigit(end - 1) else { return nil }
        let first = text.digitsEnd(from: end)
        var integer = text.digits(end..<first)
        end = first
        var grouped = false
        // Groups of three after "." or a no-break space (or a plain space in French).
        let separators = table.locale.hasPrefix("fr") ? ". \u{A0}\u{202F}" : ".\u{A0}\u{202F}"
        if integer.count <= 3 {
            while text.is(end, oneOf: separators), text.isDigit(end + 1), text.digitsEnd(from: end + 1) == end + 4 {
                integer += text.digits(end + 1..<end + 4)
                end += 4
                grouped = true
            }
        }
        var fraction: [Int]?
        if text.is(end, oneOf: ",."), text.isDigit(end + 1), !(text[end] == "." && grouped) {
            let fractionEnd = text.digitsEnd(from: end + 1)
            // "1.2.3" or "1,2,3": a list or version, each number read on its own.
            let inList = text.is(fractionEnd, oneOf: ",.") && text.isDigit(fractionEnd + 1)
                || text.is(index - 1, oneOf: ",.") && text.isDigit(index - 2)
            if !inList {
                fraction = text.digits(end + 1..<fractionEnd)
                end = fractionEnd
            }
        }
        return Number(end: end, negative: negative, integer: integer, fraction: fraction, grouped: grouped)
    }

    var minusWord: String {
        let minusOne = table.cardinal(-1), one = table.cardinal(1)
        return String(minusOne.dropLast(one.count)).trimmingSpaces
    }

    /// The number said plainly; a noun after it (`noun`: its gender) adjusts "un"/"ein".
    func words(_ number: Number, noun feminine: Bool? = nil) -> String {
        let sign = number.negative ? minusWord + " " : ""
        if let fraction = number.fraction {
            return sign + table.cardinal(digits: number.integer) + " " + table.decimalWord + " " + table.fraction(fraction)
        }
        if !number.grouped, number.integer.count > 1, number.integer[0] == 0 {
            return sign + table.digitByDigit(number.integer)
        }
        let words = table.cardinal(digits: number.integer)
        return sign + (feminine.map { table.beforeNoun(words, $0) } ?? words)
    }

    /// Whether a noun after `number` is plural.
    func takesPlural(_ number: Number) -> Bool {
        let magnitude = number.integerPart
        if table.singularBelowTwo { return magnitude >= 2 }
        return !(magnitude == 1 && number.fraction == nil)
    }

    /// The number rule: cardinals, decimals, signs, ordinals ("1er", "3.º", "2de", "am 3."),
    /// percentages, years, and units after numbers.
    func readNumber(_ text: ScalarText, _ index: Int) -> Reading? {
        guard let number = parseNumber(text, at: index) else { return nil }
        let end = number.end
        // Ordinals: "1er", "2e", "3º", "1ª", "5de".
        if number.fraction == nil, !number.negative, !number.grouped, let value = number.value {
            for suffix in table.ordinalSuffixes {
                guard let suffixEnd = text.match(suffix.written, at: end), !text.isAlnum(suffixEnd) else { continue }
                return Reading(end: suffixEnd, spoken: table.ordinal(value, suffix.form, text.previousWord(before: index)))
            }
            // "am 3. Mai", "der 3. Platz".
            if text[end] == ".", !text.isDigit(end + 1), let previous = text.previousWord(before: index),
               table.dottedOrdinalAfter.contains(previous.lowercased()), text.nextWord(after: end + 1) != nil {
                return Reading(end: end + 1, spoken: table.ordinal(value, .masculine, previous))
            }
        }
        // "50 %", "50%".
        let afterSpace = afterInlineSpace(text, end)
        if text[afterSpace] == "%" {
            return Reading(end: afterSpace + 1, spoken: words(number) + " " + table.percentWord)
        }
        if let (unit, unitEnd) = unit(text, afterSpace) {
            return Reading(end: unitEnd, spoken: words(number, noun: unit.feminine) + " "
                + (takesPlural(number) ? unit.plural : unit.singular))
        }
        if let year = table.year, !number.negative, !number.grouped, number.fraction == nil, number.integer.count == 4,
           let value = number.value, (1000...2099).contains(value) {
            return Reading(end: end, spoken: year(value))
        }
        return Reading(end: end, spoken: words(number))
    }

    func afterInlineSpace(_ text: ScalarText, _ index: Int) -> Int {
        text.is(index, oneOf: ScalarText.inlineSpaces) ? index + 1 : index
    }

    /// The longest unit written at `index`, ending a token.
    func unit(_ text: ScalarText, _ index: Int) -> (LocaleUnit, Int)? {
        for unit in table.units {
            if let end = text.match(unit.written, at: index), !text.isAlnum(end) { return (unit, end) }
        }
        return nil
    }


    // MARK: Money

    /// A currency written at `index`: the currency and where it ends.
    func currencyStart(_ text: ScalarText, _ index: Int) -> (LocaleCurrency, Int)? {
        guard let first = text[index], !NumberWords.isASCIIDigit(first) else { return nil }
        var best: (LocaleCurrency, Int)?
        for currency in table.currencies {
            for written in currency.written {
                guard let end = text.match(written, at: index) else { continue }
                let isCode = written.unicodeScalars.allSatisfy(ScalarText.isLetter)
                if isCode, text.isAlnum(index - 1) || text.isAlnum(end) { continue }
                if best.map({ end > $0.1 }) ?? true { best = (currency, end) }
            }
        }
        return best
    }

    /// "12,50 €", "€12,50", "12,50 EUR", "CHF 12.50", "-5 $", "1 234 €": major amount, the
    /// currency, the minor amount after it ("douze euros cinquante"); cents alone are named
    /// ("cinquante centimes").
    func readMoney(_ text: ScalarText, _ index: Int) -> Reading? {
        var start = index
        var currency: LocaleCurrency?
        var negative = false
        if text.is(start, oneOf: "-−"), currencyStart(text, start + 1) != nil, !text.isAlnum(start - 1) {
            negative = true
            start += 1
        }
        if let (before, end) = currencyStart(text, start) {
            guard !text.isAlnum(index - 1) else { return nil }
            currency = before
            start = afterInlineSpace(text, end)
        }
        guard var number = parseNumber(text, at: start, signed: currency == nil || !negative) else { return nil }
        var end = number.end
        if currency == nil {
            let after = afterInlineSpace(text, end)
            guard let (after, currencyEnd) = currencyStart(text, after) else { return nil }
            currency = after
            end = currencyEnd
        }
        guard let currency else { return nil }
        number.negative = number.negative || negative
        let sign = number.negative ? minusWord + " " : ""
        var unsigned = number
        unsigned.negative = false
        if let fraction = number.fraction, fraction.count == 2 {
            let major = Number(end: 0, negative: false, integer: number.integer, fraction: nil, grouped: number.grouped)
            let minor = fraction[0] * 10 + fraction[1]
            let minorWords = table.beforeNoun(table.cardinal(minor), false)
            if major.integerPart == 0 {
                return Reading(end: end, spoken: sign + minorWords + " " + (minor == 1 ? currency.minorSingular : currency.minorPlural))
            }
            let majorWords = words(major, noun: currency.feminine) + " " + (takesPlural(major) ? currency.plural : currency.singular)
            if minor == 0 { return Reading(end: end, spoken: sign + majorWords) }
            let joiner = table.minorJoiner.isEmpty ? " " : " " + table.minorJoiner + " "
            return Reading(end: end, spoken: sign + majorWords + joiner + table.cardinal(minor))
        }
        let name = takesPlural(unsigned) ? currency.plural : currency.singular
        return Reading(end: end, spoken: sign + words(unsigned, noun: currency.feminine) + " " + name)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
