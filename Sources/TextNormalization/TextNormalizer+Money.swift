// TextNormalizer+Money.swift: the money rule ("$4.50", "€1,200", "£3m", "-$5", "$5-10") and
// the phone rule (digit groups read digit by digit).

extension TextNormalizer {
    /// The money rule: a currency symbol, an amount, an optional scale ("m", "bn", "k",
    /// " million") or a range ("$5-10", "$5–$10"). Two decimals are cents ("four dollars and
    /// fifty cents"); other amounts are said as numbers ("three point five million pounds").
    static func readMoney(_ text: ScalarText, _ index: Int) -> Reading? {
        guard let first = text[index], Currency.firstScalars.unicodeScalars.contains(first) || first == "-" || first == "−",
              text.startsToken(index) else { return nil }
        var start = index
        var negative = false
        if text.is(start, oneOf: "-−"), !text.is(index - 1, oneOf: "-−./:,") {
            negative = true
            start += 1
        }
        guard let (currency, amount, scale, end) = amount(text, start) else { return nil }
        let sign = negative ? "minus " : ""
        let dash = end
        if text.is(dash, oneOf: "-–") {
            let secondStart = text.match(currency.symbol, at: dash + 1) ?? dash + 1
            if text.isDigit(secondStart), let second = NumberLiteral.parse(text, at: secondStart, signed: false) {
                let (secondScale, secondEnd) = self.scale(text, second.range.upperBound)
                let first = amount.words + (scale.map { " " + $0 } ?? "")
                let last = second.words + (secondScale.map { " " + $0 } ?? "")
                return Reading(end: secondEnd, spoken: sign + first + " to " + last + " " + currency.plural)
            }
        }
        if let scale {
            return Reading(end: end, spoken: sign + amount.words + " " + scale + " " + currency.plural)
        }
        guard let cent = currency.cent, let fraction = amount.fraction, fraction.count == 2 else {
            return Reading(end: end, spoken: sign + amount.words + " " + (amount.isOne ? currency.singular : currency.plural))
        }
        let whole = NumberLiteral(range: amount.range, integer: amount.integer, grouped: amount.grouped)
        let cents = fraction[0] * 10 + fraction[1]
        var parts: [String] = []
        if whole.integerValue != 0 || cents == 0 {
            parts.append(whole.words + " " + (whole.isOne ? currency.singular : currency.plural))
        }
        if cents > 0 { parts.append(NumberWords.cardinal(cents) + " " + (cents == 1 ? cent.singular : cent.plural)) }
        return Reading(end: end, spoken: sign + parts.joined(separator: " and "))
    }

    /// A currency symbol, an optional space, a number and its scale at `index`.
    private static func amount(_ text: ScalarText, _ index: Int) -> (Currency, NumberLiteral, String?, Int)? {
        guard let currency = Currency.table.first(where: { text.match($0.symbol, at: index) != nil }),
              let symbolEnd = text.match(currency.symbol, at: index) else { return nil }
        let numberStart = text.afterOptionalSpace(symbolEnd)
        guard text.isDigit(numberStart) || text[numberStart] == "." && text.isDigit(numberStart + 1),
              let amount = NumberLiteral.parse(text, at: numberStart, signed: false) else { return nil }
        let (scale, end) = scale(text, amount.range.upperBound)
        return (currency, amount, scale, end)
    }

    /// "m", "bn", "k" right after an amount, or " million": how it is said and where it ends.
    private static func scale(_ text: ScalarText, _ index: Int) -> (String?, Int) {
        for scale in Currency.scales {
            let start = scale.glued ? index : text.afterOptionalSpace(index)
            guard scale.glued || start > index, let end = text.match(scale.written, at: start), text.endsToken(end) else {
                continue
            }
            return (scale.spoken, end)
        }
        return (nil, index)
    }

    /// The phone rule: digit groups read digit by digit, groups separated by commas. Accepted:
    /// "+" and a country code then groups ("+44 20 7946 0958"); an area code in parentheses
    /// ("(555) 123-4567"); three or more groups joined by "-" or "." with 10 or 11 digits and a
    /// last group of four ("555-123-4567", "1-800-555-1234"); "555-1234".
    static func readPhone(_ text: ScalarText, _ index: Int) -> Reading? {
        guard !text.isAlnum(index - 1), !text.is(index - 1, oneOf: ".,-/:+") else { return nil }
        var end = index
        var plus = false
        var parenthesized = false
        var groups: [[Int]] = []
        if text[end] == "+", text.isDigit(end + 1) {
            plus = true
            end += 1
        } else if text[end] == "(", case let close = text.digitsEnd(from: end + 1), (2...4).contains(close - end - 1),
                  text[close] == ")" {
            groups.append(text.digits(end + 1..<close))
            parenthesized = true
            end = close + 1
            if text[end] == " " || text[end] == "-" { end += 1 }
        }
        guard text.isDigit(end) else { return nil }
        var separators: Set<Unicode.Scalar> = []
        while true {
            let digitsEnd = text.digitsEnd(from: end)
            groups.append(text.digits(end..<digitsEnd))
            end = digitsEnd
            guard let next = text[end], "-. ".unicodeScalars.contains(next), text.isDigit(end + 1) else { break }
            if next == " " && !(plus || parenthesized) { break }
            separators.insert(next)
            end += 1
        }
        guard text.endsToken(end), !(text.is(end, oneOf: "-./:,") && text.isDigit(end + 1)) else {
            return nil
        }
        let total = groups.reduce(0) { $0 + $1.count }
        let lengths = groups.map(\.count)
        let accepted: Bool
        if plus {
            accepted = total >= 7 && groups.count >= 2 && lengths.allSatisfy { $0 <= 4 }
        } else if parenthesized {
            accepted = total >= 10
        } else {
            accepted = separators.count == 1 && (
                groups.count >= 3 && (10...11).contains(total) && lengths.last == 4 && lengths.dropFirst().allSatisfy { $0 >= 3 }
                || lengths == [3, 4] && separators == ["-"])
        }
        guard accepted else { return nil }
        let spoken = groups.map(NumberWords.digitByDigit).joined(separator: ", ")
        return Reading(end: end, spoken: (plus ? "plus " : "") + spoken)
    }
}
